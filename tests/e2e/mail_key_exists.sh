#!/usr/bin/env bash
# mail_key_exists: heed mail under a key that already has a message says so
# instead of claiming to queue it again (and there is still one message).
. "$(dirname "$0")/lib.sh"
eml_count() { find "$T/outbox" -name '*.eml' 2>/dev/null | wc -l; }
run init
run add email=ann@x.com first_name=Ann
run mail ann@x.com nurture_day0 --key demo-ann
expect_eq "first: queued" "$OUT" "queued message 1 for contact 1 (template nurture_day0)"
run mail ann@x.com nurture_day0 --key demo-ann
expect_eq "second: exit 0" "$RC" 0
expect_eq "second: already there" "$OUT" "message 1 already exists under key demo-ann (queued): not queued again"
expect_eq "one message" "$(sql "SELECT count(*) FROM outbox WHERE key = 'demo-ann'")" 1
run mail ann@x.com nurture_day0 --key demo-ann --send
expect_match "queued one is sent now" "$OUT" "sent message 1 through the file transport"
run mail ann@x.com nurture_day0 --key demo-ann --send
expect_eq "sent one: said, not sent again" "$OUT" "message 1 already exists under key demo-ann (sent): not queued again"
expect_eq "one file" "$(eml_count)" 1
finish
