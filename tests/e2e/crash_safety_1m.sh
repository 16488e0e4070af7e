#!/usr/bin/env bash
# crash_safety_1m: the issue's own size. A 1,000,000-row import is killed with
# kill -9 once it is well under way (its write-ahead log past 32 MB): the
# store is exactly as it was before, and PRAGMA integrity_check passes.
# (crash_safety kills a 100,000-row import at six points, complete runs included.)
. "$(dirname "$0")/lib.sh"

N=1000000
python3 "$SRC/tests/bench/gen.py" -n "$N" -o "$T/big.csv" || { echo "SKIP: cannot generate the CSV"; exit 77; }
export HEED_PLUGINS="$SRC/tests/bench/plugins"
head -1001 "$T/big.csv" >"$T/first.csv"
"$HEED" import "$T/first.csv" --map bench >/dev/null || fail "first import"
before=$(store_digest)

"$HEED" import "$T/big.csv" --map bench >/dev/null 2>&1 &
kill_at_wal $! "$HEED_DB" 33554432
CHECKS=$((CHECKS + 1))
[ "$WAL" -gt 33554432 ] || fail "the import never got its log past 32 MB before it ended (wal $WAL bytes)"
expect_eq "killed 1M import: integrity" "$(sql "PRAGMA integrity_check")" ok
expect_eq "killed 1M import: the contacts before it, no more" "$(sql "SELECT count(*) FROM contacts")" 1000
expect_eq "killed 1M import: store unchanged" "$(store_digest)" "$before"
rm -f "$T/big.csv"
finish
