#!/usr/bin/env bash
# followup_daemon: `heed daemon` evaluates, runs due follow-ups, reloads
# plugins when a file changes, and on SIGTERM (sent while it is busy with
# 2,000 due emails) exits with status 0 within 5 s, leaving no follow-up
# claimed but unfinished: each one is done or back to pending.
. "$(dirname "$0")/lib.sh"

export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cp "$SRC/plugins/followup.lua" "$SRC/plugins/templates.lua" "$SRC/plugins/generic.lua" "$HEED_PLUGINS/" || exit 1
"$HEED" init >/dev/null || exit 1
"$HEED" config mail.daily_cap 0 >/dev/null || exit 1
{
	echo "email"
	for i in $(seq 1 2000); do echo "lead$i@daemon.example"; done
} >"$T/leads.csv"
"$HEED" import "$T/leads.csv" --map generic >/dev/null || exit 1

"$HEED" daemon --interval 1 >"$T/d.out" 2>"$T/d.err" &
pid=$!
# wait for the first emails, then change a plugin while it works
for i in $(seq 1 600); do
	[ -n "$(ls "$T/outbox" 2>/dev/null | head -1)" ] && break
	sleep 0.1
done
expect_eq "emails started" "$([ -n "$(ls "$T/outbox" 2>/dev/null | head -1)" ] && echo yes)" yes
echo "-- changed" >>"$HEED_PLUGINS/followup.lua"
kill -TERM $pid
start=$(date +%s%N)
wait $pid
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "daemon exit status" "$rc" 0
[ "$ms" -le 5000 ] || fail "daemon took $ms ms to stop (want at most 5000)"
expect_match "daemon says it stopped" "$(cat "$T/d.err")" "daemon: stopped"
expect_eq "nothing left claimed" "$(sql "SELECT count(*) FROM followups WHERE status = 'claimed'")" 0
total=$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW')")
expect_eq "due follow-ups made" "$total" 2000
done_n=$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW') AND status = 'done'")
pending=$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW') AND status = 'pending'")
expect_eq "done or pending, none lost" "$((done_n + pending))" 2000
expect_eq "one email per done follow-up" "$(ls "$T/outbox" | wc -l)" "$done_n"

# the next daemon finishes the rest, and picks up a changed plugin
"$HEED" daemon --interval 1 >"$T/d2.out" 2>"$T/d2.err" &
pid=$!
for i in $(seq 1 600); do
	[ "$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW') AND status != 'done'")" = 0 ] && break
	sleep 0.1
done
echo "-- changed again" >>"$HEED_PLUGINS/followup.lua"
for i in $(seq 1 300); do
	grep -q "reloaded" "$T/d2.err" && break
	sleep 0.1
done
kill -TERM $pid
wait $pid
expect_eq "second daemon exit" "$?" 0
expect_match "plugins reloaded" "$(cat "$T/d2.err")" "plugins changed in .*, reloaded"
expect_eq "all done in the end" "$(ls "$T/outbox" | wc -l)" 2000
finish
