#!/usr/bin/env bash
# merge_rescore: `heed merge KEEP OTHER` moves the other's activities in, so it
# rescores the kept contact with the plugins (as `heed score KEEP` would) and
# bumps its updated_at.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
"$HEED" add email=ann@x.example first_name=Ann last_name=Berg >/dev/null
"$HEED" add email=ann.berg@home.example first_name=Ann last_name=Berg title=CTO >/dev/null
"$HEED" event 2 reply --at 2026-11-02 >/dev/null
"$HEED" event 2 meeting --at 2026-11-03 >/dev/null
"$HEED" event 2 demo_request --at 2026-11-04 >/dev/null
"$HEED" score --all >/dev/null
before=$(sql "SELECT score FROM contacts WHERE id = 1")
upd_before=$(sql "SELECT updated_at FROM contacts WHERE id = 1")
HEED_NOW=2026-12-03T10:00:00Z run merge 1 2
expect_eq "merge: exit" "$RC" 0
after=$(sql "SELECT score || '|' || score_parts FROM contacts WHERE id = 1")
HEED_NOW=2026-12-03T10:00:00Z "$HEED" score 1 >/dev/null
expect_eq "merge: the score is what heed score gives" \
	"$(sql "SELECT score || '|' || score_parts FROM contacts WHERE id = 1")" "$after"
expect_nomatch "merge: the score changed with the activities" "$(sql "SELECT score FROM contacts WHERE id = 1")" "^$before\$"
expect_eq "merge: updated_at bumped" "$(sql "SELECT updated_at > $upd_before FROM contacts WHERE id = 1")" 1
finish
