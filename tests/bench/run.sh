#!/usr/bin/env bash
# run.sh: the heed performance benchmark (not a CTest test; see README.md).
# Builds heed in Release if needed, generates the contacts CSV once into a cache
# directory, then lets run.py time heed against its peers and print medians and
# target ratios. Exit status: 0 unless a contender crashed or scores mismatched.
#
# Environment:
#   HEED_BENCH_N       contacts to generate (default 1000000; 20000 = smoke run)
#   HEED_BENCH_RUNS    timed runs per contender (default 5)
#   HEED_BENCH_DIR     cache and work directory (default /tmp/heed-bench)
#   HEED_BENCH_HEED    use this heed binary instead of building build-bench/heed
# Extra arguments go to run.py (e.g. -v to print every run, --only import).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_N:-1000000}
runs=${HEED_BENCH_RUNS:-5}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench}

for tool in python3 sqlite3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

mkdir -p "$dir"
heed=${HEED_BENCH_HEED:-}
if [ -z "$heed" ]; then
	build="$root/build-bench"
	log="$dir/build.log"
	echo "run.sh: building heed (Release) in $build" >&2
	# Warnings stay warnings here: the bench measures speed, CI checks hygiene.
	if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEED_WERROR=OFF >"$log" 2>&1 ||
		! cmake --build "$build" -j2 --target heed >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		echo "run.sh: building heed failed; full log in $log" >&2
		exit 2
	fi
	heed="$build/heed"
fi

csv="$dir/contacts-$n.csv"
if [ ! -s "$csv" ]; then
	echo "run.sh: generating $n contacts into $csv" >&2
	python3 "$here/gen.py" -n "$n" -o "$csv.tmp"
	mv "$csv.tmp" "$csv"
fi

exec python3 "$here/run.py" --heed "$heed" --csv "$csv" --n "$n" --dir "$dir" \
	--runs "$runs" --plugins "$here/plugins" "$@"
