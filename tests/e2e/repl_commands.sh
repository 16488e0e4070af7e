#!/bin/bash
# repl_commands: the REPL's own dot-commands on piped input: .help COMMAND shows usage and
# an example, .timer on times each command, .mode switches among the five output modes
# (NULL distinct from ''), .export writes CSV, .sql is read-only, heed.* answers like the CLI.
. "$(dirname "$0")/lib.sh"
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
repl() { OUT=$(printf '%s\n' "$@" | "$HEED" repl 2>"$T/.err"); RC=$?; ERR=$(cat "$T/.err"); }

repl ".help find" ".help show"
expect_eq ".help: status 0" "$RC" 0
expect_match ".help find: usage" "$OUT" "usage: \.find \[stage=S\]"
expect_match ".help find: example" "$OUT" "example: \.find stage=prospect min-score=50"
expect_match ".help show: usage from the CLI table" "$OUT" "usage: \.show CONTACT"
expect_match ".help show: example" "$OUT" "example: \.show "

repl ".timer on" ".pipeline" "= 1"
expect_eq ".timer: status 0" "$RC" 0
expect_eq ".timer: one time per command after .timer" "$(printf '%s\n' "$OUT" | grep -cE '^time: [0-9.]+ ms$')" 3

SQLQ=".sql SELECT 1 AS n, NULL AS a, '' AS b, 'x,y' AS c"
repl ".mode csv" "$SQLQ"
expect_eq ".mode csv" "$OUT" $'n,a,b,c\r\n1,,,"x,y"\r'
repl ".mode json" "$SQLQ"
expect_eq ".mode json: null vs empty" "$(printf '%s' "$OUT" | json 'd[0]["a"], d[0]["b"]')" "None "
repl ".mode line" "$SQLQ"
expect_match ".mode line: NULL" "$OUT" "a = NULL"
expect_match ".mode line: empty" "$OUT" $'b = \n'
repl ".mode markdown" "$SQLQ"
expect_match ".mode markdown: header" "$OUT" '^\| n \| a \| b \| c \|'
expect_match ".mode markdown: rule" "$OUT" '\| --- \| --- \| --- \| --- \|'
expect_match ".mode markdown: NULL is -, empty is empty" "$OUT" '\| 1 \| - \|  \| x,y \|'
repl ".mode table" "$SQLQ"
expect_match ".mode table: NULL is -" "$OUT" '1  -'
repl ".mode nosuch"
expect_eq ".mode nosuch: usage error" "$RC" 2
expect_match ".mode nosuch: says which" "$ERR" "unknown format 'nosuch'"

# .find and heed.find agree with the store
WANT=$(sql "SELECT email FROM contacts WHERE stage = 'lead' AND score >= 30 ORDER BY score DESC, id LIMIT 5")
repl ".find stage=lead min-score=30 limit=5 --format csv"
expect_eq ".find: the rows" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f2)" "$WANT"
repl ".find stage=lead min_score=30 limit=5 --format csv"
expect_eq ".find min_score= (the Lua spelling): the same rows" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f2)" "$WANT"
repl "for _, r in ipairs(heed.find{stage='lead', min_score=30, limit=5}) do print(r.email) end"
expect_eq "heed.find: the rows" "$OUT" "$WANT"
repl ".find stage=nosuch"
expect_eq ".find bad stage: usage error" "$RC" 2
expect_match ".find bad stage: says so" "$ERR" "unknown stage 'nosuch'"
repl ".find prospect"
expect_match ".find without key=value: says so" "$ERR" "not key=value"

# .export
repl ".export $T/leads.csv --stage lead"
expect_eq ".export: status 0" "$RC" 0
expect_eq ".export: every lead" "$(($(wc -l < "$T/leads.csv") - 1))" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'lead'")"

# heed.get / heed.why / heed.score
EMAIL=$(sql "SELECT email FROM contacts WHERE stage = 'lead' ORDER BY id LIMIT 1")
repl "= heed.get('$EMAIL').stage" "= #heed.why('$EMAIL')" "= heed.run('.show $EMAIL')"
expect_match "heed.get" "$OUT" "^lead"
NCRIT=$("$HEED" why "$EMAIL" --format json | json 'len(d)')
expect_match "heed.why: every criterion" "$OUT" $'\n'"$NCRIT"$'\n'
expect_match "heed.run ran .show" "$OUT" "contact [0-9]+"
repl "= heed.run('')" "= heed.run('.')" "= heed.run('  ')"
expect_eq "heed.run(''): said plainly, three times" \
	"$(printf '%s\n' "$ERR" | grep -c '^heed: heed.run: empty command$')" 3
expect_nomatch "heed.run(''): no ambiguous list" "$ERR" "ambiguous"
BEFORE=$(store_digest)
repl "= heed.score('$EMAIL')"
expect_eq "heed.score: status 0" "$RC" 0
expect_eq "heed.score does not write" "$(store_digest)" "$BEFORE"

# .sql: read-only even through tricks
for q in "DELETE FROM contacts" "WITH x AS (SELECT 1) DELETE FROM contacts" "SELECT 1; DELETE FROM contacts"; do
	repl ".sql $q"
	expect_eq ".sql refuses: $q" "$RC" 2
done
expect_eq ".sql left the store as it was" "$(store_digest)" "$BEFORE"
# terminal escapes in stored data do not reach the terminal through Lua values
run add email=esc@hostile.example "title="$'\e[31mred\e[0m'
expect_eq "hostile contact added" "$RC" 0
repl "= heed.get('esc@hostile.example').title" "= heed.get('esc@hostile.example')" ".find --format table"
expect_match "the title is shown" "$OUT" "red"
CHECKS=$((CHECKS + 1))
! printf '%s' "$OUT" | grep -q $'\x1b' || fail "an escape code reached the output"
finish
