#!/usr/bin/env bash
# hostile_plugins: every hostile plugin of tests/fixtures/hostile, loaded beside
# the default plugins while heed scores 10,000 contacts. For each: heed
# neither crashes nor hangs, exits 1, names the plugin and what happened, the
# other plugins' scores are exactly those of a run without it, and the store
# passes PRAGMA integrity_check. `timeout` only guards against a hang.
. "$(dirname "$0")/lib.sh"

FIX="$SRC/tests/fixtures/hostile"
python3 -c "
import random
random.seed(7)
titles = ['VP Sales', 'CEO', 'Intern', 'Head of Marketing', 'Engineer', 'CFO', '']
print('email,first name,last name,title,company,employees,country,industry')
for i in range(10000):
    print(f'c{i}@h{i % 97}.example,F{i},L{i},{random.choice(titles)},Org{i % 300},{random.choice([5, 50, 250, 2000])},'
          f'{random.choice([\"DE\", \"US\", \"FR\", \"BR\"])},{random.choice([\"Software\", \"Retail\", \"Finance\"])}')
" >"$T/c.csv"
"$HEED" import "$T/c.csv" --map generic >/dev/null || fail "import"
expect_eq "10,000 contacts" "$(sql "SELECT count(*) FROM contacts")" 10000
run score --all
expect_eq "baseline score: ok" "$RC" 0
scores() { sql "SELECT id, score, score_parts FROM contacts ORDER BY id" | sha256sum | cut -d' ' -f1; }
BASE=$(scores)
expect_nomatch "baseline: contacts differ" "$(sql "SELECT count(DISTINCT score) FROM contacts")" "^[01]$"

# fixture → what heed must say happened
declare -A WHAT=(
	[loop]="instruction budget exceeded \(10000000 instructions per call\)"
	[pcall_retry]="instruction budget exceeded \(10000000 instructions per call\)"
	[mem_rep]="memory limit exceeded \(64 MB per plugin\)"
	[mem_table]="memory limit exceeded \(64 MB per plugin\)"
	[binary_load]="attempt to load a binary chunk \(mode is 't'\)"
	[os_execute]="attempt to call a nil value \(field 'execute'\)"
	[io_open]="attempt to index a nil value \(global 'io'\)"
	[require_c]="require 'lsqlite3': no module .*lib folder only\)"
	[loadlib]="attempt to index a nil value \(global 'package'\)"
	[dofile]="attempt to call a nil value \(global 'dofile'\)"
	[loadfile]="attempt to call a nil value \(global 'loadfile'\)"
	[tostring_error]="\(error object is a table value\)"
	[index_error]="score must return a plain table, not one with a metatable"
	[score_nan]="part 1 'nan' points -?nan is not a finite number"
	[score_inf]="part 1 'inf' points inf is not a finite number"
	[score_neginf]="part 1 'neginf' points -inf is not a finite number"
	[score_string]="score must return an array of parts .*got string"
	[score_nil]="part 1: points must be a number, got nil"
	[score_selfref]="part 1: points must be a number, got table"
	[recursion]="stack overflow"
	[coro_recursion]="C stack overflow"
	[yield]="attempt to yield across a C-call boundary"
)

# where in the plugin it happened, when one line is the right answer
declare -A LINE=([loop]=4 [pcall_retry]=5 [mem_rep]=5 [mem_table]=6 [binary_load]=4 [tostring_error]=4)

n=0
for f in "$FIX"/*.lua; do
	name=$(basename "$f" .lua)
	P="$T/p-$name"
	mkdir -p "$P"
	cp "$SRC"/plugins/*.lua "$f" "$P/"
	cp -r "$SRC"/plugins/lib "$P/" # the shipped maps require its modules
	# the instruction budget, not the clock, must stop the loops, however slow
	# the machine (a sanitizer build on shared cores); test_limits tests the clock
	echo "* time_ms 600000" >"$P/limits.conf"
	OUT=$(timeout 300 "$HEED" --plugins "$P" score --all 2>"$T/err"); RC=$?
	ERR=$(cat "$T/err")
	n=$((n + 1))
	expect_eq "integrity after $name" "$(sql "PRAGMA integrity_check")" "ok"
	expect_eq "$name: others' scores unchanged" "$(scores)" "$BASE"
	expect_match "$name: all scored" "$OUT" "^scored 10000 contacts"
	if [ "$name" = tamper ]; then # succeeds, but only in its own state
		expect_eq "$name: exit" "$RC" 0
		continue
	fi
	expect_eq "$name: exit 1, no crash or hang" "$RC" 1
	expect_match "$name: named, with what happened" "$ERR" \
		"^heed: plugin '$name' \(.*$name\.lua:${LINE[$name]:-[0-9]+}\) in score: ${WHAT[$name]} \(contact [0-9]+ <"
	expect_match "$name: failures per plugin" "$ERR" \
		"heed: plugin '$name' 1: 10000 failed calls; the first: plugin '$name'"
	expect_nomatch "$name: no other plugin failed" "$ERR" "plugin '(score|qualify)'"
done
expect_eq "every fixture ran" "$n" "$(ls "$FIX"/*.lua | wc -l)"
[ ! -e /tmp/heed-pwned ] || fail "a plugin escaped the sandbox (/tmp/heed-pwned exists)"

# a yield from inside a criterion fails that check, and only that plugin's
P="$T/p-yield"
run --plugins "$P" why 1 prospect
expect_match "yield in a criterion: named" "$ERR" \
	"plugin 'yield' \(.*yield\.lua:[0-9]+\) in criteria.prospect.yields: attempt to yield from outside a coroutine"
expect_eq "integrity at the end" "$(sql "PRAGMA integrity_check")" "ok"
finish
