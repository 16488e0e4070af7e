-- reengage: every weekday at 10:00, leads that came back from lost or
-- disqualified (recycled: they entered the lead stage after they were
-- created) get one re-engagement email a week after the recycle, unless they
-- have been active since. The `reengage` template is in plugins/followup.lua;
-- the send rules (do_not_contact, unsubscribed, bounced, the daily cap) apply.
--
--   heed run scripts/reengage.lua

local ACTIVE = { reply = true, call = true, meeting = true, visit = true, form = true }

return {
  name = "reengage",
  version = "1.0.0",
  api = 1,
  description = "re-engagement of recycled leads",

  policies = {
    { name = "recycled", stage = "lead", schedule = "every weekday 10:00", run = function(c, ctx)
        if c.stage_changed_at <= c.created_at then return nil end -- never recycled
        for _, a in ipairs(c.activities) do
          if ACTIVE[a.kind] and a.at >= c.stage_changed_at then return nil end
        end
        -- one per recycle: the key names the time it came back
        return { { action = "email", key = "reengage@" .. c.stage_changed_at, template = "reengage",
          due = c.stage_changed_at + 7 * 86400 } }
      end },
  },
}
