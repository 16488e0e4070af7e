#!/usr/bin/env bash
# import_plan: `heed import --plan` lists what each row would do and changes
# nothing; the import then does exactly that. --skip-bad --reject, --on-match,
# --keep, and the reader's encodings (latin-1, utf-16), CR-only line ends and
# a detected '|' delimiter.
. "$(dirname "$0")/lib.sh"

cat >"$T/base.csv" <<'CSV'
email,first_name,title,company
ann@nordlicht.example,Ann,Analyst,Nordlicht GmbH
bo@fjord.example,Bo,CTO,Fjord AS
CSV
run import "$T/base.csv" --map generic
expect_eq "base: exit" "$RC" 0

cat >"$T/next.csv" <<'CSV'
email,first_name,title,company
ann@nordlicht.example,Ann,Head of Data,Nordlicht GmbH
bo@fjord.example,Bo,CTO,Fjord AS
cy@fjord.example,Cy,,Fjord AS
CY@fjord.example ,Cy,Engineer,Fjord AS
,,,
dee@fjord.example,Dee,"unterminated
CSV
before=$(store_digest)
run import "$T/next.csv" --map generic --plan
expect_eq "plan: exit (a bad row: the import would fail)" "$RC" 1
expect_eq "plan: rows" "$(printf '%s\n' "$OUT" | cut -d, -f1,2,3 | paste -sd' ')" \
	"line,action,contact 2,update,1 3,skip,2 4,create,3 5,merge,3 6,skip, 7,error,"
expect_match "plan: update reason" "$OUT" "2,update,1,matches contact 1 by email 'ann@nordlicht.example'; 1 change"
expect_match "plan: unchanged reason" "$OUT" "3,skip,2,matches contact 2 by email 'bo@fjord.example'; nothing to change"
expect_match "plan: merge reason" "$OUT" "5,merge,3,same email 'cy@fjord.example' as an earlier row \(contact 3\)"
expect_match "plan: empty row" "$OUT" "6,skip,,every cell is empty or a placeholder"
expect_match "plan: error reason" "$OUT" "7,error,,.*line 7: unterminated quote starting on line 7"
expect_match "plan: summary on stderr" "$ERR" "plan for .*next.csv with map generic: 6 rows, 1 created"
expect_match "plan: says nothing changed" "$ERR" "nothing was changed: this was a plan"
expect_eq "plan: store unchanged" "$(store_digest)" "$before"

run import "$T/next.csv" --map generic --plan --format json --out "$T/plan.json"
expect_eq "plan json: actions" "$(json "' '.join(r['action'] for r in d)" <"$T/plan.json")" \
	"update skip create merge skip error"
expect_eq "plan json: contacts" "$(json "[r['contact'] for r in d]" <"$T/plan.json")" "[1, 2, 3, 3, None, None]"
expect_match "plan json: summary on stdout" "$OUT" "plan for"
expect_eq "plan json: store unchanged" "$(store_digest)" "$before"

# the import does what the plan said, and writes the rejects
run import "$T/next.csv" --map generic --skip-bad --reject "$T/rejects.csv"
expect_eq "import: exit" "$RC" 0
expect_match "import: summary" "$OUT" "6 rows, 1 created, 2 matched existing contacts \(1 updated, 1 unchanged\), 1 merged with an earlier row of the file, .* 1 skipped, 1 bad \(left out\)"
expect_nomatch "import: the merged row is not an existing contact" "$OUT" "3 matched existing"
expect_eq "import: contacts" "$(sql "SELECT id || ':' || email || ':' || coalesce(title, '') FROM contacts ORDER BY id" | paste -sd' ')" \
	"1:ann@nordlicht.example:Head of Data 2:bo@fjord.example:CTO 3:cy@fjord.example:Engineer"
expect_eq "import: reject file" "$(head -1 "$T/rejects.csv"; cut -d, -f1 "$T/rejects.csv" | tail -n +2)" "line,reason
7"
expect_match "import: reject reason" "$(cat "$T/rejects.csv")" "unterminated quote starting on line 7"
expect_eq "import: change history has its source" \
	"$(sql "SELECT json_extract(data, '\$.field') || '|' || json_extract(data, '\$.old') || '|' || json_extract(data, '\$.new') || '|' || json_extract(data, '\$.source') FROM activities WHERE contact_id = 1 AND kind = 'field_change'")" \
	"title|Analyst|Head of Data|import:generic next.csv:2"

# --on-match
printf 'email,title\nann@nordlicht.example,CEO\nnew@fjord.example,Intern\n' >"$T/match.csv"
before=$(store_digest)
run import "$T/match.csv" --map generic --on-match fail
expect_eq "on-match fail: exit" "$RC" 1
expect_match "on-match fail: says which contact" "$ERR" "match.csv:2: matches existing contact 1 by email 'ann@nordlicht.example' \(--on-match fail\)"
expect_eq "on-match fail: nothing stored" "$(store_digest)" "$before"
run import "$T/match.csv" --map generic --on-match skip
expect_eq "on-match skip: exit" "$RC" 0
expect_match "on-match skip: summary" "$OUT" "2 rows, 1 created, 1 matched existing contact \(0 updated, 0 unchanged, 1 skipped\), .* 1 skipped"
expect_eq "on-match skip: title kept" "$(sql "SELECT title FROM contacts WHERE id = 1")" "Head of Data"
# a rolled-back import (a bad row, all-or-nothing) created nothing: it says so
printf 'email,title\nfresh@fjord.example,Intern\nbad@fjord.example,"open\n' >"$T/rollback.csv"
before=$(store_digest)
run import "$T/rollback.csv" --map generic
expect_eq "rollback: exit" "$RC" 1
expect_match "rollback: summary" "$OUT" "rolled back the import of .*: 2 rows, would have created 1, .*; nothing was imported$"
expect_nomatch "rollback: no plain created count" "$OUT" " 1 created"
expect_eq "rollback: nothing stored" "$(store_digest)" "$before"
run import "$T/match.csv" --map generic --on-match sometimes
expect_eq "on-match bad value: usage" "$RC" 2
# --keep: a field that is only filled, never overwritten
printf 'email,title,phone\nann@nordlicht.example,CEO,+49 1\n' >"$T/keep.csv"
run import "$T/keep.csv" --map generic --keep title,phone
expect_eq "keep: exit" "$RC" 0
expect_eq "keep: title kept, phone filled" "$(sql "SELECT title || '|' || phone FROM contacts WHERE id = 1")" "Head of Data|+49 1"
run import "$T/keep.csv" --map generic --keep nosuch
expect_eq "keep: unknown field" "$RC" 2

# ---- encodings and line ends ----
export HEED_DB="$T/enc.db"
printf 'email|first_name|company\rj@stahl.example|J\xfcrgen|Stahlwerk S\xfcd\r' >"$T/latin1.csv"
run import "$T/latin1.csv" --map generic
expect_eq "latin-1 without option: refused" "$RC" 1
expect_match "latin-1 without option: where" "$ERR" "latin1.csv: line 2: invalid UTF-8 at byte offset 42 \(field 2\)"
run import "$T/latin1.csv" --map generic --encoding latin-1
expect_eq "latin-1: exit" "$RC" 0
expect_eq "latin-1: '|' detected, CR line ends, converted" \
	"$(sql "SELECT c.first_name || '/' || o.name FROM contacts c JOIN organisations o ON o.id = c.org_id")" "Jürgen/Stahlwerk Süd"
printf 'email;first_name\r\nk@utf16.example;Käthe\r\n' | iconv -f utf-8 -t utf-16 >"$T/utf16.csv"
run import "$T/utf16.csv" --map generic --encoding utf-16
expect_eq "utf-16: exit" "$RC" 0
expect_eq "utf-16: stored" "$(sql "SELECT first_name FROM contacts WHERE email = 'k@utf16.example'")" "Käthe"
printf 'email,first_name\nx@y.example,X\n' >"$T/nobom.csv"
run import "$T/nobom.csv" --map generic --encoding utf-16
expect_eq "utf-16 without BOM: refused" "$RC" 1
expect_match "utf-16 without BOM: says so" "$ERR" "needs a file that starts with a UTF-16 byte order mark"
run import "$T/nobom.csv" --map generic --encoding ebcdic
expect_eq "unknown encoding: usage" "$RC" 2

# ---- acceptance: --plan on Leads.csv leaves the store's checksum unchanged ----
if [ -d "$DATA/x-education-leads" ]; then
	export HEED_DB="$T/xedu.db"
	L="$DATA/x-education-leads/Leads.csv"
	"$HEED" import "$L" --map xedu >/dev/null
	head -4000 "$L" >"$T/half.csv"
	"$HEED" import "$T/half.csv" --map xedu >/dev/null
	rm -f "$HEED_DB" "$HEED_DB-wal" "$HEED_DB-shm"
	"$HEED" import "$T/half.csv" --map xedu >/dev/null
	before=$(store_digest)
	sum_before=$(sha256sum <"$HEED_DB")
	run import "$L" --map xedu --plan --out "$T/xplan.csv"
	expect_eq "xedu plan: exit" "$RC" 0
	expect_eq "xedu plan: store unchanged (rows)" "$(store_digest)" "$before"
	expect_eq "xedu plan: store file unchanged" "$(sha256sum <"$HEED_DB")" "$sum_before"
	expect_eq "xedu plan: actions" "$(tail -n +2 "$T/xplan.csv" | cut -d, -f2 | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
		"create=5241 skip=3999"
	run import "$L" --map xedu
	expect_match "xedu: the import does what the plan said" "$OUT" "9240 rows, 5241 created, 3999 matched existing contacts \(0 updated, 3999 unchanged\)"
else
	echo "SKIP part: $DATA/x-education-leads is not there (the shared data sets live beside the project)"
fi
finish
