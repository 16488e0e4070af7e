-- qualify: who fits and who is ready to move on.
--
-- criteria.prospect    org_fit, need, stakeholder, engagement
-- criteria.opportunity intent, decision_maker, timeline, deal_value
-- score                the `fit` part (ICP match and seniority of title)
--
-- This plugin owns the ideal customer profile (ICP) and the authority titles:
-- the org_fit check and the fit score part both read the tables below, so the
-- two can never disagree. plugins/score.lua adds the `engagement` part; the
-- host sums the parts of all plugins. Edit the tables, not the functions.

local ICP = {
  industries = { software = true, saas = true, fintech = true, ["it services"] = true },
  employees = { min = 50, max = 5000 },
  countries = { DE = true, AT = true, CH = true, NL = true, BE = true, DK = true, SE = true },
}

-- Points of the fit part.
local FIT_POINTS = { industry = 10, size = 10, country = 5 }

-- Titles that carry influence or authority, as Lua patterns matched in order
-- against the lower-cased title padded with spaces; the first match gives the
-- seniority points it adds to fit.
local AUTHORITY = {
  { pattern = "[^%a]ceo[^%a]", label = "CEO", points = 10 },
  { pattern = "[^%a]cto[^%a]", label = "CTO", points = 10 },
  { pattern = "[^%a]cfo[^%a]", label = "CFO", points = 10 },
  { pattern = "[^%a]coo[^%a]", label = "COO", points = 10 },
  { pattern = "[^%a]cio[^%a]", label = "CIO", points = 10 },
  { pattern = "[^%a]cmo[^%a]", label = "CMO", points = 10 },
  { pattern = "[^%a]chief[^%a]", label = "chief", points = 10 },
  { pattern = "founder", label = "founder", points = 10 },
  { pattern = "[^%a]owner[^%a]", label = "owner", points = 10 },
  { pattern = "vice president", label = "VP", points = 8 }, -- before "president"
  { pattern = "[^%a]vp[^%a]", label = "VP", points = 8 },
  { pattern = "[^%a]president[^%a]", label = "president", points = 10 },
  { pattern = "[^%a]director[^%a]", label = "director", points = 6 },
  { pattern = "[^%a]head of[^%a]", label = "head of", points = 6 },
}

-- Titles that look like authority but are not (checked first).
local NOT_AUTHORITY = { "product owner", "process owner", "executive assistant" }

-- Engagement: kinds where the buyer talked back, and kinds where they only looked.
local TWO_WAY = { reply = true, call = true, meeting = true, chat = true }
local ONE_WAY = {
  email_open = true, visit = true, download = true, form = true, webinar = true, click = true,
}

-- Activities that only a buyer starts: intent for an opportunity.
local INTENT = { demo_request = true, pricing_request = true, timeline = true, comparison = true }

local function day(t)
  return os.date("!%Y-%m-%d", t)
end

local function nonempty(s)
  return type(s) == "string" and s:match("%S") ~= nil
end

local function find_activity(c, kinds)
  for i = #c.activities, 1, -1 do
    local a = c.activities[i]
    if kinds[a.kind] then
      return a
    end
  end
  return nil
end

local function sorted_keys(set)
  local keys = {}
  for k in pairs(set) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  return table.concat(keys, ", ")
end

-- The ICP tests, in the order reasons list them. Each returns ok and a text
-- saying what was found ("software", "industry 'retail' not in ICP").
local function icp_industry(org)
  local industry = org.industry and org.industry:lower()
  if not industry then
    return false, "industry unknown"
  elseif ICP.industries[industry] then
    return true, industry
  end
  return false, ("industry '%s' not in ICP"):format(org.industry)
end

local function icp_size(org)
  local n = org.employees
  if not n then
    return false, "employees unknown"
  elseif n >= ICP.employees.min and n <= ICP.employees.max then
    return true, n .. " staff"
  end
  return false, ("%d staff outside ICP %d-%d"):format(n, ICP.employees.min, ICP.employees.max)
end

local function icp_country(org)
  local country = org.country and org.country:upper()
  if not country then
    return false, "country unknown"
  elseif ICP.countries[country] then
    return true, country
  end
  return false, ("country '%s' not in ICP"):format(org.country)
end

local ICP_TESTS = {
  { part = "industry", test = icp_industry },
  { part = "size", test = icp_size },
  { part = "country", test = icp_country },
}

local function match_authority(title)
  local t = " " .. title:lower() .. " "
  for _, no in ipairs(NOT_AUTHORITY) do
    if t:find(no, 1, true) then
      return false
    end
  end
  for _, a in ipairs(AUTHORITY) do
    if t:find(a.pattern) then
      return a
    end
  end
  return false
end

-- Titles repeat across contacts: remember the answer (false = none) for up to MEMO_MAX titles.
local MEMO_MAX = 10000
local memo, memo_n = {}, 0

-- The authority entry a title carries, or nil.
local function authority(title)
  if not nonempty(title) then
    return nil
  end
  local a = memo[title]
  if a == nil then
    if memo_n >= MEMO_MAX then
      memo, memo_n = {}, 0
    end
    a = match_authority(title)
    memo[title], memo_n = a, memo_n + 1
  end
  return a or nil
end

-- ---- prospect ----

local function org_fit(c)
  local ok, pass, fail = true, {}, {}
  for _, t in ipairs(ICP_TESTS) do
    local hit, text = t.test(c.org)
    if hit then
      pass[#pass + 1] = text
    else
      ok = false
      fail[#fail + 1] = text
    end
  end
  if ok then
    return true, table.concat(pass, ", ")
  end
  return false, table.concat(fail, "; ")
end

local function need(c)
  for _, key in ipairs({ "need", "challenge" }) do
    if nonempty(c.attrs[key]) then
      return true, ("%s: %s"):format(key, c.attrs[key])
    end
  end
  local a = find_activity(c, { need = true })
  if a then
    local text = a.data.text or a.data.need or a.data.challenge
    return true, ("need recorded on %s%s"):format(day(a.at), text and (": " .. tostring(text)) or "")
  end
  return false, ("no need or challenge recorded; set attrs.need or record one with `heed event %d need text=...`")
    :format(c.id)
end

local function stakeholder(c)
  local a = authority(c.title)
  if a then
    return true, ("title '%s' carries authority (%s)"):format(c.title, a.label)
  end
  for _, key in ipairs({ "authority", "influence" }) do
    local v = c.attrs[key]
    if v ~= nil and v ~= false and v ~= "" then
      return true, ("attrs.%s = %s"):format(key, tostring(v))
    end
  end
  local act = find_activity(c, { stakeholder = true })
  if act then
    local who = act.data.name or "someone"
    local role = act.data.role and (" (" .. tostring(act.data.role) .. ")") or ""
    return true, ("stakeholder %s%s recorded on %s"):format(tostring(who), role, day(act.at))
  end
  local why = nonempty(c.title) and ("title '%s' carries none"):format(c.title) or "no title recorded"
  return false, ("no stakeholder with influence or authority: %s; record one with `heed event %d stakeholder name=... role=...`")
    :format(why, c.id)
end

local function engagement(c)
  local days, ndays, count, two_way = {}, 0, 0, nil
  for _, a in ipairs(c.activities) do
    if TWO_WAY[a.kind] or ONE_WAY[a.kind] then
      count = count + 1
      local d = day(a.at)
      if not days[d] then
        days[d] = true
        ndays = ndays + 1
      end
      if TWO_WAY[a.kind] then
        two_way = a
      end
    end
  end
  if ndays == 0 then
    return false, ("no engagement activities yet; needs two on different days, one of them two-way (%s)")
      :format(sorted_keys(TWO_WAY))
  elseif ndays == 1 then
    return false, ("engagement on 1 day only; needs two different days, one of them two-way (%s)")
      :format(sorted_keys(TWO_WAY))
  end
  if not two_way then
    return false, ("%d one-way engagements over %d days; needs a two-way one (%s)")
      :format(count, ndays, sorted_keys(TWO_WAY))
  end
  return true, ("%d engagements over %d days, latest two-way: %s on %s")
    :format(count, ndays, two_way.kind, day(two_way.at))
end

-- ---- opportunity ----

local function intent(c)
  local a = find_activity(c, INTENT)
  if a then
    return true, ("%s on %s"):format(a.kind, day(a.at))
  end
  return false, ("no buyer-driven activity (%s)"):format(sorted_keys(INTENT))
end

local function decision_maker(c)
  if c.deal and nonempty(c.deal.decision_makers) then
    return true, "decision makers: " .. c.deal.decision_makers
  end
  for i = #c.activities, 1, -1 do
    local a = c.activities[i]
    if a.kind == "stakeholder" and a.data.decides == true then
      return true, ("%s decides (recorded on %s)"):format(tostring(a.data.name or "a stakeholder"), day(a.at))
    end
  end
  return false, ("no decision maker known; set the deal's decision makers or record `heed event %d stakeholder name=... decides=true`")
    :format(c.id)
end

local function timeline(c)
  if c.deal and c.deal.close_date then
    return true, "close date " .. day(c.deal.close_date)
  end
  return false, c.deal and "the deal has no close date" or "no deal recorded"
end

local function deal_value(c)
  if c.deal and c.deal.value and c.deal.value > 0 then
    local v = c.deal.value
    local text = v == math.floor(v) and ("%d"):format(v) or ("%.2f"):format(v)
    return true, ("value %s%s"):format(text, c.deal.currency and (" " .. c.deal.currency) or "")
  end
  return false, c.deal and "the deal has no value above 0" or "no deal recorded"
end

-- ---- fit score ----

local function fit(c)
  local points, reasons, org = 0, {}, c.org
  for _, t in ipairs(ICP_TESTS) do
    local hit, text = t.test(org)
    if hit then
      points = points + FIT_POINTS[t.part]
      reasons[#reasons + 1] = text .. " +" .. FIT_POINTS[t.part]
    end
  end
  local a = authority(c.title)
  if a then
    points = points + a.points
    reasons[#reasons + 1] = a.label .. " +" .. a.points
  end
  return { name = "fit", points = points, reason = #reasons > 0 and table.concat(reasons, ", ") or "no ICP match" }
end

return {
  name = "qualify",
  version = "1.0.0",
  api = 1,
  description = "ICP fit, need, stakeholder and engagement criteria; the fit score part",
  criteria = {
    prospect = {
      { name = "org_fit", check = org_fit },
      { name = "need", check = need },
      { name = "stakeholder", check = stakeholder },
      { name = "engagement", check = engagement },
    },
    opportunity = {
      { name = "intent", check = intent },
      { name = "decision_maker", check = decision_maker },
      { name = "timeline", check = timeline },
      { name = "deal_value", check = deal_value },
    },
  },
  score = function(c)
    return { fit(c) }
  end,
  -- run with: heed test qualify
  tests = {
    ["org_fit passes the ICP and names what failed"] = function(t)
      local ok = t.check("prospect", "org_fit",
        t.contact { org = { industry = "software", employees = 240, country = "DE" } })
      t.eq(ok, true, "software, 240 staff, DE")
      local bad, why = t.check("prospect", "org_fit",
        t.contact { org = { industry = "retail", employees = 240, country = "DE" } })
      t.eq(bad, false, "retail")
      t.ok(why:find("retail", 1, true), "the reason names the industry: " .. why)
    end,
    ["stakeholder needs authority"] = function(t)
      t.eq((t.check("prospect", "stakeholder", t.contact { title = "Analyst" })), false, "Analyst")
      t.eq((t.check("prospect", "stakeholder", t.contact { title = "VP Sales" })), true, "VP Sales")
      t.eq((t.check("prospect", "stakeholder", t.contact { title = "Product Owner" })), false, "Product Owner")
    end,
    ["engagement needs two days and a two-way touch"] = function(t)
      local day = 86400
      local now = heed.now()
      local one_way = t.contact { activities = {
        { kind = "visit", at = now - 3 * day }, { kind = "visit", at = now - day } } }
      t.eq((t.check("prospect", "engagement", one_way)), false, "two visits")
      local same_day = t.contact { activities = {
        { kind = "visit", at = now - 60 }, { kind = "reply", at = now } } }
      t.eq((t.check("prospect", "engagement", same_day)), false, "one day")
      local real = t.contact { activities = {
        { kind = "visit", at = now - 3 * day }, { kind = "reply", at = now - day } } }
      t.eq((t.check("prospect", "engagement", real)), true, "visit, then a reply days later")
    end,
    ["fit adds industry, size, country and seniority"] = function(t)
      local c = t.contact { title = "VP Sales",
        org = { industry = "software", employees = 240, country = "DE" } }
      t.eq(t.points(c, "fit"), 33, "10 + 10 + 5 + 8")
      t.eq(t.points(t.contact {}, "fit"), 0, "nothing known")
    end,
  },
}
