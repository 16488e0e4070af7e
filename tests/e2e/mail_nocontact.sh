#!/usr/bin/env bash
# mail_nocontact: a queued message whose contact is gone (merged away, its
# outbox row left without a contact) is never sent: it is skipped with the reason.
. "$(dirname "$0")/lib.sh"
eml_count() { find "$T/outbox" -name '*.eml' 2>/dev/null | wc -l; }

run init
run add email=ann@x.com first_name=Ann
run add email=ann.smith@x.com first_name=Ann
run mail ann.smith@x.com nurture_day0 --key gone-1
expect_eq "queued" "$(sql "SELECT status FROM outbox WHERE key = 'gone-1'")" queued
run event ann.smith@x.com unsubscribe
run merge 1 2
expect_eq "merged" "$RC" 0
run outbox --send
expect_eq "no file" "$(eml_count)" 0
expect_eq "skipped" "$(sql "SELECT status FROM outbox WHERE key = 'gone-1'")" skipped
expect_match "the reason" "$(sql "SELECT last_error FROM outbox WHERE key = 'gone-1'")" \
	"has no contact any more|unsubscribed"
finish
