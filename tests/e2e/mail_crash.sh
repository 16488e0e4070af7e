#!/usr/bin/env bash
# mail_crash: a message handed to the transport is never sent again. The
# outbox records the hand-over before it happens and the outcome after; a
# process killed (kill -9, through the HEED_CRASH crash point) between the two
# leaves the message 'sending', and no later run hands it over again.
. "$(dirname "$0")/lib.sh"
eml_count() { find "$T/outbox" -name '*.eml' 2>/dev/null | wc -l; }

run init
for i in 1 2 3 4 5; do run add "email=c$i@crash.example" "first_name=C$i"; done

# killed right after the hand-over, before the outcome was recorded
run mail c1@crash.example nurture_day0 --key one --send
HEED_CRASH=mail.after_send run mail c2@crash.example nurture_day0 --key two --send
expect_eq "killed by SIGKILL" "$RC" 137
expect_eq "the file transport got it" "$(eml_count)" 2
expect_eq "recorded as handed over" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 'two'")" "sending 1"
run outbox --send
expect_eq "rerun: not sent again" "$(eml_count)" 2
run mail c2@crash.example nurture_day0 --key two --send
expect_eq "same key with --send: exit" "$RC" 0
expect_match "same key with --send: says why" "$OUT" "not sent again"
expect_eq "same key with --send: not sent again" "$(eml_count)" 2
HEED_NOW=2026-12-10T09:00:00Z run outbox --send
expect_eq "days later: still not sent again" "$(eml_count)" 2

# killed in the middle of a batch: the third hand-over dies
for i in 1 2 3 4 5; do run mail "c$i@crash.example" nurture_day3 --key "batch-$i"; done
expect_eq "five queued" "$(sql "SELECT count(*) FROM outbox WHERE key LIKE 'batch-%' AND status = 'queued'")" 5
HEED_CRASH=mail.after_send:3 run outbox --send
expect_eq "batch: killed" "$RC" 137
expect_eq "batch: three handed over (2 before + 3)" "$(eml_count)" 5
expect_eq "batch: two sent, one sending, two queued" \
	"$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM outbox WHERE key LIKE 'batch-%' ORDER BY id)")" \
	"sent,sent,sending,queued,queued"
run outbox --send
expect_eq "batch rerun: exit" "$RC" 0
expect_eq "batch rerun: the rest go out, once each" "$(eml_count)" 7
expect_eq "batch rerun: statuses" \
	"$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM outbox WHERE key LIKE 'batch-%' ORDER BY id)")" \
	"sent,sent,sending,sent,sent"
DUP=$(grep -ah '^Message-ID:' "$T"/outbox/*.eml | sort | uniq -d)
expect_eq "no Message-ID twice among the files" "$DUP" ""
for i in 1 2 3 4 5; do
	expect_eq "c$i got day 3 once" "$(grep -al "^To: c$i@crash.example" "$T"/outbox/*.eml | xargs grep -al 'X-Heed-Template: nurture_day3' | wc -l)" 1
done

# killed after recording the hand-over but before it: at most once, so not sent
run add email=c6@crash.example
HEED_CRASH=mail.before_send run mail c6@crash.example nurture_day0 --key six --send
expect_eq "before: killed" "$RC" 137
expect_eq "before: nothing handed over" "$(eml_count)" 7
run outbox --send
expect_eq "before: never handed over later either" "$(eml_count)" 7
run outbox --status sending --format csv
expect_match "outbox lists the unresolved hand-overs" "$OUT" "six"
run outbox --status sending
expect_match "outbox says what sending means" "$OUT" "handed to file at 2026-12-03T09:00:00Z; outcome not recorded"
expect_match "outbox counts by status" "$OUT" "^outbox: 0 queued, 3 sending, 5 sent, 0 failed, 0 skipped"
# a person who checked that a 'sending' message never went out puts it back
SIX=$(sql "SELECT id FROM outbox WHERE key = 'six'")
run outbox --requeue "$SIX" --send
expect_eq "requeue exit" "$RC" 0
expect_eq "requeued: sent now" "$(sql "SELECT status || ' ' || attempts FROM outbox WHERE key = 'six'")" "sent 2"
expect_eq "requeued: one more file" "$(eml_count)" 8
run outbox --requeue "$SIX"
expect_eq "a sent message cannot be put back" "$RC" 1
expect_match "says why" "$ERR" "message $SIX is sent; only a sending or failed one can be put back"
run outbox --requeue 9999
expect_match "unknown id" "$ERR" "no message 9999"
finish
