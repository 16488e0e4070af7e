#!/usr/bin/env bash
# host.sh: the plugin host benchmark (not a CTest test). Prints medians and
# the ratios the issue's targets are stated in:
#   - a trivial score function called for N contacts through the plugin host,
#     against a bare lua_pcall loop over the same contacts (the peer passes
#     each contact as a table of its fields; bare-id passes only the id, the
#     least any host could pass): target heed ≤ 1.3× bare;
#   - reloading a 500-line plugin (heed_plugins_refresh after a rewrite):
#     target median ≤ 20 ms.
# Environment: HEED_BENCH_N (default 1000000), HEED_BENCH_RUNS (default 5),
# HEED_BENCH_DIR (default /tmp/heed-bench-host), HEED_BENCH_PEER (use this
# host_peer binary instead of building build-bench/tests/host_peer).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_N:-1000000}
runs=${HEED_BENCH_RUNS:-5}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench-host}
mkdir -p "$dir"

peer=${HEED_BENCH_PEER:-}
if [ -z "$peer" ]; then
	build="$root/build-bench"
	echo "host.sh: building host_peer (Release) in $build" >&2
	if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEED_WERROR=OFF >"$dir/build.log" 2>&1 ||
		! cmake --build "$build" -j2 --target host_peer >>"$dir/build.log" 2>&1; then
		tail -n 30 "$dir/build.log" >&2
		exit 2
	fi
	peer="$build/tests/host_peer"
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A secs sums
for round in $(seq "$runs"); do # interleaved, so a busy moment hits every contender
	for mode in heed bare bare-id; do
		arg="$here/host"
		[ "$mode" = heed ] || arg="$here/host/trivial.lua"
		read -r t s < <("$peer" "$mode" "$n" "$arg")
		secs[$mode]+="$t "
		if [ -n "${sums[$mode]:-}" ] && [ "${sums[$mode]}" != "$s" ]; then
			echo "host.sh: $mode gave checksum $s, earlier ${sums[$mode]}" >&2
			exit 1
		fi
		sums[$mode]=$s
	done
done
if [ "${sums[heed]}" != "${sums[bare]}" ] || [ "${sums[heed]}" != "${sums[bare-id]}" ]; then
	echo "host.sh: checksums differ: heed ${sums[heed]}, bare ${sums[bare]}, bare-id ${sums[bare-id]}" >&2
	exit 1
fi
h=$(printf '%s\n' ${secs[heed]} | median)
b=$(printf '%s\n' ${secs[bare]} | median)
bi=$(printf '%s\n' ${secs[bare-id]} | median)
echo "score, $n calls of a trivial score function, median of $runs runs:"
printf '  heed plugin host   %8.3f s\n' "$h"
printf '  bare lua_pcall     %8.3f s   (contact as a table of its fields)   heed/bare    = %.2fx (target <= 1.3x)\n' \
	"$b" "$(echo "$h / $b" | bc -l)"
printf '  bare-id lua_pcall  %8.3f s   (contact as {id = ...} only)         heed/bare-id = %.2fx\n' \
	"$bi" "$(echo "$h / $bi" | bc -l)"

# a 500-line plugin: many criteria and helper functions
rdir="$dir/reload"
rm -rf "$rdir" && mkdir -p "$rdir"
python3 - "$rdir/big.lua" <<'PY'
import sys
out = ["-- 500 lines of plugin for the reload benchmark", "local H = {}"]
i = 0
while len(out) < 440:
    out += [f"function H.f{i}(c)", f"  local x = (c.id or 0) % {i + 3}",
            f"  if c.title == 'T{i}' then return x + {i} end", "  return x", "end"]
    i += 1
out += ["return { name = 'big', version = '1', api = 1,", "  criteria = { prospect = {"]
k = 0
while len(out) < 493:
    out += [f"    {{ name = 'c{k}', check = function(c) return H.f{k}(c) > 1, 'c{k}' end }},"]
    k += 1
out += ["  } },", "  score = function(c)", "    local s = 0",
        f"    for j = 0, {i - 1} do s = s + H['f' .. j](c) end",
        "    return { { name = 's', points = s } }", "  end }"]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
lines=$(wc -l <"$rdir/big.lua")
ms=$("$peer" reload 41 "$rdir")
printf 'reload of a %d-line plugin (compile, validate in a fresh state, swap), median of 41: %.2f ms (target <= 20 ms)\n' \
	"$lines" "$ms"
