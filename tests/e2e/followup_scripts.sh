#!/usr/bin/env bash
# followup_scripts: the example scripts in scripts/ run with `heed run`: the
# weekly sweep flags a quiet opportunity (a stage check and a task), the
# re-engagement script emails a recycled lead once, the digest lists the
# day's tasks; running a script twice adds nothing; a script with a bad
# schedule is refused naming the script and the word.
. "$(dirname "$0")/lib.sh"

export HEED_NOW=2026-11-02T09:00:00Z
"$HEED" init >/dev/null || exit 1
"$HEED" add email=opp@script.example >/dev/null || exit 1
"$HEED" move opp@script.example prospect --force --reason test >/dev/null || exit 1
"$HEED" move opp@script.example opportunity >/dev/null || exit 1
"$HEED" add email=back@script.example first_name=Bea >/dev/null || exit 1
HEED_NOW=2026-11-20T09:00:00Z "$HEED" move back@script.example disqualified --reason "no budget" >/dev/null || exit 1
HEED_NOW=2026-11-25T09:00:00Z "$HEED" move back@script.example lead --reason recycle >/dev/null || exit 1
"$HEED" add email=new@script.example >/dev/null || exit 1

export HEED_NOW=2026-12-07T11:00:00Z # a Monday
run run "$SRC/scripts/stale_sweep.lua"
expect_eq "sweep" "$RC" 0
expect_eq "sweep flags the opportunity" "$(sql "SELECT group_concat(action || ':' || status, ' ') FROM (SELECT action, status FROM followups WHERE policy = 'stale_sweep/sweep' ORDER BY action)")" "stage-check:done task:done"
expect_match "with its quiet days" "$(sql "SELECT title FROM followups WHERE policy = 'stale_sweep/sweep' AND action = 'task'")" "Stale for 35 days"
run run "$SRC/scripts/reengage.lua"
expect_eq "reengage" "$RC" 0
# the re-engagement email (the shipped policies send their own too: count this one)
reengaged() { grep -l '^Subject: .*is now a better time' "$T"/outbox/*.eml 2>/dev/null; }
expect_eq "one re-engagement email" "$(reengaged | wc -l)" 1
expect_eq "to the recycled lead" "$(grep -h '^To: ' $(reengaged) | tr -d '\r')" "To: back@script.example"
run run "$SRC/scripts/daily_digest.lua"
expect_eq "digest" "$RC" 0
expect_match "digest lists the day's task" "$(sql "SELECT title FROM followups WHERE policy = 'daily_digest/digest'")" "Today for opp@script.example: .*Stale for 35 days"
for s in stale_sweep reengage daily_digest; do
	run run "$SRC/scripts/$s.lua"
	expect_match "$s again adds nothing" "$OUT" "0 follow-ups added"
done
expect_eq "still one re-engagement email" "$(reengaged | wc -l)" 1

# a script follow-up: a policy hands a contact to scripts/<template>.lua
mkdir -p "$T/plugins" "$T/scripts"
cp "$SRC/plugins/templates.lua" "$T/plugins/"
cat >"$T/plugins/handoff.lua" <<'LUA'
return { name = "handoff", version = "0.0.1", policies = {
  { name = "to_script", stage = "lead", run = function(c, ctx)
      if c.email ~= "new@script.example" then return nil end
      return { { action = "script", key = "note", template = "note" } }
    end } } }
LUA
cat >"$T/scripts/note.lua" <<'LUA'
return { name = "note", version = "0.0.1", policies = {
  { name = "noted", stage = "lead", run = function(c, ctx)
      return { { action = "task", key = "noted", title = "noted by the script" } }
    end } } }
LUA
HEED_PLUGINS="$T/plugins" HEED_SCRIPTS="$T/scripts" "$HEED" evaluate >/dev/null
HEED_PLUGINS="$T/plugins" HEED_SCRIPTS="$T/scripts" run run-due
expect_eq "script follow-up run" "$RC" 0
expect_match "script then its task" "$OUT" "ran 2 follow-ups: 2 done"
expect_eq "the script's task" "$(sql "SELECT json_extract(data, '$.title') FROM activities a JOIN contacts c ON c.id = a.contact_id WHERE c.email = 'new@script.example' AND kind = 'task'")" "noted by the script"

cat >"$T/bad.lua" <<'LUA'
return { name = "bad", version = "1", policies = {
  { name = "often", schedule = "every fortnight 08:00", run = function() end } } }
LUA
run run "$T/bad.lua"
expect_eq "bad script exit" "$RC" 1
expect_match "bad script named" "$ERR" "bad.lua"
expect_match "bad word named" "$ERR" "fortnight"
finish
