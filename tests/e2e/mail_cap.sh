#!/usr/bin/env bash
# mail_cap: the daily cap defers, it never drops. Past the cap a due message
# stays queued until the next UTC midnight and goes out then, still within
# that day's cap; a long backlog does not make each check slower.
. "$(dirname "$0")/lib.sh"
eml_count() { find "$T/outbox" -name '*.eml' 2>/dev/null | wc -l; }

run init
for i in 1 2 3 4 5 6 7; do run add "email=p$i@cap.example" "first_name=P$i"; done
run config mail.daily_cap 3
run mail --all nurture_day0 --key wave
expect_match "queueing is not capped" "$OUT" "^7 in the outbox under wave:ID"
expect_eq "all seven queued" "$(sql "SELECT count(*) FROM outbox WHERE status = 'queued'")" 7
run outbox --send
expect_eq "day 1: three files" "$(eml_count)" 3
expect_match "day 1: the rest wait" "$ERR" "^outbox: 3 sent, 4 deferred to tomorrow \(daily cap\), 0 to retry, 0 failed"
expect_eq "day 1: a deferral is not an error" "$RC" 0
expect_nomatch "day 1: no error line" "$ERR" "^heed: "
expect_eq "nothing skipped" "$(sql "SELECT count(*) FROM outbox WHERE status = 'skipped'")" 0
MIDNIGHT=$(date -ud 2026-12-04 +%s)
expect_eq "the rest: queued for the next UTC midnight" \
	"$(sql "SELECT count(*) FROM outbox WHERE status = 'queued' AND next_at = $MIDNIGHT")" 4
expect_match "the reason is shown" "$(sql "SELECT last_error FROM outbox WHERE status = 'queued' LIMIT 1")" \
	"deferred: the daily cap of 3 messages is reached"
run outbox --send # the same day again: nothing is due
expect_eq "day 1 again: still three" "$(eml_count)" 3
HEED_NOW=2026-12-04T08:00:00Z run outbox --send
expect_eq "day 2: three more, within that day's cap" "$(eml_count)" 6
HEED_NOW=2026-12-05T08:00:00Z run outbox --send
expect_eq "day 3: the last one" "$(eml_count)" 7
expect_eq "all sent in the end" "$(sql "SELECT count(*) FROM outbox WHERE status = 'sent'")" 7

# heed mail --send over the cap: the message stays queued for its day
run add email=late@cap.example first_name=Late
run config mail.daily_cap 1 # day 3 sent one already
HEED_NOW=2026-12-05T09:00:00Z run mail late@cap.example nurture_day3 --key late --send
expect_eq "day 3 is full: deferred, not an error" "$RC" 0
expect_match "deferred says when" "$OUT" "deferred to tomorrow \(daily cap\): it goes out from 2026-12-06T00:00:00Z"
HEED_NOW=2026-12-05T09:00:00Z run mail late@cap.example nurture_day3 --key late --send
expect_eq "sent again before its day: still a deferral" "$RC" 0
expect_match "sent again before its day: not yet" "$OUT" "it goes out from 2026-12-06T00:00:00Z"
HEED_NOW=2026-12-06T00:00:00Z run outbox --send
expect_eq "late: sent on its day" "$(sql "SELECT status FROM outbox WHERE key = 'late'")" sent

# a backlog much longer than the cap: each run defers it in one go
run config mail.daily_cap 2
python3 - "$HEED_DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
t = 1796601600  # 2026-12-07T00:00:00Z
db.executemany("INSERT INTO outbox(key, contact_id, template, rcpt, sender, subject, message, status,"
               " next_at, created_at) VALUES (?, 1, 'nurture_day0', 'p1@cap.example', 'heed@localhost',"
               " 's', 'Subject: s\r\n\r\nb\r\n', 'queued', ?, ?)",
               [("bulk:%d" % i, t, t) for i in range(20000)])
db.commit()
PY
START=$(date +%s)
HEED_NOW=2026-12-07T09:00:00Z run outbox --send
END=$(date +%s)
expect_match "backlog: two sent, the rest deferred" "$ERR" "outbox: 2 sent, 19998 deferred to tomorrow \(daily cap\), 0 to retry"
expect_eq "backlog: deferred to the next midnight" \
	"$(sql "SELECT count(*) FROM outbox WHERE key LIKE 'bulk:%' AND status = 'queued' AND next_at = $(date -ud 2026-12-08 +%s)")" 19998
[ $((END - START)) -lt 20 ] || fail "deferring a backlog of 20000 took $((END - START))s"
finish
