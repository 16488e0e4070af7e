#!/usr/bin/env bash
# mail_concurrent: two `heed outbox --send` processes over the same 300 queued
# messages hand each message to the transport exactly once (the hand-over is
# claimed with a compare-and-set on the status), and two bulk queues of the
# same campaign at once make one message per contact.
. "$(dirname "$0")/lib.sh"

python3 - >"$T/leads.csv" <<'PY'
print("email,first_name,company")
for i in range(300):
    print("p%03d@load.example,P%03d,Load %d GmbH" % (i, i, i % 7))
PY
run import "$T/leads.csv" --map generic
expect_eq "imported" "$RC" 0
run config mail.daily_cap 0

"$HEED" mail --stage lead nurture_day0 --key camp >"$T/q1" 2>&1 &
Q1=$!
"$HEED" mail --stage lead nurture_day0 --key camp >"$T/q2" 2>&1 &
Q2=$!
wait $Q1; R1=$?
wait $Q2; R2=$?
expect_eq "two bulk queues: exits" "$R1 $R2" "0 0"
expect_eq "two bulk queues: one message per contact" "$(sql "SELECT count(*), count(DISTINCT contact_id) FROM outbox")" "300|300"

"$HEED" outbox --send >/dev/null 2>"$T/s1" &
S1=$!
"$HEED" outbox --send >/dev/null 2>"$T/s2" &
S2=$!
wait $S1; R1=$?
wait $S2; R2=$?
expect_eq "two senders: exits" "$R1 $R2" "0 0"
expect_eq "every message sent" "$(sql "SELECT status, count(*) FROM outbox GROUP BY status")" "sent|300"
expect_eq "one file per message" "$(find "$T/outbox" -name '*.eml' | wc -l)" 300
expect_eq "each handed over once" "$(sql "SELECT max(attempts) FROM outbox")" 1
N1=$(grep -o '^outbox: [0-9]*' "$T/s1" | grep -o '[0-9]*$')
N2=$(grep -o '^outbox: [0-9]*' "$T/s2" | grep -o '[0-9]*$')
expect_eq "the senders' counts add up (no message counted by both)" "$((N1 + N2))" 300
expect_eq "no recipient twice" "$(grep -ah '^To:' "$T"/outbox/*.eml | sort | uniq -d | wc -l)" 0
finish
