#!/usr/bin/env bash
# followup_concurrent: two `heed run-due` processes at once over 1,000 due
# nurture emails execute each follow-up exactly once: 1,000 .eml files in the
# file transport, one per lead, every follow-up done once, both exit 0, and
# both did part of the work.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null || exit 1
"$HEED" config mail.daily_cap 0 >/dev/null || exit 1
{
	echo "email,first_name"
	for i in $(seq 1 1000); do echo "lead$i@race.example,Lead$i"; done
} >"$T/leads.csv"
"$HEED" import "$T/leads.csv" --map generic >/dev/null || exit 1
run evaluate
expect_eq "evaluate" "$RC" 0
expect_eq "due now" "$(sql "SELECT count(*) FROM followups WHERE due_at <= strftime('%s', '$HEED_NOW')")" 1000

"$HEED" run-due --batch 25 >"$T/a.out" 2>"$T/a.err" &
a=$!
"$HEED" run-due --batch 25 >"$T/b.out" 2>"$T/b.err" &
b=$!
wait $a; ra=$?
wait $b; rb=$?
expect_eq "first run-due exit" "$ra" 0
expect_eq "second run-due exit" "$rb" 0
[ -s "$T/a.err" ] && fail "first run-due said: $(cat "$T/a.err")"
[ -s "$T/b.err" ] && fail "second run-due said: $(cat "$T/b.err")"

expect_eq "emails in the transport" "$(ls "$T"/outbox/*.eml | wc -l)" 1000
expect_eq "one email per lead" "$(grep -h '^To: ' "$T"/outbox/*.eml | sort -u | wc -l)" 1000
expect_eq "follow-ups done" "$(sql "SELECT count(*) FROM followups WHERE status = 'done'")" 1000
expect_eq "each executed once" "$(sql "SELECT count(*) FROM followups WHERE status = 'done' AND attempts != 1")" 0
expect_eq "outbox messages" "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" 1000
na=$(sed -n 's/^ran \([0-9]*\) .*/\1/p' "$T/a.out")
nb=$(sed -n 's/^ran \([0-9]*\) .*/\1/p' "$T/b.out")
expect_eq "the runs add up" "$((na + nb))" 1000
[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || echo "note: one runner did all the work (a: $na, b: $nb)"
finish
