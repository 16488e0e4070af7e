#!/usr/bin/env bash
# crash_safety: an import killed with kill -9 at several points leaves the
# store either exactly as it was or fully imported, never partly, and
# PRAGMA integrity_check passes. 100,000 generated rows (the 1M-row run is in
# tests/bench/import2.sh); the kill times are spread over the import.
. "$(dirname "$0")/lib.sh"

N=100000
python3 "$SRC/tests/bench/gen.py" -n "$N" -o "$T/big.csv" || { echo "SKIP: cannot generate the CSV"; exit 77; }
export HEED_PLUGINS="$SRC/tests/bench/plugins"
head -1001 "$T/big.csv" >"$T/first.csv"

outcomes=""
for delay in 0.05 0.2 0.4 0.8 1.5 3; do
	export HEED_DB="$T/crash-$delay.db"
	"$HEED" import "$T/first.csv" --map bench >/dev/null
	before=$(store_digest)
	"$HEED" import "$T/big.csv" --map bench >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	expect_eq "kill after ${delay}s: integrity" "$(sql "PRAGMA integrity_check")" ok
	n=$(sql "SELECT count(*) FROM contacts")
	if [ "$n" = 1000 ]; then
		expect_eq "kill after ${delay}s: unchanged" "$(store_digest)" "$before"
		outcomes="$outcomes unchanged"
	else
		expect_eq "kill after ${delay}s: complete, never partial" "$n" "$N"
		expect_eq "kill after ${delay}s: stage counts match" "$(sql "SELECT sum(n) FROM stage_counts")" "$N"
		outcomes="$outcomes complete"
	fi
	# the store still works: a re-import completes and changes nothing new
	run import "$T/first.csv" --map bench
	expect_match "kill after ${delay}s: store usable" "$OUT" "1000 rows, 0 created"
done
echo "outcomes by kill time:$outcomes"
expect_match "at least one kill landed mid-import" "$outcomes" "unchanged"
finish
