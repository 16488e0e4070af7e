#!/usr/bin/env bash
# hotswap: plugins replaced between and during runs. `heed plugins reload`
# reports what is active; a score --all that runs while the plugin file is
# rewritten (atomically, as editors and git do) scores every contact with one
# version, all old or all new, and records that version set on each contact.
# The long-running case (a rewrite seen within 2 s, a broken rewrite keeping the
# old version) is unit.test_reload's test_under_load.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
# version N gives every contact N points; "spin" makes a run take a while
write_v() {
	cat >"$P/.vv.tmp" <<LUA
return { name = "vv", version = "$1", api = 1,
  score = function(c)
    local x = 0
    for i = 1, ${2:-1} do x = x + i end
    return { { name = "v", points = $1 } }
  end }
LUA
	mv "$P/.vv.tmp" "$P/vv.lua"
}
write_v 1
python3 -c "
print('email,first name')
for i in range(10000): print(f'h{i}@swap.example,N{i}')" >"$T/c.csv"
"$HEED" import "$T/c.csv" --map generic >/dev/null || fail "import"

run --plugins "$P" score --all
expect_eq "v1: scored" "$RC" 0
expect_eq "v1: every score is 1" "$(sql "SELECT group_concat(DISTINCT score) FROM contacts")" "1.0"
expect_eq "v1: audit" "$(sql "SELECT group_concat(DISTINCT p.versions) FROM contacts c JOIN plugin_sets p ON p.id = c.score_set")" "vv@1"

# a rewrite, reloaded between runs
write_v 2
run --plugins "$P" plugins reload vv
expect_eq "reload: ok" "$RC" 0
expect_match "reload: says which version" "$OUT" "^loaded vv 2 \("
run --plugins "$P" score --all
expect_eq "v2: every score is 2" "$(sql "SELECT group_concat(DISTINCT score) FROM contacts")" "2.0"
expect_eq "v2: audit" "$(sql "SELECT group_concat(DISTINCT p.versions) FROM contacts c JOIN plugin_sets p ON p.id = c.score_set")" "vv@2"
run --plugins "$P" show h5@swap.example
expect_match "show: made by" "$OUT" "made by plugins: vv@2"

# a broken rewrite: reload says so and exits 1
printf 'return { name = "vv", version = "3" score = 1 }\n' >"$P/vv.lua"
run --plugins "$P" plugins reload vv
expect_eq "broken: exit 1" "$RC" 1
expect_match "broken: where" "$ERR" "plugin 'vv' \(.*vv\.lua:1\): '}' expected near 'score'"
run --plugins "$P" plugins check "$P/vv.lua"
expect_eq "check broken: exit 1" "$RC" 1
write_v 2

# rewrites while score --all runs: each run is one version, never a mix
for round in 1 2 3; do
	write_v $((round + 2)) 200
	( for k in $(seq 10 30); do write_v "$k" 200; sleep 0.02; done ) &
	writer=$!
	run --plugins "$P" score --all
	wait "$writer"
	expect_eq "during swap $round: exit" "$RC" 0
	expect_eq "during swap $round: one score for all" "$(sql "SELECT count(DISTINCT score) FROM contacts")" 1
	expect_eq "during swap $round: one version set for all" "$(sql "SELECT count(DISTINCT score_set) FROM contacts")" 1
	expect_eq "during swap $round: the set is the version scored" \
		"$(sql "SELECT DISTINCT 'vv@' || CAST(c.score AS INTEGER) = p.versions FROM contacts c JOIN plugin_sets p ON p.id = c.score_set")" 1
done
expect_eq "integrity" "$(sql "PRAGMA integrity_check")" "ok"
finish
