#!/usr/bin/env bash
# import_delim_tie: when the header has two candidate delimiters as often
# (email<TAB>note,x) the detection is a guess: the import warns which one it
# chose and how to choose the other (--delimiter); a clear header gets no warning.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
printf 'email\tnote,x\nq@x.example\thi,there\n' >"$T/tie.csv"
run import "$T/tie.csv" --dry-run
expect_match "tie: warned, naming both and the option" "$ERR" \
	"tie.csv:1: warning: the header has as many commas as tabs; read as comma-separated \(if it is tab-separated, import with --delimiter tab\)"
run import "$T/tie.csv" --delimiter tab --dry-run
expect_nomatch "tie: --delimiter given, no warning" "$ERR" "as many"
expect_match "tie: --delimiter tab reads the email" "$OUT" "1 created"
printf 'email,first_name\nq@x.example,Q\n' >"$T/plain.csv"
run import "$T/plain.csv" --dry-run
expect_nomatch "no tie: no warning" "$ERR" "as many"
finish
