-- score: the `engagement` part of a contact's score.
--
-- Each activity adds its kind's weight, halved for every HALF_LIFE days of
-- age: weight * 0.5 ^ (age_days / HALF_LIFE). An activity 30 days old counts
-- half of the same activity today. The sum is capped at MAX_POINTS.
--
-- The `fit` part (ICP match and seniority) comes from plugins/qualify.lua,
-- which owns the ICP table; the host adds the parts of all plugins up.

local HALF_LIFE = 30   -- days
local MAX_POINTS = 60

-- Points per activity kind at age 0. Kinds not listed count nothing.
local WEIGHTS = {
  -- buyer-driven
  demo_request = 25, pricing_request = 20, comparison = 15, timeline = 15,
  -- two-way
  meeting = 20, call = 15, reply = 12, chat = 8,
  -- one-way
  form = 6, webinar = 6, download = 5, visit = 2, click = 2, email_open = 1,
}

local function ago(days)
  if days < 1 then
    return "today"
  elseif days < 2 then
    return "1 day ago"
  end
  return ("%d days ago"):format(math.floor(days))
end

local function engagement(c)
  local now = heed.now()
  local points, count, latest = 0, 0, nil
  for _, a in ipairs(c.activities) do
    local w = WEIGHTS[a.kind]
    if w then
      local age = math.max(0, heed.days(a.at, now))
      points = points + w * 0.5 ^ (age / HALF_LIFE)
      count = count + 1
      if not latest or a.at > latest then
        latest = a.at
      end
    end
  end
  if count == 0 then
    return { name = "engagement", points = 0, reason = "no engagement activities yet" }
  end
  local reason = ("%d activit%s, latest %s"):format(count, count == 1 and "y" or "ies",
    ago(math.max(0, heed.days(latest, now))))
  if points > MAX_POINTS then
    points = MAX_POINTS
    reason = reason .. (" (capped at %d)"):format(MAX_POINTS)
  end
  return { name = "engagement", points = math.floor(points * 100 + 0.5) / 100, reason = reason }
end

return {
  name = "score",
  version = "1.0.0",
  api = 1,
  description = "engagement score part: activity weights that halve every 30 days",
  score = function(c)
    return { engagement(c) }
  end,
  -- run with: heed test score
  tests = {
    ["engagement halves every HALF_LIFE days"] = function(t)
      local now = heed.now()
      local fresh = t.points(t.contact { activities = { { kind = "call", at = now } } }, "engagement")
      local old = t.points(t.contact { activities = {
        { kind = "call", at = now - HALF_LIFE * 86400 } } }, "engagement")
      t.eq(fresh, WEIGHTS.call, "a call today")
      t.eq(old, WEIGHTS.call / 2, "a call HALF_LIFE days ago")
    end,
    ["unknown kinds count nothing, and the part is capped"] = function(t)
      local now = heed.now()
      t.eq(t.points(t.contact { activities = { { kind = "field_change", at = now } } }, "engagement"), 0)
      local many = {}
      for i = 1, 20 do many[i] = { kind = "demo_request", at = now } end
      t.eq(t.points(t.contact { activities = many }, "engagement"), MAX_POINTS, "20 demo requests")
    end,
  },
}
