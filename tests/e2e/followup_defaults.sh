#!/usr/bin/env bash
# followup_defaults: the default policies of plugins/followup.lua beyond the
# nurture sequence: a prospect gets a discovery-call task due in 2 business
# days and a tailored task the next business day at 09:00 after a call; an
# opportunity gets a daily task on weekdays until a next step is recorded,
# and a stale flag after 14 quiet days. A manual move fires the stage's
# policies at once.
. "$(dirname "$0")/lib.sh"

ts() { sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', due_at, 'unixepoch') FROM followups WHERE policy = 'followup/$1' AND status != 'cancelled' ORDER BY due_at"; }
export HEED_NOW=2026-12-04T15:00:00Z # a Friday
"$HEED" init >/dev/null || exit 1
"$HEED" add email=pat@def.example >/dev/null || exit 1
run move pat@def.example prospect --force --reason test
expect_eq "move" "$RC" 0
expect_match "entering the stage fires at once" "$OUT" "follow-ups: 1 added"
"$HEED" event pat@def.example call >/dev/null || exit 1
run evaluate
expect_eq "evaluate" "$RC" 0
expect_eq "discovery: two business days on, Tuesday" "$(ts prospect_discovery)" "2026-12-08T15:00:00Z"
expect_eq "tailored: Monday 09:00" "$(ts prospect_tailored)" "2026-12-07T09:00:00Z"

"$HEED" add email=opal@def.example >/dev/null || exit 1
"$HEED" move opal@def.example prospect --force --reason test >/dev/null || exit 1
"$HEED" move opal@def.example opportunity >/dev/null || exit 1
export HEED_NOW=2026-12-07T10:00:00Z # Monday
"$HEED" evaluate >/dev/null
"$HEED" run-due >/dev/null
export HEED_NOW=2026-12-08T10:00:00Z # Tuesday
"$HEED" evaluate >/dev/null
expect_eq "daily task, Monday and Tuesday 09:00" "$(ts opportunity_daily | tr '\n' ' ')" "2026-12-07T09:00:00Z 2026-12-08T09:00:00Z "
run run-due
expect_match "tasks run" "$OUT" "done"
"$HEED" event opal@def.example next_step text="demo on Thursday" >/dev/null || exit 1
export HEED_NOW=2026-12-09T10:00:00Z
"$HEED" evaluate >/dev/null
expect_eq "no daily task once a next step is recorded" "$(ts opportunity_daily | wc -l)" 2
expect_eq "not stale yet" "$(ts opportunity_stale | wc -l)" 0
export HEED_NOW=2026-12-24T10:00:00Z # 16 days after the last activity
"$HEED" evaluate >/dev/null
expect_eq "stale flag" "$(ts opportunity_stale)" "2026-12-24T08:00:00Z"
expect_match "says how long" "$(sql "SELECT title FROM followups WHERE policy = 'followup/opportunity_stale'")" "no activity for 16 days"
"$HEED" evaluate >/dev/null
expect_eq "flagged once" "$(ts opportunity_stale | wc -l)" 1
finish
