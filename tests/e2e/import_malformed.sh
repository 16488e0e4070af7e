#!/usr/bin/env bash
# import_malformed: malformed files are refused or their bad rows named, never
# read into contacts: unnamed header columns, text after a closing quote, and a
# record over 16 MB whose quoted text holds something that looks like rows.
. "$(dirname "$0")/lib.sh"

printf ',,\n1,2,3\n' >"$T/noname.csv"
run import "$T/noname.csv"
expect_eq "header ',,': exit" "$RC" 1
expect_match "header ',,': names the column" "$ERR" "^heed: .*noname.csv: line 1: column 1 of the header has no name"
expect_eq "header ',,': no contact" "$(sql "SELECT count(*) FROM contacts")" 0

printf 'email,,note\na@x.com,2,3\n' >"$T/gap.csv"
run import "$T/gap.csv"
expect_eq "unnamed middle column: exit" "$RC" 1
expect_match "unnamed middle column: named" "$ERR" "column 2 of the header has no name"

printf 'email,note,\na@x.com,hi,\nb@x.com,yo,lost\n' >"$T/trail.csv"
run import "$T/trail.csv"
expect_eq "trailing separator in the header: accepted" "$RC" 0
expect_match "a value under it is not dropped silently" "$ERR" "trail.csv:3: warning: column 3 has no header name; its value is ignored"

export HEED_DB="$T/junk.db"
printf 'email,note\n"a@x.com"junk,1\nb@x.com,2\n' >"$T/junk.csv"
run import "$T/junk.csv" --skip-bad --reject "$T/junk-rej.csv"
expect_eq "text after a closing quote: exit" "$RC" 0
expect_match "text after a closing quote: line, field, reason" "$ERR" "junk.csv: line 2: field 1: text after the closing quote"
expect_eq "text after a closing quote: not imported" "$(sql "SELECT group_concat(email) FROM contacts WHERE email LIKE '%x.com%'")" "b@x.com"

python3 -c "import sys; open(sys.argv[1],'wb').write(b'email,note\nf@x.com,\"'+b'x'*(17<<20)+b'\nmallory@evil.example,Injected row\ntail\"\nok@x.com,fine\n')" "$T/long.csv"
run import "$T/long.csv" --skip-bad --reject "$T/long-rej.csv"
expect_eq "record over 16 MB: exit" "$RC" 0
expect_match "record over 16 MB: one bad row, named by its first line" "$OUT" "2 rows, 1 created.* 1 bad"
expect_match "record over 16 MB: reason" "$ERR" "long.csv: line 2: record longer than 16 MB"
expect_nomatch "record over 16 MB: no line inside it is named" "$ERR" "line [34]:"
expect_eq "record over 16 MB: nothing inside it imported" "$(sql "SELECT count(*) FROM contacts WHERE email = 'mallory@evil.example'")" 0
expect_eq "record over 16 MB: the next row is" "$(sql "SELECT count(*) FROM contacts WHERE email = 'ok@x.com'")" 1
expect_eq "record over 16 MB: the reject file has it" "$(tail -n +2 "$T/long-rej.csv" | cut -d, -f1)" 2
# the summary counts in the singular when it is one
export HEED_DB="$T/one.db"
printf 'email,note\n,hello\n' >"$T/nokey.csv"
run import "$T/nokey.csv"
expect_match "one row: singular" "$OUT" "1 row, 1 created, 0 matched existing contacts"
expect_match "one row without a key: singular" "$OUT" "^1 row has neither email nor external id \(line 2\): it became a new contact"
finish
