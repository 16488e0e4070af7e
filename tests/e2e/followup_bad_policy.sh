#!/usr/bin/env bash
# followup_bad_policy: bad policies are reported with plugin, policy, file,
# line and contact, and never lose stored work: a policy that starts failing
# keeps its pending follow-ups (they are not cancelled), the other policies
# still run, and a malformed policies table keeps the plugin from loading.
. "$(dirname "$0")/lib.sh"

export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cat >"$HEED_PLUGINS/flaky.lua" <<'LUA'
-- flaky: test-only; attrs.mode picks how the policy misbehaves.
return {
  name = "flaky", version = "0.0.1", api = 1,
  policies = {
    { name = "call", stage = "lead", run = function(c, ctx)
        local mode = c.attrs.mode
        if mode == "boom" then error("boom for " .. c.email) end
        if mode == "fax" then return { { action = "fax" } } end
        if mode == "due" then return { { action = "task", due = "+3q" } } end
        if mode == "forever" then return { { action = "task", key = "never", due = math.maxinteger } } end
        if mode == "flood" then
          local t = {}
          for i = 1, 5000 do t[i] = { action = "task", key = "k" .. i } end
          return t
        end
        return { { action = "task", key = "call", due = "+1d", title = "Call" } }
      end },
    { name = "other", stage = "lead", run = function(c, ctx)
        return { { action = "task", key = "other", due = "+2d" } }
      end },
  },
}
LUA
"$HEED" init >/dev/null || exit 1
"$HEED" add email=ok@bad.example attrs.mode=fine >/dev/null || exit 1
run evaluate
expect_eq "first evaluation" "$RC" 0
expect_eq "two pending" "$(sql "SELECT count(*) FROM followups WHERE status = 'pending'")" 2

"$HEED" add email=ok@bad.example attrs.mode=boom >/dev/null || exit 1
run evaluate
expect_eq "failing policy exit" "$RC" 1
expect_match "names plugin and function" "$ERR" "plugin 'flaky' \(.*flaky.lua:7\) in policies.call: boom for ok@bad.example"
expect_match "names the contact" "$ERR" "contact 1"
expect_eq "its pending follow-up kept" "$(sql "SELECT status FROM followups WHERE policy = 'flaky/call'")" "pending"
expect_eq "the other policy unharmed" "$(sql "SELECT status FROM followups WHERE policy = 'flaky/other'")" "pending"

"$HEED" add email=ok@bad.example attrs.mode=fax >/dev/null || exit 1
run evaluate
expect_match "bad action" "$ERR" "policies.call.*follow-up 1: action must be task, email, stage-check or script, got fax"
"$HEED" add email=ok@bad.example attrs.mode=due >/dev/null || exit 1
run evaluate
expect_match "bad due" "$ERR" "policy 'call' \(plugin 'flaky', line 5\), contact 1: due '\+3q': cannot read '\+3q'"
expect_eq "still kept" "$(sql "SELECT count(*) FROM followups WHERE status = 'pending'")" 2
# an epoch past year 9999 would be stored and never come due
"$HEED" add email=ok@bad.example attrs.mode=forever >/dev/null || exit 1
run evaluate
expect_match "due past 9999 refused" "$ERR" "policy 'call' \(plugin 'flaky', line 5\), contact 1: due 9223372036854775807 is outside the years 0000..9999"
expect_eq "nothing stored for it" "$(sql "SELECT count(*) FROM followups WHERE key LIKE '%never'")" 0
# 5,000 follow-ups from one firing: refused at once (keys are compared in C)
"$HEED" add email=ok@bad.example attrs.mode=flood >/dev/null || exit 1
run evaluate
expect_eq "flood exit" "$RC" 1
expect_match "flood refused, naming the policy" "$ERR" "in policies.call: .*returned 5000 follow-ups for one contact; at most 1000 per firing"
expect_eq "flood stored nothing" "$(sql "SELECT count(*) FROM followups")" 2

cat >"$HEED_PLUGINS/broken.lua" <<'LUA'
return { name = "broken", version = "0.0.1", policies = { { name = "x", stage = "lead" } } }
LUA
run evaluate
expect_match "load error names file and policy" "$ERR" "plugin 'broken' \(.*broken.lua:1\).*policy 'x': run must be a function"
cat >"$HEED_PLUGINS/broken.lua" <<'LUA'
return { name = "broken", version = "0.0.1", policies = { { name = "x", stage = "leed", run = print } } }
LUA
run evaluate
expect_match "bad stage" "$ERR" "policy 'x': stage 'leed' is not a stage"
cat >"$HEED_PLUGINS/broken.lua" <<'LUA'
return { name = "broken", version = "0.0.1", policies = { { name = "x", stage = "lead", when = 1, run = print } } }
LUA
run evaluate
expect_match "unknown key" "$ERR" "policies\[1\]: unknown key 'when'"
finish
