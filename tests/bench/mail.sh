#!/usr/bin/env bash
# mail.sh: email throughput (not a CTest test). Imports N generated contacts
# (all leads), then times, on a fresh copy of that store each run,
#   heed:  heed mail --stage lead nurture_day0 --key K  +  heed outbox --send
#   peer:  tests/bench/peer_mail.py, the same steps by hand in Python
#          (sqlite3, email.message, the same fsync + rename per .eml)
# with the file transport and no daily cap, and prints the medians, messages
# per second and the ratio heed / peer.
#
# Environment: HEED_BENCH_MAIL_N (default 5000), HEED_BENCH_RUNS (default 3),
# HEED_BENCH_DIR (default /tmp/heed-bench-mail), HEED_BENCH_HEED (a heed
# binary; default: build/heed of this tree).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${HEED_BENCH_MAIL_N:-5000}
runs=${HEED_BENCH_RUNS:-3}
dir=${HEED_BENCH_DIR:-/tmp/heed-bench-mail}
heed=${HEED_BENCH_HEED:-$root/build/heed}
[ -x "$heed" ] || { echo "mail.sh: no heed binary at $heed (build first)" >&2; exit 2; }
export HEED_PLUGINS="$root/plugins" HEED_NOW=2026-12-03T09:00:00Z
mkdir -p "$dir"
rm -rf "$dir/base.db"* "$dir/run"
python3 "$here/gen.py" -n "$n" -o "$dir/contacts.csv"
HEED_DB="$dir/base.db" "$heed" import "$dir/contacts.csv" --map generic >/dev/null
HEED_DB="$dir/base.db" "$heed" config mail.daily_cap 0
leads=$(sqlite3 "$dir/base.db" "SELECT count(*) FROM contacts WHERE stage = 'lead'")

fresh() { rm -rf "$dir/run" && mkdir -p "$dir/run" && sqlite3 "$dir/base.db" ".backup $dir/run/heed.db"; }
now() { date +%s.%N; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: >"$dir/heed.t"
: >"$dir/peer.t"
for r in $(seq "$runs"); do
	fresh
	t0=$(now)
	HEED_DB="$dir/run/heed.db" "$heed" mail --stage lead nurture_day0 --key bench >/dev/null
	HEED_DB="$dir/run/heed.db" "$heed" outbox --send 2>/dev/null >/dev/null
	t1=$(now)
	got=$(find "$dir/run/outbox" -name '*.eml' | wc -l)
	[ "$got" -eq "$leads" ] || { echo "mail.sh: heed wrote $got messages, want $leads" >&2; exit 1; }
	echo "$t1 - $t0" | bc >>"$dir/heed.t"
	fresh
	t0=$(now)
	python3 "$here/peer_mail.py" "$dir/run/heed.db" "$dir/run/peer"
	t1=$(now)
	got=$(find "$dir/run/peer" -name '*.eml' | wc -l)
	[ "$got" -eq "$leads" ] || { echo "mail.sh: the peer wrote $got messages, want $leads" >&2; exit 1; }
	echo "$t1 - $t0" | bc >>"$dir/peer.t"
done
h=$(median <"$dir/heed.t")
p=$(median <"$dir/peer.t")
printf 'email, %d messages (file transport), median of %d runs\n' "$leads" "$runs"
printf '  heed  %.2f s  (%.0f messages/s)\n' "$h" "$(echo "$leads / $h" | bc -l)"
printf '  peer  %.2f s  (%.0f messages/s)  Python sqlite3 + email.message\n' "$p" "$(echo "$leads / $p" | bc -l)"
printf '  heed / peer  %.2fx\n' "$(echo "$h / $p" | bc -l)"
