-- stale_sweep: every Monday at 07:00, each opportunity without activity for
-- 21 days gets a stage check (do the criteria still hold?) and a task to
-- decide: revive it or close it.
--
--   heed run scripts/stale_sweep.lua

local QUIET_DAYS = 21

local function last_activity(c)
  local last = c.stage_changed_at
  for _, a in ipairs(c.activities) do
    if a.kind ~= "task" and a.at > last then last = a.at end
  end
  return last
end

return {
  name = "stale_sweep",
  version = "1.0.0",
  api = 1,
  description = "a weekly sweep of stale opportunities",

  policies = {
    { name = "sweep", stage = "opportunity", schedule = "every monday 07:00", run = function(c, ctx)
        local quiet = heed.days(last_activity(c), ctx.now)
        if quiet < QUIET_DAYS then return nil end
        local title = ("Stale for %d days: revive or close"):format(math.floor(quiet))
        return {
          { action = "stage-check", key = "check" },
          { action = "task", key = "decide", title = title, due = "09:00" },
        }
      end },
  },
}
