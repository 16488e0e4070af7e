#!/usr/bin/env bash
# followup.sh: the follow-up benchmark (not a CTest test). Prints medians of
# HEED_BENCH_RUNS runs and the ratios issue 5 states its targets in:
#   run-due        task follow-ups per second with the file transport (≥ 5,000/s)
#   evaluate       the shipped policies over N contacts, first run (creates the
#                  follow-ups) and again (finds them all), each against
#                  `score --all` with the shipped plugins over the same store (≤ 2×)
# Environment: HEED_BENCH_N contacts (default 100000), HEED_BENCH_TASKS task
# follow-ups for run-due (default 20000), HEED_BENCH_RUNS (default 3),
# HEED_BENCH_DIR (default /tmp/heed-bench), HEED_BENCH_HEED (a heed binary).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_N:-100000}
tasks=${HEED_BENCH_TASKS:-20000}
runs=${HEED_BENCH_RUNS:-3}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench}
mkdir -p "$dir"

heed=${HEED_BENCH_HEED:-}
if [ -z "$heed" ]; then
	build="$root/build-bench"
	echo "followup.sh: building heed (Release) in $build" >&2
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHEED_WERROR=OFF >"$dir/build.log" 2>&1
	cmake --build "$build" -j2 --target heed >>"$dir/build.log" 2>&1
	heed="$build/heed"
fi

csv="$dir/contacts-$n.csv"
if [ ! -s "$csv" ]; then
	echo "followup.sh: generating $n contacts into $csv" >&2
	python3 "$here/gen.py" -n "$n" -o "$csv.tmp"
	mv "$csv.tmp" "$csv"
fi

export HEED_NOW=2026-12-03T09:00:00Z
shipped="$root/plugins"
base="$dir/followup-base-$n.db"
if [ ! -s "$base" ]; then
	echo "followup.sh: importing $n contacts" >&2
	rm -f "$base"*
	"$heed" --db "$base" --plugins "$shipped" import "$csv" --map generic >/dev/null
	"$heed" --db "$base" --plugins "$shipped" config mail.daily_cap 0 >/dev/null
fi

# Only task follow-ups, due at once, for the first $tasks contacts.
taskplugins="$dir/followup-taskplugins"
mkdir -p "$taskplugins"
cat >"$taskplugins/benchtask.lua" <<LUA
return {
  name = "benchtask", version = "0.0.1", api = 1,
  policies = {
    { name = "call", stage = "lead", run = function(c, ctx)
        if c.id > $tasks then return nil end
        return { { action = "task", key = "call", title = "Call" } }
      end },
  },
}
LUA

secs() { # secs CMD…: wall seconds of one run
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>"$dir/followup-err.log" || { cat "$dir/followup-err.log" >&2; exit 1; }
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

work="$dir/followup-work.db"
score=() first=() again=() rundue=()
for r in $(seq 1 "$runs"); do
	rm -f "$work"*
	cp "$base" "$work"
	score+=("$(secs "$heed" --db "$work" --plugins "$shipped" score --all)")
	first+=("$(secs "$heed" --db "$work" --plugins "$shipped" evaluate)")
	again+=("$(secs "$heed" --db "$work" --plugins "$shipped" evaluate)")
	rm -f "$work"*
	cp "$base" "$work"
	"$heed" --db "$work" --plugins "$taskplugins" evaluate >/dev/null
	rundue+=("$(secs "$heed" --db "$work" --plugins "$taskplugins" run-due)")
	done_n=$(sqlite3 "$work" "SELECT count(*) FROM followups WHERE status = 'done'")
	[ "$done_n" = "$tasks" ] || { echo "followup.sh: run-due did $done_n of $tasks tasks" >&2; exit 1; }
	echo "run $r: score ${score[-1]} s, evaluate ${first[-1]} s then ${again[-1]} s, run-due ${rundue[-1]} s" >&2
done
ms=$(median "${score[@]}") mf=$(median "${first[@]}") ma=$(median "${again[@]}") mr=$(median "${rundue[@]}")
printf 'contacts %d, runs %d (medians)\n' "$n" "$runs"
printf '%-36s %8.2f s\n' "score --all (shipped plugins)" "$ms"
printf '%-36s %8.2f s   %.2fx score (target <= 2x)\n' "evaluate, first (creates)" "$mf" "$(echo "$mf / $ms" | bc -l)"
printf '%-36s %8.2f s   %.2fx score (target <= 2x)\n' "evaluate, again (all known)" "$ma" "$(echo "$ma / $ms" | bc -l)"
printf '%-36s %8.2f s   %.0f tasks/s (target >= 5000)\n' "run-due, $tasks tasks" "$mr" "$(echo "$tasks / $mr" | bc -l)"
