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

local function score(c, add)
  local org, attrs = c.org or NOTHING, c.attrs or NOTHING

  local industry = org.industry
  local points = INDUSTRY[industry]
  if points then
    add("industry", points, industry)
  end

  local employees = org.employees
  if employees then
    if employees >= 250 then
      add("size", 15, "250+ employees")
    elseif employees >= 50 then
      add("size", 8, "50+ employees")
    end
  end

  local title = c.title
  if SENIOR[title] then
    add("title", 20, title)
  end

  local visits = tonumber(attrs.visits)
  if visits and visits > 0 then
    add("visits", min(visits, 20) * 1.5, attrs.visits .. " visits")
  end

  local seconds = tonumber(attrs.time_on_site)
  if seconds and seconds > 0 then
    add("time_on_site", min(seconds / 60, 30), attrs.time_on_site .. " s on site")
  end

  local source = attrs.lead_source
  if WARM[source] then
    add("source", 10, source)
  end
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
