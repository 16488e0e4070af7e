#!/usr/bin/env bash
# followup_crash: run-due killed with SIGKILL in the middle of a batch (the
# crash point comes from HEED_CRASH_AT: die while finishing the Nth follow-up)
# leaves claimed work behind; once the lease has run out a rerun executes it.
# In the end every follow-up is done once, each task left one activity and no
# email was sent twice. Two crashes: one after an email was handed over but
# before its follow-up was finished, one inside a batch of tasks.
. "$(dirname "$0")/lib.sh"

export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cp "$SRC/plugins/followup.lua" "$SRC/plugins/templates.lua" "$SRC/plugins/generic.lua" "$HEED_PLUGINS/" || exit 1
cat >"$HEED_PLUGINS/calltask.lua" <<'LUA'
-- calltask: test-only: every lead also gets a call task due at once.
return {
  name = "calltask", version = "0.0.1", api = 1,
  policies = {
    { name = "call", stage = "lead", run = function(c, ctx)
        return { { action = "task", key = "call", title = "Call " .. c.email } }
      end },
  },
}
LUA
"$HEED" init >/dev/null || exit 1
"$HEED" config mail.daily_cap 0 >/dev/null || exit 1
{
	echo "email"
	for i in $(seq 1 200); do echo "lead$i@crash.example"; done
} >"$T/leads.csv"
"$HEED" import "$T/leads.csv" --map generic >/dev/null || exit 1
"$HEED" evaluate >/dev/null || exit 1
due=$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW')")
expect_eq "due: 200 emails and 200 tasks" "$due" 400

# 1: batches of 50 run their tasks first, so the 40th finish is an email
HEED_CRASH_AT=40 "$HEED" run-due --batch 50 >/dev/null 2>&1
expect_eq "first run killed" "$?" 137
expect_eq "left claimed" "$(sql "SELECT count(*) > 0 FROM followups WHERE status = 'claimed'")" 1
# the email being finished was handed over: sent in the outbox, its follow-up still claimed
expect_eq "handed over, not finished" "$(sql "SELECT count(*) FROM followups f JOIN outbox o ON o.key = f.key WHERE f.status = 'claimed' AND o.status = 'sent'")" 1
tasks1=$(sql "SELECT count(*) FROM followups WHERE status = 'claimed'")
# 2: a crash inside a batch of tasks (its transaction never commits)
HEED_CRASH_AT=10 "$HEED" run-due --batch 50 >/dev/null 2>&1
expect_eq "second run killed" "$?" 137
claimed=$(sql "SELECT count(*) FROM followups WHERE status = 'claimed'")
expect_eq "the second batch stays claimed whole" "$((claimed - tasks1))" 50

# a rerun before the leases run out leaves the claims alone
run run-due
expect_eq "rerun inside the lease" "$RC" 0
expect_eq "claims kept inside the lease" "$(sql "SELECT count(*) FROM followups WHERE status = 'claimed'")" "$claimed"

# after the lease (300 s): the crashed batches are taken over
export HEED_NOW=2026-12-03T09:10:00Z
run run-due
expect_eq "rerun after the lease" "$RC" 0
expect_match "rerun ran the claimed rest" "$OUT" "ran $claimed follow-ups"
expect_eq "due follow-ups done" "$(sql "SELECT count(*) FROM followups WHERE status = 'done'")" 400
expect_eq "nothing left claimed" "$(sql "SELECT count(*) FROM followups WHERE status = 'claimed'")" 0
expect_eq "one task activity per task" "$(sql "SELECT count(*), count(DISTINCT json_extract(data, '$.followup')) FROM activities WHERE kind = 'task'")" "200|200"
expect_eq "emails in the transport" "$(ls "$T"/outbox/*.eml | wc -l)" 200
expect_eq "no address twice" "$(grep -h '^To: ' "$T"/outbox/*.eml | sort -u | wc -l)" 200
expect_eq "outbox sent once each" "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" 200
expect_eq "retried after the crash" "$(sql "SELECT count(*) > 0 FROM followups WHERE attempts = 2")" 1
finish
