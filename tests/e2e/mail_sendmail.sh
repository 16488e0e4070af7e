#!/usr/bin/env bash
# mail_sendmail: the sendmail transport pipes each message to the configured
# command (`sendmail -t -i` style: recipients from the headers, LF line ends).
# Exit 0 = sent; 75 (EX_TEMPFAIL) = a retry with backoff; any other status =
# failed, with the command's output recorded.
. "$(dirname "$0")/lib.sh"

cat > "$T/fake-sendmail" <<'SH'
#!/bin/sh
# a stand-in for sendmail: saves the message and its arguments; FAKE_EXIT decides the outcome
mkdir -p "$(dirname "$0")/spool"
n=$(ls "$(dirname "$0")/spool" | wc -l)
cat > "$(dirname "$0")/spool/$n.msg"
echo "$*" > "$(dirname "$0")/spool/$n.args"
code=$(cat "$(dirname "$0")/fake-exit" 2>/dev/null || echo 0)
[ "$code" = 0 ] || echo "fake-sendmail: mailbox full for user" >&2
exit "$code"
SH
chmod +x "$T/fake-sendmail"

run init
run add email=ann@nordlicht.example first_name=Ann
run config mail.transport sendmail
run config mail.sendmail "$T/fake-sendmail -t -i"
run mail ann@nordlicht.example nurture_day0 --key s1 --send
expect_eq "sent" "$RC" 0
expect_match "says sendmail" "$OUT" "through the sendmail transport"
expect_eq "arguments" "$(cat "$T/spool/0.args")" "-t -i"
expect_match "To header for -t" "$(cat "$T/spool/0.msg")" "^To: ann@nordlicht.example$"
expect_eq "LF line ends (no CR)" "$(grep -c $'\r' "$T/spool/0.msg")" 0
expect_match "Message-ID" "$(cat "$T/spool/0.msg")" "^Message-ID: <heed\."

echo 75 > "$T/fake-exit"
run mail ann@nordlicht.example nurture_day3 --key s2 --send
expect_eq "tempfail exit" "$RC" 1
expect_eq "tempfail: queued for a retry in 5 minutes" \
	"$(sql "SELECT status || ' ' || (next_at - $(date -u -d "$HEED_NOW" +%s)) FROM outbox WHERE key = 's2'")" "queued 300"
HEED_NOW=2026-12-03T09:05:00Z run outbox --send
expect_eq "second tempfail: backoff doubles" \
	"$(sql "SELECT status || ' ' || attempts || ' ' || (next_at - $(date -u -d 2026-12-03T09:05:00Z +%s)) FROM outbox WHERE key = 's2'")" "queued 2 600"
echo 0 > "$T/fake-exit"
HEED_NOW=2026-12-03T09:15:00Z run outbox --send
expect_eq "then sent" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 's2'")" "sent 3"

echo 67 > "$T/fake-exit"
run mail ann@nordlicht.example nurture_day7 --key s3 --send
expect_eq "hard failure exit" "$RC" 1
expect_eq "hard failure: failed" "$(sql "SELECT status FROM outbox WHERE key = 's3'")" failed
expect_match "hard failure: output recorded" "$(sql "SELECT last_error FROM outbox WHERE key = 's3'")" \
	"exited with status 67: fake-sendmail: mailbox full for user"

# gives up after mail.max_attempts
echo 75 > "$T/fake-exit"
run config mail.max_attempts 2
run mail ann@nordlicht.example nurture_day14 --key s4 --send
HEED_NOW=2026-12-03T10:00:00Z run outbox --send
expect_eq "gave up" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 's4'")" "failed 2"
expect_match "gave up: says so" "$(sql "SELECT last_error FROM outbox WHERE key = 's4'")" "gave up after 2 attempts"
# a command that hangs is killed after mail.timeout; it may have taken the message, so no retry
printf '#!/bin/sh\ncat >/dev/null\nsleep 37.25\necho late\n' > "$T/slow-sendmail"
chmod +x "$T/slow-sendmail"
run config mail.sendmail "$T/slow-sendmail"
run config mail.timeout 1
run mail ann@nordlicht.example nurture_day0 --key s5 --send
expect_eq "hung: failed" "$(sql "SELECT status FROM outbox WHERE key = 's5'")" failed
expect_match "hung: says why" "$(sql "SELECT last_error FROM outbox WHERE key = 's5'")" "did not finish within 1 s and was killed; outcome unknown"
expect_eq "hung: nothing it started is left running" "$(pgrep -f "sleep 37.25" | wc -l)" 0
# a command that reads nothing, with a message bigger than a pipe holds: killed too, no hang
printf '#!/bin/sh\nexec sleep 30\n' > "$T/deaf-sendmail"
chmod +x "$T/deaf-sendmail"
run config mail.sendmail "$T/deaf-sendmail"
BIG=$(python3 -c 'print("x" * 100000)')
run mail ann@nordlicht.example prospect_followup --payload "{\"topic\":\"$BIG\"}" --key s6 --send
expect_eq "deaf: failed" "$(sql "SELECT status FROM outbox WHERE key = 's6'")" failed
expect_match "deaf: says why" "$(sql "SELECT last_error FROM outbox WHERE key = 's6'")" "did not finish within 1 s"
# a command that exits 0 without reading the message has not taken it
run config mail.sendmail "true"
run mail ann@nordlicht.example prospect_followup --payload "{\"topic\":\"$BIG\"}" --key s7 --send
expect_eq "true: failed" "$(sql "SELECT status FROM outbox WHERE key = 's7'")" failed
expect_match "true: says why" "$(sql "SELECT last_error FROM outbox WHERE key = 's7'")" "exited before reading the whole message"
finish
