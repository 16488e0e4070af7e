#!/usr/bin/env bash
# demo: `heed demo` in a fresh directory builds heed-demo.db, scores, advances
# and prints a pipeline with all six stages and today's list; it is the same
# every run (HEED_NOW is fixed); it never writes into an existing store that is
# not a demo store.
. "$(dirname "$0")/lib.sh"

STAGES="lead prospect opportunity won lost disqualified"

# ---- a fresh directory ----
mkdir -p "$T/one" && cd "$T/one" || exit 1
run demo
expect_eq "demo exit status" "$RC" 0
expect_eq "demo writes nothing to stderr" "$ERR" ""
[ -f heed-demo.db ] || fail "demo did not create ./heed-demo.db"
expect_match "demo says what it built" "$OUT" "^demo store heed-demo\.db: 160 contacts at 12 organisations"
first_out=$OUT
DEMO_DB="$T/one/heed-demo.db"
# HEED_DB (set by lib.sh) is not the demo's store and stays untouched.
CHECKS=$((CHECKS + 1))
[ -e "$HEED_DB" ] && fail "demo wrote to \$HEED_DB ($HEED_DB)"

# The pipeline section: one row per stage, and each count is what the store holds.
pipeline=$(printf '%s\n' "$OUT" | sed -n '/^pipeline:$/,/^lead → won/p')
expect_match "a pipeline section" "$pipeline" "^stage +count +reached +conversion +median_days"
total=0
for st in $STAGES; do
	row=$(printf '%s\n' "$pipeline" | grep -E "^$st +[0-9]+" || true)
	CHECKS=$((CHECKS + 1))
	[ -n "$row" ] || { fail "pipeline has no '$st' row"; continue; }
	printed=$(printf '%s\n' "$row" | awk '{print $2}')
	stored=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT count(*) FROM contacts WHERE stage = '$st'")
	expect_eq "pipeline count of $st matches the store" "$printed" "$stored"
	total=$((total + printed))
done
expect_eq "pipeline counts add up to all demo contacts" "$total" 160
won=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT count(*) FROM contacts WHERE stage = 'won'")
expect_match "lead → won line" "$pipeline" "^lead → won: $won of 160 "
CHECKS=$((CHECKS + 1))
[ "$won" -gt 0 ] || fail "the demo should have won deals in its history (got $won)"

# advance moved somebody, and each printed move is in the history as actor advance.
moves=$(printf '%s\n' "$OUT" | grep -cE '^[0-9]+ [^ ]+: [a-z]+ → [a-z]+ \(' || true)
adv=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT count(*) FROM stage_history WHERE actor = 'advance'")
expect_eq "printed advance moves == advance history rows" "$moves" "$adv"
CHECKS=$((CHECKS + 1))
[ "$moves" -gt 0 ] || fail "demo advanced nobody"

# Today's list: opportunities first, then prospects, each from the store.
today=$(printf '%s\n' "$OUT" | sed -n '/^today:$/,$p')
expect_match "a today section" "$today" "^stage +id +name +organisation +score +value +next step"
opp=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT min(count(*), 20) FROM contacts WHERE stage = 'opportunity'")
pro=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT min(count(*), 20) FROM contacts WHERE stage = 'prospect'")
expect_eq "today lists the opportunities" "$(printf '%s\n' "$today" | grep -cE '^opportunity +[0-9]+ ')" "$opp"
expect_eq "today lists the prospects" "$(printf '%s\n' "$today" | grep -cE '^prospect +[0-9]+ ')" "$pro"
CHECKS=$((CHECKS + 1))
[ "$opp" -gt 0 ] && [ "$pro" -gt 0 ] || fail "today's list should have opportunities and prospects ($opp, $pro)"
order=$(printf '%s\n' "$today" | grep -E '^(opportunity|prospect) +[0-9]+ ' | awk '{print $1}' | uniq | tr '\n' ' ')
expect_eq "opportunities come before prospects" "$order" "opportunity prospect "
leads=$(sqlite3 -batch -noheader "$DEMO_DB" "SELECT count(*) FROM contacts WHERE stage = 'lead'")
expect_match "today ends with the nurtured leads" "$today" "^$leads leads are left to automation"

# ---- deterministic: the same run again, here and in another fresh directory ----
digest1=$(sqlite3 "$DEMO_DB" .dump | sha256sum | cut -d' ' -f1)
run demo
expect_eq "second demo exit status" "$RC" 0
expect_eq "second demo prints the same" "$OUT" "$first_out"
digest2=$(sqlite3 "$DEMO_DB" .dump | sha256sum | cut -d' ' -f1)
expect_eq "second demo builds the same store" "$digest2" "$digest1"
mkdir -p "$T/two" && cd "$T/two" || exit 1
run demo
expect_eq "demo elsewhere: exit status" "$RC" 0
expect_eq "demo elsewhere prints the same" "$OUT" "$first_out"
expect_eq "demo elsewhere builds the same store" "$(sqlite3 heed-demo.db .dump | sha256sum | cut -d' ' -f1)" "$digest1"

# ---- --db at an existing store that is not a demo store: refused, untouched ----
# refused_untouched WHAT STORE: STORE holds one real contact; demo must refuse it.
refused_untouched() {
	local what=$1 db=$2 dir
	dir=$(dirname "$db")
	mkdir -p "$dir"
	"$HEED" --db "$db" add email=real@customer.example first_name=Real >/dev/null ||
		fail "$what: could not make a real store"
	"$HEED" --db "$db" event real@customer.example call --at 2026-11-30 >/dev/null
	local rows bytes files
	rows=$(sqlite3 "$db" .dump | sha256sum | cut -d' ' -f1)
	bytes=$(sha256sum <"$db")
	files=$(ls -A "$dir")
	run --db "$db" demo
	expect_eq "$what: demo exit status" "$RC" 1
	expect_match "$what: says why" "$ERR" "^heed: demo: .*$(basename "$db")"
	expect_eq "$what: nothing on stdout" "$(printf '%s\n' "$OUT" | head -n 1)" ""
	expect_eq "$what: store rows unchanged" "$(sqlite3 "$db" .dump | sha256sum | cut -d' ' -f1)" "$rows"
	expect_eq "$what: store bytes unchanged" "$(sha256sum <"$db")" "$bytes"
	expect_eq "$what: no file made or removed beside it" "$(ls -A "$dir")" "$files"
	expect_eq "$what: the real contact is still the only one" \
		"$(sqlite3 -batch -noheader "$db" "SELECT count(*) || ' ' || min(email) FROM contacts")" "1 real@customer.example"
}

# A path with no "demo" in it anywhere (outside $T, whose name may contain it).
plain=$(mktemp -d "${TMPDIR:-/tmp}/heed-e2e.XXXXXX") || exit 1
case "$plain" in *demo*) fail "mktemp gave a path with 'demo' in it: $plain" ;; esac
refused_untouched "real store" "$plain/customers.db"
# The same store in a folder whose name says demo: the store is still not a demo store.
refused_untouched "real store in a 'demo' folder" "$T/demo-project/customers.db"
# A store is a demo store by what it holds, not by its file name.
refused_untouched "real store named like a demo" "$T/crm/demo-customers.db"

# Not a store at all: refused too, the file is left as it was.
for f in "$plain/notes.txt" "$T/demo-project/notes.txt"; do
	printf 'my notes\n' >"$f"
	run --db "$f" demo
	expect_eq "demo on a plain file ($f): exit status" "$RC" 1
	expect_eq "the plain file is untouched ($f)" "$(head -c 40 "$f" | tr -cd '[:print:]')" "my notes"
done
rm -rf "$plain"

finish
