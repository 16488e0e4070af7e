#!/usr/bin/env bash
# dupes_merge: `heed dupes` finds the same name at the same organisation and
# the same phone in E.164 form; `heed merge A B` leaves one contact with the
# union of both contacts' activities, history and deal facts, the further
# stage, and the merge in its history; nothing of B is lost (merges table).
. "$(dirname "$0")/lib.sh"

"$HEED" add email=ann@nordlicht.example first_name=Ann last_name=Berg company="Nordlicht GmbH" \
	country=DE phone="030 1234567" >/dev/null
"$HEED" add email=ann.berg@home.example first_name=ann last_name=BERG company="NORDLICHT GMBH" \
	title=CTO phone="+49 30 123 4567" >/dev/null
"$HEED" add email=zed@other.example first_name=Zed phone="+49 (30) 1234-567" >/dev/null
"$HEED" add email=solo@other.example first_name=Solo last_name=Berg company="Fjord AS" phone="+47 111 11 111" >/dev/null
"$HEED" event 1 visit --at 2026-11-01 >/dev/null
"$HEED" event 1 need text="routing" --at 2026-11-04 >/dev/null
"$HEED" event 2 reply --at 2026-11-02 >/dev/null
"$HEED" event 2 meeting --at 2026-11-03 >/dev/null
"$HEED" move 2 prospect --force --reason "met at the fair" >/dev/null
"$HEED" move 2 opportunity --at 2026-12-01 >/dev/null 2>&1 || "$HEED" move 2 opportunity --force --reason "asked for pricing" >/dev/null
"$HEED" move 1 disqualified --force --reason "no budget" >/dev/null 2>&1 || true

run dupes --format json
expect_eq "dupes: exit" "$RC" 0
expect_eq "dupes: groups" "$(printf '%s' "$OUT" | json "[(g['why'], g['key'], g['contacts']) for g in d]")" \
	"[('name+org', 'ann berg at Nordlicht GmbH', [1, 2]), ('phone', '+49301234567', [1, 2, 3])]"
run dupes
expect_match "dupes: table" "$OUT" "2 groups of likely duplicates"

acts_before=$(sql "SELECT group_concat(kind, ',') FROM (SELECT kind FROM activities WHERE contact_id IN (1, 2) ORDER BY at, id)")
hist_before=$(sql "SELECT count(*) FROM stage_history WHERE contact_id IN (1, 2)")
stage2=$(sql "SELECT stage FROM contacts WHERE id = 2")
HEED_NOW=2026-12-03T10:00:00Z run merge 1 2
expect_eq "merge: exit" "$RC" 0
expect_match "merge: summary" "$OUT" "merged contact 2 into 1: 2 activities moved, 1 field filled"
expect_eq "merge: one contact left of the two" "$(sql "SELECT group_concat(id) FROM contacts WHERE id IN (1, 2)")" 1
expect_eq "merge: union of the activities" \
	"$(sql "SELECT group_concat(kind, ',') FROM (SELECT kind FROM activities WHERE contact_id = 1 AND kind NOT IN ('merged', 'field_change') ORDER BY at, id)")" \
	"$acts_before"
expect_eq "merge: every history row kept, plus the merge's move" \
	"$(sql "SELECT count(*) FROM stage_history WHERE contact_id = 1")" "$((hist_before + 1))"
expect_eq "merge: the more advanced stage" "$(sql "SELECT stage FROM contacts WHERE id = 1")" "$stage2"
run show 1 --format json
expect_eq "merge: history shows the merge" \
	"$(printf '%s' "$OUT" | json "[(h['to'], h['actor'], h['reason']) for h in d['history']][-1]")" \
	"('$stage2', 'merge', 'merged contact 2, which was in $stage2')"
expect_eq "merge: timeline shows the merge" \
	"$(printf '%s' "$OUT" | json "[(a['at'], a['data']['merged'], a['data']['email']) for a in d['timeline'] if a['kind'] == 'merged']")" \
	"[('2026-12-03T10:00:00Z', 2, 'ann.berg@home.example')]"
expect_eq "merge: empty fields filled, set ones kept" \
	"$(printf '%s' "$OUT" | json "(d['email'], d['first_name'], d['title'], d['phone'])")" \
	"('ann@nordlicht.example', 'Ann', 'CTO', '030 1234567')"
expect_eq "merge: the fill is a recorded change" \
	"$(printf '%s' "$OUT" | json "[a['data'] for a in d['timeline'] if a['kind'] == 'field_change']")" \
	"[{'field': 'title', 'old': None, 'new': 'CTO', 'source': 'merge of contact 2'}]"
expect_eq "merge: the merged contact is kept in merges" \
	"$(sql "SELECT kept_id || '|' || merged_id || '|' || json_extract(contact, '\$.email') || '|' || json_array_length(contact, '\$.activities') FROM merges")" \
	"1|2|ann.berg@home.example|2"
expect_eq "merge: stage counts follow" "$(sql "SELECT sum(n) FROM stage_counts")" "$(sql "SELECT count(*) FROM contacts")"
expect_eq "merge: integrity" "$(sql "PRAGMA integrity_check")" ok
expect_eq "merge: foreign keys" "$(sql "PRAGMA foreign_key_check")" ""

run show 2
expect_eq "merged id: error" "$RC" 1
expect_match "merged id: says where it went" "$ERR" "contact 2 was merged into 1: heed show 1"

run dupes --format json
expect_eq "dupes after merge" "$(printf '%s' "$OUT" | json "[(g['why'], g['contacts']) for g in d]")" "[('phone', [1, 3])]"

before=$(store_digest)
run merge 1 1
expect_eq "merge itself: usage" "$RC" 2
run merge 1 nobody@nowhere.example
expect_eq "merge missing: error" "$RC" 1
expect_match "merge missing: says which" "$ERR" "nobody@nowhere.example"
expect_eq "failed merges change nothing" "$(store_digest)" "$before"

# A merge takes the other contact's mail and follow-ups along, and its id is
# never given to a new contact (ids name contacts in keys and timelines).
run add email=zoe@last.example
ZID=$(sql "SELECT id FROM contacts WHERE email = 'zoe@last.example'")
expect_eq "zoe has the highest id" "$(sql "SELECT max(id) FROM contacts")" "$ZID"
run mail zoe@last.example nurture_day0 --key zoe-welcome
expect_eq "mail queued for zoe" "$(sql "SELECT contact_id FROM outbox WHERE key = 'zoe-welcome'")" "$ZID"
run evaluate
pending=$(sql "SELECT count(*) FROM followups WHERE contact_id = $ZID AND status = 'pending'")
[ "$pending" -gt 0 ] || fail "evaluate made no follow-ups for zoe"
run merge 1 zoe@last.example
expect_eq "merge zoe: exit" "$RC" 0
expect_eq "merge zoe: the outbox row follows" "$(sql "SELECT contact_id FROM outbox WHERE key = 'zoe-welcome'")" 1
expect_eq "merge zoe: her pending follow-ups are cancelled under the kept contact" \
	"$(sql "SELECT count(*) FROM followups WHERE contact_id = 1 AND status = 'cancelled' AND last_error = 'merged into contact 1' AND instr(key, '|$ZID|') > 0")" "$pending"
expect_eq "merge zoe: no follow-up left on the old id" "$(sql "SELECT count(*) FROM followups WHERE contact_id = $ZID")" 0
run add email=yann@next.example
expect_eq "a new contact does not take the merged id" \
	"$(sql "SELECT id > $ZID FROM contacts WHERE email = 'yann@next.example'")" 1
expect_eq "merge zoe: foreign keys" "$(sql "PRAGMA foreign_key_check")" ""
finish
