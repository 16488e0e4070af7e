#!/usr/bin/env bash
# import_bulk_diff: differential test of the bulk import path. 40 files of
# random rows (fixed seed) draw emails and external ids from small pools, in
# varied case and spacing, some empty, so rows merge, clash and switch to the
# indexed path at random places. Each file is imported into an empty store
# (bulk path) and into a store holding one unrelated contact (indexed path
# throughout); the exit status, the stored contacts, their timelines, the
# report and the messages must be the same.
. "$(dirname "$0")/lib.sh"

python3 - "$T" <<'EOF'
import random, sys
rnd = random.Random(20261203)
emails = ["ana@acme.example", "bo@beta.example", "cy@acme.example", "di@delta.example", "ed@gmail.com"]
ids = ["A-1", "A-2", "A-3", "B-7"]
def vary(e):
    return rnd.choice([e, e.upper(), " " + e, e + " ", e.capitalize()])
for n in range(40):
    rows = ["id,email,first_name,title,company"]
    for i in range(rnd.randint(2, 14)):
        eid = rnd.choice(ids + [""] * 2) if n % 3 else ""
        em = vary(rnd.choice(emails)) if rnd.random() < 0.8 else ""
        rows.append(",".join([eid, em, rnd.choice(["Ana", "Bo", "", "Cy"]),
                              rnd.choice(["CTO", "", "Engineer", "Head of Data"]),
                              rnd.choice(["Acme", "Beta GmbH", "", "ACME"])]))
    open(f"{sys.argv[1]}/r{n}.csv", "w").write("\n".join(rows) + "\n")
EOF

contacts() {
	sqlite3 -batch -noheader "$1" "SELECT email, source, external_id, first_name, title,
	  (SELECT name FROM organisations o WHERE o.id = org_id), stage,
	  (SELECT count(*) FROM activities a WHERE a.contact_id = c.id)
	  FROM contacts c WHERE email IS NOT 'seed@example.org' ORDER BY id"
}
norm() { sed 's/contact [0-9]*/contact N/g; s/with map [a-z]*//'; }
cols=(--col external_id=id --col email=email --col first_name=first_name --col title=title --col org.name=company)
ok=0 failed=0
for n in $(seq 0 39); do
	f="r$n.csv"
	for mode in "" --skip-bad; do
		rm -f "$T/b.db"* "$T/i.db"*
		"$HEED" --db "$T/i.db" add email=seed@example.org >/dev/null
		bo=$("$HEED" --db "$T/b.db" import "$f" "${cols[@]}" $mode 2>"$T/b.err")
		brc=$?
		io=$("$HEED" --db "$T/i.db" import "$f" "${cols[@]}" $mode 2>"$T/i.err")
		irc=$?
		expect_eq "$f $mode: exit status" "$brc" "$irc"
		expect_eq "$f $mode: contacts" "$(contacts "$T/b.db")" "$(contacts "$T/i.db")"
		expect_eq "$f $mode: report" "$(printf '%s' "$bo" | norm)" "$(printf '%s' "$io" | norm)"
		expect_eq "$f $mode: messages" "$(norm <"$T/b.err")" "$(norm <"$T/i.err")"
		expect_eq "$f $mode: integrity" "$(sqlite3 "$T/b.db" 'PRAGMA integrity_check')" "ok"
		[ "$brc" = 0 ] && ok=$((ok + 1))
		[ "$brc" = 1 ] && failed=$((failed + 1))
	done
done
# the pools must give both outcomes (clean merges, clashes), or the test proves little
CHECKS=$((CHECKS + 1))
[ "$ok" -ge 10 ] && [ "$failed" -ge 10 ] || fail "too one-sided: $ok imports passed, $failed failed"
echo "imports that passed: $ok, refused: $failed"
finish
