#!/usr/bin/env bash
# followup_backlog: leads the policies first see long after they came in get
# the latest nurture step they reached, not the whole sequence in one burst
# (a store imported with old leads, then evaluated for the first time).
. "$(dirname "$0")/lib.sh"

export HEED_NOW=2026-12-03T09:30:00Z
"$HEED" init >/dev/null || exit 1
"$HEED" config mail.from sales@heed.example >/dev/null || exit 1
HEED_NOW=2026-11-10T09:00:00Z run add email=old@lead.example first_name=Olga
expect_eq "add Olga" "$RC" 0
HEED_NOW=2026-11-28T09:00:00Z run add email=mid@lead.example first_name=Mia
expect_eq "add Mia" "$RC" 0
run add email=new@lead.example first_name=Ned
expect_eq "add Ned" "$RC" 0

run evaluate
expect_eq "evaluate: exit" "$RC" 0
run run-due
expect_eq "run-due: exit" "$RC" 0
templates() { grep -h "^Subject:" $(grep -l "^To: .*$1" "$T"/outbox/*.eml 2>/dev/null) 2>/dev/null | wc -l; }
# Olga is 23 days in: day 14 only; Mia 5 days: day 3 only; Ned: day 0.
expect_eq "23 days in: one email" "$(templates old@)" 1
expect_eq "5 days in: one email" "$(templates mid@)" 1
expect_eq "new lead: one email" "$(templates new@)" 1
expect_eq "Olga's is the day-14 step" \
	"$(sqlite3 -batch -noheader "$HEED_DB" "SELECT o.template FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE c.email = 'old@lead.example'")" \
	nurture_day14
expect_eq "Mia's is the day-3 step, day 7 waits" \
	"$(sqlite3 -batch -noheader "$HEED_DB" "SELECT group_concat(f.template || ':' || f.status, ',') FROM (SELECT * FROM followups ORDER BY due_at) f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'mid@lead.example' AND f.policy LIKE '%nurture'")" \
	"nurture_day3:done,nurture_day7:pending"
finish
