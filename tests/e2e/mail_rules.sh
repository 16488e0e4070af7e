#!/usr/bin/env bash
# mail_rules: the core's send rules and the file transport. A do_not_contact
# contact never gets an email (also when flagged after queueing); unsubscribe
# and bounce events stop email until a subscribe event; the daily cap holds;
# an idempotency key never makes a second message; each message is one
# RFC 5322 .eml file.
. "$(dirname "$0")/lib.sh"
eml_count() { find "$T/outbox" -name '*.eml' 2>/dev/null | wc -l; }
# header FILE NAME: the decoded header (Python's email parser)
header() { python3 -c 'import email,sys
from email.header import decode_header, make_header
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(str(make_header(decode_header(m[sys.argv[2]]))))' "$1" "$2"; }
body() { python3 -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(m.get_payload(decode=True).decode())' "$1"; }

run init
run add email=ann@nordlicht.example first_name=Ann "company=Nordlicht GmbH" industry=software
run add email=dnc@quay.example first_name=Dee do_not_contact=1
run add email=uma@unsub.example first_name=Uma
run add email=bo@bounce.example first_name=Bo
run add first_name=Nemo external_id=n1

# do_not_contact: never an email, skipped with the reason
run mail dnc@quay.example nurture_day0 --key dnc-1 --send
expect_eq "dnc exit" "$RC" 1
expect_match "dnc reason" "$ERR" "^heed: skipped: contact 2 is marked do_not_contact"
expect_eq "dnc outbox row" "$(sql "SELECT status || '|' || last_error FROM outbox WHERE key = 'dnc-1'")" \
	"skipped|contact 2 is marked do_not_contact"
run outbox --send
expect_eq "dnc: no file" "$(eml_count)" 0
run mail dnc@quay.example nurture_day0 --key dnc-1
expect_match "dnc: the same key stays skipped" "$ERR" "skipped: contact 2 is marked do_not_contact"
# flagged after queueing: the rules run again at delivery
run mail ann@nordlicht.example nurture_day0 --key ann-1
expect_eq "queued for ann" "$(sql "SELECT status FROM outbox WHERE key = 'ann-1'")" queued
run add email=ann@nordlicht.example do_not_contact=1
expect_eq "ann flagged" "$(sql "SELECT do_not_contact FROM contacts WHERE email = 'ann@nordlicht.example'")" 1
run outbox --send
expect_eq "flagged after queueing: no file" "$(eml_count)" 0
expect_eq "flagged after queueing: skipped" "$(sql "SELECT status || '|' || last_error FROM outbox WHERE key = 'ann-1'")" \
	"skipped|contact 1 is marked do_not_contact"
expect_eq "dnc: attempts never made" "$(sql "SELECT sum(attempts) FROM outbox WHERE status = 'skipped'")" 0

# no email address
run mail n1 nurture_day0 --key nemo
expect_match "no address" "$ERR" "skipped: contact 5 has no email address"

# unsubscribe and bounce are events; a subscribe event lifts them
run event uma@unsub.example unsubscribe --at 2026-12-01
run mail uma@unsub.example nurture_day0 --key uma-1 --send
expect_match "unsubscribed" "$ERR" "skipped: contact 3 unsubscribed at 2026-12-01T00:00:00Z"
run event bo@bounce.example bounce --at 2026-12-02
run mail bo@bounce.example nurture_day0 --key bo-1 --send
expect_match "bounced" "$ERR" "skipped: contact 4 bounced at 2026-12-02T00:00:00Z"
expect_eq "no file for unsubscribed or bounced" "$(eml_count)" 0
run event uma@unsub.example subscribe
run mail uma@unsub.example nurture_day0 --key uma-2 --send
expect_eq "resubscribed: sent" "$RC" 0
expect_eq "resubscribed: one file" "$(eml_count)" 1

# the message file: headers and body
F="$T/outbox/heed-$(printf '%08d' "$(sql "SELECT id FROM outbox WHERE key = 'uma-2'")").eml"
expect_eq "file named after the message" "$(test -f "$F" && echo yes)" yes
expect_eq "To" "$(header "$F" To)" uma@unsub.example
expect_eq "From (default)" "$(header "$F" From)" heed@localhost
expect_eq "Subject" "$(header "$F" Subject)" "Welcome, Uma"
expect_eq "Date" "$(header "$F" Date)" "Thu, 03 Dec 2026 09:00:00 +0000"
expect_eq "Message-ID" "$(header "$F" Message-ID)" "$(sql "SELECT message_id FROM outbox WHERE key = 'uma-2'")"
expect_eq "List-Unsubscribe" "$(header "$F" List-Unsubscribe)" "<mailto:heed@localhost?subject=unsubscribe%203>"
expect_match "CRLF line ends" "$(head -c 200 "$F" | od -c | head -3)" '\\r  \\n'
expect_match "body" "$(body "$F")" "^Hi Uma,"
expect_match "body fallback for a missing field" "$(body "$F")" "teams like yours"

# non-ASCII subject (RFC 2047), https unsubscribe with one-click, payload
run add "email=zoe@umlaut.example" "first_name=Zoë" "company=Müller & Söhne"
run config mail.unsubscribe "https://crm.example/unsub?c={id}"
run mail zoe@umlaut.example prospect_followup --payload '{"topic":"Größenplanung","next_step":"a call on Friday"}' --key zoe-1 --send
expect_eq "payload send" "$RC" 0
F="$T/outbox/heed-$(printf '%08d' "$(sql "SELECT id FROM outbox WHERE key = 'zoe-1'")").eml"
expect_match "encoded subject on the wire" "$(grep -a '^Subject:' "$F")" "=\?UTF-8\?B\?"
expect_eq "subject decodes" "$(header "$F" Subject)" "Following up on Größenplanung"
expect_eq "https unsubscribe" "$(header "$F" List-Unsubscribe)" "<https://crm.example/unsub?c=6>"
expect_eq "one-click" "$(header "$F" List-Unsubscribe-Post)" "List-Unsubscribe=One-Click"
expect_match "contact in body" "$(body "$F")" "Hi Zoë,"
expect_match "payload in body" "$(body "$F")" "thank you for the time on Größenplanung. As promised, the next step: a call on Friday"

# idempotency: the same key never makes a second message
N=$(eml_count)
for i in 1 2 3; do run mail zoe@umlaut.example prospect_followup --key zoe-1 --send; done
expect_eq "same key: one message" "$(sql "SELECT count(*) FROM outbox WHERE key = 'zoe-1'")" 1
expect_eq "same key: no new file" "$(eml_count)" "$N"

# the daily cap counts hand-overs (skipped ones do not count); over it a message
# waits for the next UTC day instead of being dropped
run config mail.daily_cap 3 # sent today: uma-2, zoe-1
run mail uma@unsub.example nurture_day3 --key cap-1 --send
expect_eq "under the cap" "$RC" 0
run mail uma@unsub.example nurture_day7 --key cap-2 --send
expect_eq "over the cap: deferred, not an error" "$RC" 0
expect_match "cap reason" "$OUT" "deferred to tomorrow \(daily cap\): it goes out from 2026-12-04T00:00:00Z"
expect_eq "over the cap: still queued, due tomorrow" \
	"$(sql "SELECT status || '|' || next_at FROM outbox WHERE key = 'cap-2'")" "queued|$(date -ud 2026-12-04 +%s)"
HEED_NOW=2026-12-04T00:00:01Z run mail uma@unsub.example nurture_day7 --key cap-3
expect_eq "next day: allowed" "$RC" 0
run config mail.daily_cap lots
expect_eq "bad cap refused" "$RC" 1
expect_match "bad cap names the setting" "$ERR" "setting mail.daily_cap: 'lots' is not a whole number"
run config mail.transport pigeon
expect_match "bad transport" "$ERR" "setting mail.transport: 'pigeon' is not a transport"
run config mail.colour blue
expect_eq "unknown setting is a usage error" "$RC" 2

# a whole stage at once: one message per contact under PREFIX:ID, the rules for each, no repeats
run config mail.daily_cap 0
run outbox --send # nothing: cap-2 and cap-3 are due tomorrow
N=$(eml_count)
run mail --stage lead nurture_day14 --key camp --send
expect_eq "bulk exit" "$RC" 0
expect_match "bulk counts" "$OUT" "^2 in the outbox under camp:ID .*, 4 skipped"
expect_eq "bulk: the allowed ones got it" "$(eml_count)" "$((N + 2))"
expect_eq "bulk: dnc, bounced, no address skipped" \
	"$(sql "SELECT group_concat(contact_id, ',') FROM (SELECT contact_id FROM outbox WHERE key LIKE 'camp:%' AND status = 'skipped' ORDER BY contact_id)")" "1,2,4,5"
run mail --stage lead nurture_day14 --key camp --send
expect_eq "bulk rerun: nothing new" "$(eml_count)" "$((N + 2))"
run mail --all nurture_day14
expect_eq "bulk without --key is a usage error" "$RC" 2

# templates: an unknown one is named
run mail uma@unsub.example no_such_template --key t-1
expect_match "unknown template" "$ERR" "no plugin has an email template 'no_such_template'"
finish
