#!/usr/bin/env bash
# followup_loop: a policy whose follow-ups trigger it again (it answers every
# task with another task, due at once) is stopped by the depth guard: run-due
# executes the chain to depth 5 and no further, and says which policy it
# stopped. Other policies keep working.
. "$(dirname "$0")/lib.sh"

export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cat >"$HEED_PLUGINS/echo.lua" <<'LUA'
-- echo: test-only: a lead gets a task; every task gets another one.
return {
  name = "echo", version = "0.0.1", api = 1,
  policies = {
    { name = "start", stage = "lead", run = function(c, ctx)
        return { { action = "task", key = "first", title = "first" } }
      end },
    { name = "echo", event = "task", run = function(c, ctx)
        return { { action = "task", key = "again", title = "again" } }
      end },
  },
}
LUA
"$HEED" init >/dev/null || exit 1
"$HEED" add email=loop@guard.example >/dev/null || exit 1
run evaluate
expect_eq "evaluate" "$RC" 0
run run-due
expect_eq "run-due exit (a plugin misbehaved)" "$RC" 1
expect_match "the guard names the policy" "$ERR" "policy 'echo' \(plugin 'echo', line [0-9]+\) stopped at depth 5"
expect_eq "tasks executed: the first and five echoes" "$(sql "SELECT count(*) FROM activities WHERE kind = 'task'")" 6
expect_eq "deepest follow-up" "$(sql "SELECT max(depth) FROM followups")" 5
expect_eq "all done" "$(sql "SELECT count(*) FROM followups WHERE status != 'done'")" 0
# evaluating again adds nothing: the chain stays stopped
run evaluate
expect_match "no more after the guard" "$OUT" "0 follow-ups added"
run run-due
expect_match "nothing runs" "$OUT" "ran 0 follow-ups"
finish
