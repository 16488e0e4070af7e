-- bench: the plugin the performance benchmark (tests/bench/run.sh) imports
-- and scores with. The map is declarative (applied in C, no Lua per row); the
-- score rule must stay identical to the peers in tests/bench/run.py and
-- tests/bench/peer_score.py, which check heed's scores against it:
--   industry software 20, finance 15, health 10
--   employees >= 250: 15, >= 50: 8
--   title CEO, CTO, VP Sales or Director: 20
--   min(visits, 20) * 1.5 + min(time_on_site / 60, 30)
--   source trial or referral: 10

local min, tonumber = math.min, tonumber

local INDUSTRY = { software = 20, finance = 15, health = 10 }
local SENIOR = { CEO = true, CTO = true, ["VP Sales"] = true, Director = true }
local WARM = { trial = true, referral = true }
local NOTHING = {}

local function score(c)
  local parts, n = {}, 0
  local org, attrs = c.org or NOTHING, c.attrs or NOTHING

  local industry = org.industry
  local points = INDUSTRY[industry]
  if points then
    n = n + 1
    parts[n] = { name = "industry", points = points, reason = industry }
  end

  local employees = org.employees
  if employees then
    if employees >= 250 then
      n = n + 1
      parts[n] = { name = "size", points = 15, reason = "250+ employees" }
    elseif employees >= 50 then
      n = n + 1
      parts[n] = { name = "size", points = 8, reason = "50+ employees" }
    end
  end

  local title = c.title
  if SENIOR[title] then
    n = n + 1
    parts[n] = { name = "title", points = 20, reason = title }
  end

  local visits = tonumber(attrs.visits)
  if visits and visits > 0 then
    n = n + 1
    parts[n] = { name = "visits", points = min(visits, 20) * 1.5, reason = attrs.visits .. " visits" }
  end

  local seconds = tonumber(attrs.time_on_site)
  if seconds and seconds > 0 then
    n = n + 1
    parts[n] = { name = "time_on_site", points = min(seconds / 60, 30), reason = attrs.time_on_site .. " s on site" }
  end

  local source = attrs.lead_source
  if WARM[source] then
    n = n + 1
    parts[n] = { name = "source", points = 10, reason = source }
  end

  return parts
end

return {
  name = "bench",
  version = "1.0.0",
  api = 1,
  map = {
    source = "bench",
    fields = {
      email = "email",
      first_name = "first_name",
      last_name = "last_name",
      title = "title",
      ["org.name"] = "company",
      ["org.industry"] = "industry",
      ["org.employees"] = "employees",
      ["org.country"] = "country",
      ["attrs.lead_source"] = "source",
      ["attrs.visits"] = "visits",
      ["attrs.time_on_site"] = "time_on_site",
      created_at = "created_at",
    },
  },
  score = score,
}
