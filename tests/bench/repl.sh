#!/usr/bin/env bash
# repl.sh: the REPL benchmark (not a CTest test; see README.md, "The REPL").
# Builds heed in Release if needed, generates the contacts CSV once, then lets
# repl.py time what the (stage, score) index costs import and score --all, and
# how fast `.find FILTERS` answers in the REPL on 1M contacts (medians, ratios
# against the 50 ms target and the sqlite3 shell).
#
# Environment: HEED_BENCH_N (default 1000000), HEED_BENCH_DIR (default
# /tmp/heed-bench-repl), HEED_BENCH_HEED (a heed binary to use instead of
# building build-bench/heed). Extra arguments go to repl.py (--only find,
# --runs N, --score-runs N, --qruns N).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_N:-1000000}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench-repl}

for tool in python3 sqlite3; do
	command -v "$tool" >/dev/null || { echo "repl.sh: $tool is required" >&2; exit 2; }
done
mkdir -p "$dir"
heed=${HEED_BENCH_HEED:-}
if [ -z "$heed" ]; then
	build="$root/build-bench"
	echo "repl.sh: building heed (Release) in $build" >&2
	if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEED_WERROR=OFF >"$dir/build.log" 2>&1 ||
		! cmake --build "$build" -j2 --target heed >>"$dir/build.log" 2>&1; then
		tail -n 30 "$dir/build.log" >&2
		exit 2
	fi
	heed="$build/heed"
fi

csv="$dir/contacts-$n.csv"
if [ ! -s "$csv" ]; then
	echo "repl.sh: generating $n contacts into $csv" >&2
	python3 "$here/gen.py" -n "$n" -o "$csv.tmp"
	mv "$csv.tmp" "$csv"
fi

exec python3 "$here/repl.py" --heed "$heed" --csv "$csv" --dir "$dir" --plugins "$here/plugins" "$@"
