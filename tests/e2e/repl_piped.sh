#!/bin/bash
# repl_piped: non-interactive input. `heed repl < file` and `echo … | heed` run without
# prompts or colours; an error on line 2 stops before line 3 with a non-zero status and
# names line 2 (--keep-going runs on); heed -c runs one input.
. "$(dirname "$0")/lib.sh"
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
LEADS=$(sql "SELECT count(*) FROM contacts WHERE stage = 'lead'")

# ---- an error on line 2 ----
printf '.pipeline\n.no-such-command\n= heed.count{stage="lead"}\n' > "$T/in.txt"
run repl < "$T/in.txt"
expect_eq "stops with status 2 (a usage error)" "$RC" 2
expect_match "line 1 ran" "$OUT" "forecast"
expect_nomatch "line 3 did not run" "$OUT" "^$LEADS\$"
expect_match "the error names line 2" "$ERR" "line 2"
expect_nomatch "no other line is blamed" "$ERR" "line [13]"
expect_match "the error says what" "$ERR" "unknown command '.no-such-command'"

# the same through a pipe into plain `heed`, with a Lua error on line 2
OUT=$(printf '= 1 + 1\n= nosuch.field\n= 3 + 3\n' | "$HEED" 2>"$T/.err"); RC=$?; ERR=$(cat "$T/.err")
expect_eq "piped Lua error: status 1" "$RC" 1
expect_eq "piped Lua error: only line 1 printed" "$OUT" "2"
expect_match "piped Lua error names line 2" "$ERR" "stdin line 2"

# a Lua error inside a chunk that starts on line 4: one message, naming input line 6
printf '= 1\n\n-- a loop\nlocal t = 0\nfor i = 1, 2 do\n  t = t + nil\nend\n= 2\n' > "$T/deep.txt"
run repl < "$T/deep.txt"
expect_eq "Lua error in a chunk: status 1" "$RC" 1
expect_eq "Lua error in a chunk: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
expect_match "Lua error in a chunk: names the input line" "$ERR" \
	"^heed: stdin line 6: attempt to perform arithmetic on a nil value.*; stopping here"
expect_nomatch "Lua error in a chunk: no chunk line" "$ERR" "input:"

# ---- --keep-going ----
run repl --keep-going < "$T/in.txt"
expect_eq "keep-going: still status 2" "$RC" 2
expect_match "keep-going: line 3 ran" "$OUT" "(^|[^0-9])$LEADS\$"

# ---- no prompts, no colours, no escape codes ----
OUT=$(printf '.pipeline\n.find stage=prospect\n.bogus\n' | "$HEED" repl --keep-going 2>&1)
expect_nomatch "no prompt" "$OUT" "heed>"
CHECKS=$((CHECKS + 1))
! printf '%s' "$OUT" | grep -q $'\x1b' || fail "escape codes in piped output"

# ---- a Lua chunk over several lines; an unfinished one is an error ----
printf 'function f(x)\n  return x + 1\nend\n= f(41)\n' > "$T/fn.txt"
run repl < "$T/fn.txt"
expect_eq "multi-line chunk: status 0" "$RC" 0
expect_eq "multi-line chunk: value" "$OUT" "42"
printf '.pipeline\nfunction g()\n' > "$T/open.txt"
run repl < "$T/open.txt"
expect_eq "unfinished chunk: status 1" "$RC" 1
expect_match "unfinished chunk: names its first line" "$ERR" "line 2.*not complete"

# ---- heed -c ----
run -c "= heed.count{stage='lead'}"
expect_eq "-c Lua: status 0" "$RC" 0
expect_eq "-c Lua: the count" "$OUT" "$LEADS"
run -c ".sql SELECT count(*) AS n FROM contacts WHERE stage = 'lead'"
expect_eq "-c .sql: status 0" "$RC" 0
expect_match "-c .sql: the count" "$OUT" "^ *$LEADS\$"
run -c ".sql DELETE FROM contacts"
expect_eq "-c .sql refuses writes" "$RC" 2
expect_match "-c .sql says why" "$ERR" "only SELECT"
run -c ".p"
expect_eq "ambiguous prefix: usage error" "$RC" 2
expect_match "ambiguous prefix is reported" "$ERR" "'\.p' is ambiguous: \.(pipeline, \.plugins|plugins, \.pipeline)\$"
run -c ".pip --format json"
expect_eq "unique prefix runs" "$RC" 0
expect_match "unique prefix ran pipeline" "$OUT" '"forecast"'

# ---- repl -c is repl --command; an unknown short option is named ----
run repl -c ".pipeline --format json"
expect_eq "repl -c: status 0" "$RC" 0
expect_match "repl -c ran the input" "$OUT" '"forecast"'
run repl --command ".pipeline --format json"
expect_match "repl --command still runs" "$OUT" '"forecast"'
run repl -x
expect_eq "repl -x: usage error" "$RC" 2
expect_match "repl -x: named" "$ERR" "^heed: repl: unknown option -x"
run list -q
expect_match "list -q: named" "$ERR" "^heed: list: unknown option -q"

# ---- heed help and usage errors are as before ----
run help
expect_eq "help: status 0" "$RC" 0
expect_match "help lists repl" "$OUT" "repl"
run nosuchcommand
expect_eq "unknown command: status 2" "$RC" 2
finish
