#!/usr/bin/env bash
# mail_smtp: email through the smtp transport to a local sink (aiosmtpd on
# 127.0.0.1, started here). The message arrives with From, To, Subject, Date,
# Message-ID and List-Unsubscribe; a sink answering 5xx leaves the message
# failed with the server's reply recorded (and a 5.1.1 records a bounce); 4xx
# and a sink that is down lead to a scheduled retry, which goes out once the
# sink is back. Also AUTH, STARTTLS with a verified certificate, and smtps://.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	echo "SKIP: /usr/bin/python3 has no aiosmtpd (apt-get install python3-aiosmtpd)"
	exit 77
fi
SINK_PID=
stop_sink() { [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null; SINK_PID=; }
trap stop_sink EXIT
# start_sink DIR MODE: start a sink saving into DIR; sets PORT.
start_sink() {
	rm -f "$T/port"
	$PY "$SRC/tests/e2e/smtp_sink.py" "$T/port" "$1" "$2" &
	SINK_PID=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/port")
}

run init
run add email=ann@nordlicht.example first_name=Ann "company=Nordlicht GmbH"
run add email=bob@harbour.example first_name=Bob
run add email=cyd@quay.example first_name=Cyd
run config mail.from sales@heed.example

# 1. accepted: the message arrives with the right headers
start_sink "$T/in" ok
run config mail.transport smtp
expect_eq "config transport" "$RC" 0
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run mail ann@nordlicht.example nurture_day0 --key welcome-ann --send
expect_eq "smtp send exit" "$RC" 0
expect_match "smtp send says sent" "$OUT" "sent message 1 through the smtp transport"
MSG="$T/in/1.eml"
expect_eq "sink got one message" "$(ls "$T/in" | wc -l)" 1
HDR=$(sed '/^\r$/q' "$MSG" | tr -d '\r')
expect_match "envelope" "$HDR" "^X-Envelope: sales@heed.example -> ann@nordlicht.example"
expect_match "From" "$HDR" "^From: sales@heed.example"
expect_match "To" "$HDR" "To: ann@nordlicht.example"
expect_match "Subject filled from the contact" "$HDR" "Subject: Welcome, Ann"
expect_match "Date (RFC 5322, from HEED_NOW)" "$HDR" "Date: Thu, 03 Dec 2026 09:00:00 \+0000"
MID=$(sql "SELECT message_id FROM outbox WHERE key = 'welcome-ann'")
expect_match "Message-ID recorded" "$MID" "^<heed\.[0-9a-f]{16}\.[0-9]+@heed\.example>$"
expect_match "Message-ID header" "$HDR" "Message-ID: $MID"
expect_match "List-Unsubscribe" "$HDR" "List-Unsubscribe: <mailto:sales@heed.example\?subject=unsubscribe%20[0-9]+>"
BODY=$($PY -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(m.get_payload(decode=True).decode())' "$MSG")
expect_match "body filled from the contact" "$BODY" "teams like Nordlicht GmbH"
expect_eq "status sent" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 'welcome-ann'")" "sent 1"
run mail ann@nordlicht.example nurture_day0 --key welcome-ann --send
expect_eq "same key again: no second message" "$(ls "$T/in" | wc -l)" 1
stop_sink

# 2. a sink answering 5xx: failed, with the server's reply recorded
start_sink "$T/in5" reject
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run mail bob@harbour.example nurture_day0 --key welcome-bob --send
expect_eq "5xx exit" "$RC" 1
expect_match "5xx error names the reply" "$ERR" "^heed: .*550 5\.1\.1 <bob@harbour\.example>: Recipient address rejected"
expect_eq "5xx status failed" "$(sql "SELECT status FROM outbox WHERE key = 'welcome-bob'")" failed
expect_match "5xx reply recorded" "$(sql "SELECT last_error FROM outbox WHERE key = 'welcome-bob'")" "550 5\.1\.1 .*mailbox unavailable"
expect_eq "5.1.1 is a hard bounce: a bounce event" "$(sql "SELECT count(*) FROM activities a JOIN contacts c ON c.id = a.contact_id WHERE c.email = 'bob@harbour.example' AND a.kind = 'bounce' AND a.data LIKE '%550 5.1.1%'")" 1
run mail bob@harbour.example nurture_day3 --key again-bob
expect_match "bounced: no more email" "$ERR" "skipped: contact 2 bounced at 2026-12-03T09:00:00Z"
run outbox --status failed --format json
expect_match "outbox shows the failure" "$(echo "$OUT" | json 'd[0]["last error"]')" "550 5\.1\.1"
stop_sink

# 2b. a sink answering 4xx: a retry, the reply recorded; no bounce
start_sink "$T/in4" defer
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run mail ann@nordlicht.example nurture_day3 --key defer-ann --send
expect_eq "4xx exit" "$RC" 1
expect_eq "4xx: queued again" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 'defer-ann'")" "queued 1"
expect_match "4xx: reply recorded" "$(sql "SELECT last_error FROM outbox WHERE key = 'defer-ann'")" "attempt 1 of 5: .*451 4\.3\.0"
expect_eq "4xx: no bounce" "$(sql "SELECT count(*) FROM activities WHERE contact_id = 1 AND kind = 'bounce'")" 0
stop_sink

# 3. a sink that is down: a retry is scheduled (backoff), then sent when it is back
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run mail cyd@quay.example nurture_day0 --key welcome-cyd --send
expect_eq "down exit" "$RC" 1
expect_match "down error says retry" "$ERR" "retry at 2026-12-03T09:05:00Z"
expect_eq "down: queued again with a retry time" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || next_at FROM outbox WHERE key = 'welcome-cyd'")" \
	"queued 1 $(date -u -d 2026-12-03T09:05:00Z +%s)"
expect_match "down: error recorded" "$(sql "SELECT last_error FROM outbox WHERE key = 'welcome-cyd'")" "attempt 1 of 5: smtp .*(onnect|refused)"
start_sink "$T/in2" ok
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run outbox --send
expect_eq "not due yet: nothing sent" "$(ls "$T/in2" | wc -l)" 0
HEED_NOW=2026-12-03T09:05:00Z run outbox --send
expect_eq "retry exit" "$RC" 0
expect_eq "retry delivered once" "$(grep -l '^To: cyd@quay.example' "$T"/in2/*.eml | wc -l)" 1
expect_eq "the deferred one too (same backoff)" "$(grep -l '^To: ann@nordlicht.example' "$T"/in2/*.eml | wc -l)" 1
expect_eq "retry status" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 'welcome-cyd'")" "sent 2"
HEED_NOW=2026-12-03T10:00:00Z run outbox --send
expect_eq "nothing sent twice" "$(ls "$T/in2" | wc -l)" 2
stop_sink

# 4. authentication (AUTH PLAIN without TLS on a local sink)
start_sink "$T/inauth" auth
run config mail.smtp_url "smtp://127.0.0.1:$PORT"
run config mail.tls none
run config mail.smtp_user heed
HEED_SMTP_PASSWORD=wrong run mail ann@nordlicht.example nurture_day3 --key auth-bad --send
expect_eq "bad password fails" "$(sql "SELECT status FROM outbox WHERE key = 'auth-bad'")" failed
expect_match "bad password reply" "$(sql "SELECT last_error FROM outbox WHERE key = 'auth-bad'")" "535"
HEED_SMTP_PASSWORD=secret run mail ann@nordlicht.example nurture_day3 --key auth-ok --send
expect_eq "authenticated send" "$RC" 0
expect_eq "authenticated message arrived" "$(ls "$T/inauth" | wc -l)" 1
stop_sink

# 5. STARTTLS required by the sink: mail.tls none is refused by it, require
# upgrades (the server's certificate checked against mail.ca_file)
if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null; then
	SINK_CERT="$T/cert.pem" SINK_KEY="$T/key.pem" start_sink "$T/intls" starttls
	run config mail.smtp_user --unset
	run config mail.smtp_url "smtp://127.0.0.1:$PORT"
	run mail ann@nordlicht.example nurture_day7 --key tls-none --send
	expect_eq "no STARTTLS: refused" "$(sql "SELECT status FROM outbox WHERE key = 'tls-none'")" failed
	expect_match "no STARTTLS: the reply" "$(sql "SELECT last_error FROM outbox WHERE key = 'tls-none'")" "530 .*STARTTLS"
	run config mail.tls require
	run mail ann@nordlicht.example nurture_day7 --key tls-unknown-ca --send
	expect_eq "unknown CA: not sent" "$(ls "$T/intls" | wc -l)" 0
	expect_eq "unknown CA: failed (a setting to fix, not a retry)" "$(sql "SELECT status FROM outbox WHERE key = 'tls-unknown-ca'")" failed
	expect_match "unknown CA: says so" "$(sql "SELECT last_error FROM outbox WHERE key = 'tls-unknown-ca'")" "(certificate|SSL)"
	run config mail.ca_file "$T/cert.pem"
	run mail ann@nordlicht.example nurture_day14 --key tls-ok --send
	expect_eq "STARTTLS send" "$RC" 0
	expect_eq "STARTTLS message arrived" "$(ls "$T/intls" | wc -l)" 1
	expect_match "STARTTLS message subject" "$(grep -a '^Subject:' "$T/intls/1.eml")" "Shall we talk, Ann"
	stop_sink
	# 6. smtps://: TLS from the first byte
	SINK_CERT="$T/cert.pem" SINK_KEY="$T/key.pem" start_sink "$T/insmtps" smtps
	run config mail.smtp_url "smtps://127.0.0.1:$PORT"
	run mail ann@nordlicht.example nurture_day3 --key smtps-ok --send
	expect_eq "smtps send" "$RC" 0
	expect_eq "smtps message arrived" "$(ls "$T/insmtps" | wc -l)" 1
	stop_sink
else
	echo "note: openssl could not make a certificate; STARTTLS part not run"
fi
finish
