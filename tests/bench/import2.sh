#!/usr/bin/env bash
# import2.sh: the benchmark of issue 6 (not a CTest test). On N generated
# contacts (default 1,000,000, the same file as run.sh) it times, median of
# RUNS runs each:
#   base      the foundation's import (heed built from git ref BASE_REF, default
#             685b1a4, the foundation), fresh store: the reference of run.sh
#   import    this tree's import, fresh store (dedupe on email, organisation
#             matching on the normalised name: every row does both)
#   reimport  this tree's import of the same file into the full store: every
#             row matches a stored contact and is merged (the dedupe path)
#   plan      this tree's `import --plan`, fresh store, plan written to a file
# and prints the ratios the issue sets: import / base <= 1.2, plan / import
# <= 1.2, peak RSS <= 64 MB. Then one kill -9 in the middle of a 1M import
# (once its write-ahead log passes 32 MB): the store must be unchanged or
# complete, and pass integrity_check. HEED_BENCH_CALLGRIND=1 counts
# instructions with valgrind instead of timing (steadier on a busy machine).
#
# Environment: HEED_BENCH_N, HEED_BENCH_RUNS (default 3), HEED_BENCH_DIR
# (default /tmp/heed-bench), HEED_BENCH_BASE (a foundation heed binary, instead
# of building BASE_REF), BASE_REF.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_N:-1000000}
runs=${HEED_BENCH_RUNS:-3}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench}
ref=${BASE_REF:-685b1a4} # the foundation (issue 2), before any of the import work
mkdir -p "$dir"

build() { # build SRC OUT: a Release heed
	local log="$dir/$(basename "$2").log"
	cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DHEED_WERROR=OFF >"$log" 2>&1 &&
		cmake --build "$2" -j2 --target heed >>"$log" 2>&1 ||
		{ tail -20 "$log" >&2; echo "import2.sh: build of $1 failed" >&2; exit 2; }
}

heed="$root/build-bench/heed"
echo "import2.sh: building this tree (Release)" >&2
build "$root" "$root/build-bench"
base=${HEED_BENCH_BASE:-}
if [ -z "$base" ]; then
	src="$dir/base-src"
	rm -rf "$src" && mkdir -p "$src"
	echo "import2.sh: building the foundation ($ref) for reference" >&2
	git -C "$root" archive "$ref" | tar -x -C "$src"
	build "$src" "$dir/base-build"
	base="$dir/base-build/heed"
fi

csv="$dir/contacts-$n.csv"
if [ ! -s "$csv" ]; then
	echo "import2.sh: generating $n contacts into $csv" >&2
	python3 "$here/gen.py" -n "$n" -o "$csv.tmp" && mv "$csv.tmp" "$csv"
fi
export HEED_PLUGINS="$here/plugins" HEED_NOW=2026-12-03T09:00:00Z
db="$dir/import2.db"
fresh() { rm -f "$db" "$db-wal" "$db-shm"; }

# timed NAME CMD...: one run; appends "seconds rss_kb" to $dir/NAME.times
# (with HEED_BENCH_CALLGRIND=1: billions of instructions, and 0 for the RSS)
timed() {
	local name=$1
	shift
	if [ "${HEED_BENCH_CALLGRIND:-0}" = 1 ]; then
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$dir/$name.err" ||
			{ cat "$dir/$name.err" >&2; echo "import2.sh: $name failed" >&2; exit 1; }
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$dir/$name.err" | awk '{ print $1 / 1e9, 0 }' >>"$dir/$name.times"
		return
	fi
	/usr/bin/time -f "%e %M" -o "$dir/$name.one" "$@" >/dev/null 2>"$dir/$name.err" ||
		{ cat "$dir/$name.err" >&2; echo "import2.sh: $name failed" >&2; exit 1; }
	cat "$dir/$name.one" >>"$dir/$name.times"
}

rm -f "$dir"/*.times
for r in $(seq "$runs"); do
	echo "import2.sh: round $r of $runs" >&2
	fresh; timed base "$base" --db "$db" import "$csv" --map bench
	fresh; timed import "$heed" --db "$db" import "$csv" --map bench
	timed reimport "$heed" --db "$db" import "$csv" --map bench
	fresh; timed plan "$heed" --db "$db" import "$csv" --map bench --plan --out "$dir/plan.csv"
done
[ "$(tail -n +2 "$dir/plan.csv" | wc -l)" = "$n" ] || { echo "import2.sh: the plan has not $n rows" >&2; exit 1; }

python3 - "$dir" "$n" "$runs" "${HEED_BENCH_CALLGRIND:-0}" <<'PY'
import statistics, sys
d, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
unit = "G instr" if sys.argv[4] == "1" else "s"
if unit != "s":
    print("(callgrind: billions of instructions, no RSS)")
med = {}
for name in ("base", "import", "reimport", "plan"):
    rows = [tuple(map(float, l.split())) for l in open(f"{d}/{name}.times")]
    med[name] = (statistics.median(r[0] for r in rows), max(r[1] for r in rows) / 1024)
    print(f"{name:9} median {med[name][0]:7.2f} {unit}  peak RSS {med[name][1]:6.1f} MB"
          f"  ({', '.join('%.2f' % r[0] for r in rows)})")
def ratio(what, a, b, target):
    r = med[a][0] / med[b][0]
    print(f"{what:40} {r:5.2f}x  target <= {target}x  {'ok' if r <= target else 'MISSED'}")
ratio(f"import / foundation import ({n} rows)", "import", "base", 1.2)
ratio("re-import (all rows merged) / foundation", "reimport", "base", 1.2)
ratio("plan / import", "plan", "import", 1.2)
rss = max(v[1] for k, v in med.items() if k != "base")
print(f"{'peak RSS (MB, max of this tree)':40} {rss:5.1f}   target <= 64  {'ok' if rss <= 64 else 'MISSED'}")
PY

[ "${HEED_BENCH_CALLGRIND:-0}" = 1 ] && exit 0
# kill -9 in the middle of a full import: once its write-ahead log passes 32 MB
fresh
"$heed" --db "$db" import "$csv" --map bench >/dev/null 2>&1 &
pid=$!
waited=0
while kill -0 "$pid" 2>/dev/null && [ "$(stat -c %s "$db-wal" 2>/dev/null || echo 0)" -lt 33554432 ]; do
	sleep 0.1
	waited=$((waited + 1))
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
count=$(sqlite3 "$db" "SELECT count(*) FROM contacts" 2>/dev/null || echo 0)
check=$(sqlite3 "$db" "PRAGMA integrity_check")
echo "kill -9 after ~$((waited / 10)) s (WAL past 32 MB): $count contacts (0 = unchanged, $n = complete), integrity_check: $check"
[ "$check" = ok ] && { [ "$count" = 0 ] || [ "$count" = "$n" ]; }
