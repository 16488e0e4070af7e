#!/bin/bash
# repl_ctrlc_unchanged: Ctrl-C (SIGINT) during a REPL `.score --all` whose
# scores do not change stops the pass at the next chunk and says
# "interrupted", as it does when they change (found by the hostile pass: with
# nothing to write it ran to the end). The stored scores stay as they were.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/fast" "$T/slow"
cp "$SRC/tests/bench/plugins/bench.lua" "$T/fast/"
# the same rule, name and version, a little slower per contact: the parts it
# finds are the stored ones
sed 's/^local function score(c, add)$/local function score(c, add)\n  local spin = 0\n  for i = 1, 40000 do spin = spin + i end/' \
	"$SRC/tests/bench/plugins/bench.lua" > "$T/slow/bench.lua"
grep -q "spin = spin" "$T/slow/bench.lua" || fail "the slow plugin was not made"
python3 "$SRC/tests/bench/gen.py" -n 40000 -o "$T/c.csv" || fail "generating the CSV"
"$HEED" --plugins "$T/fast" import "$T/c.csv" --map bench >/dev/null || fail "import"
"$HEED" --plugins "$T/fast" score --all >/dev/null || fail "first score"
before=$(sql "SELECT total(score) || ' ' || count(score_parts) FROM contacts")

# how long the whole pass takes with the slow plugin, on this machine now
start=$(date +%s.%N)
echo ".score --all" | "$HEED" --plugins "$T/slow" repl >"$T/full.out" 2>"$T/full.err"
full=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
expect_match "the full pass changes nothing" "$(cat "$T/full.out")" "scored 40000 contacts \(0 changed\)"

# the same pass, interrupted a quarter of the way in
wait_s=$(python3 -c "print(max(0.3, $full / 4))")
start=$(date +%s.%N)
mkfifo "$T/in"
"$HEED" --plugins "$T/slow" repl <"$T/in" >"$T/int.out" 2>"$T/int.err" &
pid=$!
exec 3>"$T/in"
echo ".score --all" >&3
sleep "$wait_s"
kill -INT "$pid"
exec 3>&-
wait "$pid"
took=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(date +%s.%N)")
expect_match "interrupted: said" "$(cat "$T/int.err")" "interrupted"
expect_nomatch "interrupted: no summary of a whole pass" "$(cat "$T/int.out")" "scored 40000"
expect_eq "stopped well before the end ($took s of a $full s pass)" \
	"$(python3 -c "print($took < $wait_s + 0.6 * ($full - $wait_s))")" True
expect_eq "scores as they were" "$(sql "SELECT total(score) || ' ' || count(score_parts) FROM contacts")" "$before"
expect_eq "store intact" "$(sql "PRAGMA integrity_check")" ok
finish
