#!/bin/bash
# output_guard: an output option never overwrites the store or the command's
# input (it is refused before anything is written), and a failing export
# leaves an earlier output file as it was.
. "$(dirname "$0")/lib.sh"

sum() { sha256sum "$1" | cut -d' ' -f1; }

run init
run add email=ann@x.com first_name=Ann
printf 'email,first_name\nbo@fjord.example,Bo\n"cy@fjord.example,Cy\n' >"$T/x.csv"
cp "$T/x.csv" "$T/leads.csv"
db=$(sum "$HEED_DB")

run export --out "$HEED_DB"
expect_eq "export --out store: exit" "$RC" 2
expect_match "export --out store: says why" "$ERR" "^heed: export: --out: refusing to write .*heed.db: it is the store"
expect_eq "export --out store: store unchanged" "$(sum "$HEED_DB")" "$db"

cd "$T" || exit 1
run export --out ./heed.db
expect_eq "export --out ./store: exit" "$RC" 2
run export --out heed.db-wal
expect_eq "export --out store-wal: exit" "$RC" 2
expect_eq "export --out store-wal: not created" "$(ls -A "$T" | grep -c 'heed.db-wal')" 0
expect_eq "export: store unchanged" "$(sum "$HEED_DB")" "$db"
expect_eq "export: no temporary files left" "$(ls -A "$T" | grep -c '^\..*heed-')" 0

run -c '.export heed.db'
expect_eq "repl .export store: exit" "$RC" 2
expect_match "repl .export store: says why" "$ERR" "refusing to write heed.db: it is the store"
expect_nomatch "repl .export store: no 'wrote'" "$OUT" "wrote"
expect_eq "repl .export store: store unchanged" "$(sum "$HEED_DB")" "$db"

run import x.csv --map generic --skip-bad --reject heed.db
expect_eq "import --reject store: exit" "$RC" 2
expect_match "import --reject store: says why" "$ERR" "^heed: import: --reject: refusing to write heed.db: it is the store"
expect_eq "import --reject store: store unchanged" "$(sum "$HEED_DB")" "$db"
expect_eq "import --reject store: one contact" "$(sql "SELECT count(*) FROM contacts")" 1

in=$(sum leads.csv)
run import leads.csv --map generic --plan --out leads.csv
expect_eq "plan --out input: exit" "$RC" 2
expect_match "plan --out input: says why" "$ERR" "^heed: import: --out: refusing to write leads.csv: it is leads.csv"
expect_eq "plan --out input: input unchanged" "$(sum leads.csv)" "$in"
run import leads.csv --map generic --skip-bad --reject "$T/leads.csv"
expect_eq "--reject input: exit" "$RC" 2
expect_eq "--reject input: input unchanged" "$(sum leads.csv)" "$in"
run import leads.csv --map generic --plan --out plan.csv --reject plan.csv
expect_eq "--out and --reject one file: exit" "$RC" 2
expect_eq "everything refused: store unchanged" "$(sum "$HEED_DB")" "$db"

# the outputs still work, and replace an earlier file
echo old >plan.csv
run import leads.csv --map generic --plan --out plan.csv --reject rejects.csv
expect_eq "plan with a bad row: exit" "$RC" 1
expect_match "plan written over the old file" "$(cat plan.csv)" "^line,action"
expect_match "rejects written" "$(cat rejects.csv)" "^line,reason"
run export --out prev.csv
expect_eq "export: exit" "$RC" 0
expect_match "export: written" "$(cat prev.csv)" "ann@x.com"
run -c '.export prev-repl.csv'
expect_eq "repl .export: exit" "$RC" 0
expect_match "repl .export: written" "$(cat prev-repl.csv)" "ann@x.com"

# a failing export leaves the previous output as it was (a store of its own,
# so this part stands whatever happened above)
export HEED_DB="$T/fail.db"
run add email=ann@x.com
echo "email,first_name,earlier" >prev-repl.csv
prev=$(sum prev-repl.csv)
run -c '.export prev-repl.csv --stage nonsense'
expect_eq "failing .export: exit" "$RC" 2
expect_eq "failing .export: old file unchanged" "$(sum prev-repl.csv)" "$prev"
for i in $(seq 1 300); do echo "p$i@x$i.example,Name $i with some padding to fill pages"; done |
	sed '1i email,first_name' >many.csv
run import many.csv --map generic
run export --out prev.csv
prev=$(sum prev.csv)
sqlite3 "$HEED_DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
page=$(sqlite3 "$HEED_DB" "SELECT pageno FROM dbstat WHERE name = 'contacts' AND pagetype = 'leaf' ORDER BY pageno DESC LIMIT 1")
psize=$(sqlite3 "$HEED_DB" 'PRAGMA page_size')
expect_match "a leaf page of contacts to damage" "$page" "^[0-9]+$"
if [ -n "$page" ]; then
	# a damaged page of contacts: the export fails after the output was opened
	dd if=/dev/zero bs="$psize" seek=$((page - 1)) count=1 conv=notrunc of="$HEED_DB" 2>/dev/null
	run export --out prev.csv
	expect_eq "failing export: exit" "$RC" 1
	expect_eq "failing export: old file unchanged" "$(sum prev.csv)" "$prev"
	expect_eq "failing export: no temporary file left" "$(ls -A "$T" | grep -c '^\..*heed-')" 0
fi

finish
