#!/usr/bin/env bash
# followup_nodup: evaluating the policies 100 times in a row creates each
# follow-up once: the ledger holds the same rows (keys and ids) after the
# first evaluation and after the hundredth, and every later run adds none.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null || exit 1
for i in 1 2 3 4 5; do
	"$HEED" add email=lead$i@dup.example first_name=L$i >/dev/null || exit 1
done
"$HEED" event lead2@dup.example call >/dev/null || exit 1 # a stop: lead 2 gets no nurture
"$HEED" add email=pro@dup.example >/dev/null || exit 1
"$HEED" move pro@dup.example prospect --force --reason test >/dev/null || exit 1
"$HEED" event pro@dup.example meeting >/dev/null || exit 1
"$HEED" event pro@dup.example reply >/dev/null || exit 1

run evaluate
expect_eq "first evaluation" "$RC" 0
first=$(sql "SELECT group_concat(id || ':' || key, ' ') FROM followups")
# 4 leads x 2 emails (day 0, and day 3: the sequence is stored a step ahead),
# and the prospect's discovery call and one task per two-way event
expect_eq "follow-ups made" "$(sql "SELECT count(*) FROM followups")" 11
added=0
for i in $(seq 2 100); do
	run evaluate
	[ "$RC" = 0 ] || fail "evaluation $i exited $RC: $ERR"
	case "$OUT" in *" 0 follow-ups added, 0 cancelled"*) ;; *) added=$((added + 1)) ;; esac
done
expect_eq "evaluations that added or cancelled anything" "$added" 0
expect_eq "the same rows after 100 evaluations" "$(sql "SELECT group_concat(id || ':' || key, ' ') FROM followups")" "$first"
expect_eq "no key twice" "$(sql "SELECT count(*) - count(DISTINCT key) FROM followups")" 0
expect_eq "prospect tasks" "$(sql "SELECT group_concat(policy, ',') FROM (SELECT policy FROM followups WHERE action = 'task' ORDER BY policy)")" \
	"followup/prospect_discovery,followup/prospect_tailored,followup/prospect_tailored"
finish
