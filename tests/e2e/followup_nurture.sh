#!/usr/bin/env bash
# followup_nurture: with HEED_NOW stepping through 15 days (evaluate, then
# run-due, each morning), a new lead gets exactly its nurture emails on days 0,
# 3, 7 and 14 through the file transport; a lead that replies on day 5 gets
# days 0 and 3 only, its pending email cancelled; a do_not_contact lead gets
# none, its follow-ups skipped with the reason.
. "$(dirname "$0")/lib.sh"

day() { printf '2026-12-%02dT09:30:00Z' $((3 + $1)); }
export HEED_NOW=$(day 0)
"$HEED" init >/dev/null || exit 1
"$HEED" config mail.from sales@heed.example >/dev/null || exit 1
run add email=ann@lead.example first_name=Ann
run add email=rob@lead.example first_name=Rob
run add email=dee@lead.example first_name=Dee do_not_contact=1
expect_eq "adds" "$RC" 0

# mails to one address so far, from the .eml files of the file transport
sent() { grep -l "^To: .*$1" "$T"/outbox/*.eml 2>/dev/null | wc -l; }

ann="" rob=""
for d in $(seq 0 14); do
	export HEED_NOW=$(day "$d")
	if [ "$d" = 5 ]; then
		run event rob@lead.example reply text="thanks, not now"
		expect_eq "reply recorded" "$RC" 0
		expect_match "reply cancels the next one" "$OUT" "1 cancelled"
	fi
	run evaluate
	expect_eq "evaluate day $d" "$RC" 0
	run run-due
	expect_eq "run-due day $d" "$RC" 0
	ann="$ann $(sent ann@)"
	rob="$rob $(sent rob@)"
done
expect_eq "Ann: one email on days 0, 3, 7, 14" "$ann" " 1 1 1 2 2 2 2 3 3 3 3 3 3 3 4"
expect_eq "Rob: days 0 and 3, then he replied" "$rob" " 1 1 1 2 2 2 2 2 2 2 2 2 2 2 2"
expect_eq "Dee: none" "$(sent dee@)" 0
expect_eq "emails in all" "$(ls "$T"/outbox/*.eml | wc -l)" 6
expect_eq "Ann's templates, in order" \
	"$(sql "SELECT group_concat(template, ',') FROM (SELECT template FROM followups f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'ann@lead.example' AND status = 'done' ORDER BY due_at)")" \
	"nurture_day0,nurture_day3,nurture_day7,nurture_day14"
expect_eq "Rob's next one (day 7) cancelled, day 14 never made" \
	"$(sql "SELECT group_concat(template || ':' || status, ' ') FROM (SELECT template, status FROM followups f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'rob@lead.example' ORDER BY due_at)")" \
	"nurture_day0:done nurture_day3:done nurture_day7:cancelled"
expect_eq "Dee's four skipped" \
	"$(sql "SELECT count(*) FROM followups f JOIN contacts c ON c.id = f.contact_id WHERE c.email = 'dee@lead.example' AND status = 'skipped' AND last_error LIKE '%do_not_contact%'")" 4
run due --status skipped
expect_match "due shows the reason" "$OUT" "do_not_contact"
expect_eq "Message-ID on every email" "$(grep -l '^Message-ID: ' "$T"/outbox/*.eml | wc -l)" 6
finish
