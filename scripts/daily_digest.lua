-- daily_digest: every weekday at 08:00 (Europe/Berlin), one digest task per
-- contact that had follow-up tasks recorded since the last digest, listing
-- them; `heed due --status done` and the timeline show it.
--
--   heed run scripts/daily_digest.lua        (the daemon runs it on schedule)

local function titles(c, since)
  local out = {}
  for _, a in ipairs(c.activities) do
    if a.kind == "task" and a.at >= since and a.data.title and a.data.template ~= "digest" then
      out[#out + 1] = a.data.title
    end
  end
  return out
end

return {
  name = "daily_digest",
  version = "1.0.0",
  api = 1,
  description = "a daily digest of the tasks heed recorded for each contact",

  policies = {
    { name = "digest", schedule = "every weekday 08:00 Europe/Berlin", run = function(c, ctx)
        local t = titles(c, ctx.at - 86400)
        if #t == 0 then return nil end
        return { { action = "task", key = "digest", template = "digest",
          title = ("Today for %s: %s"):format(c.email or ("contact " .. c.id), table.concat(t, "; ")) } }
      end },
  },
}
