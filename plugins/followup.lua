-- followup: the default follow-up policies (see plugins/README.md, "Follow-up
-- policies"). Each policy says when it fires (entering a stage, an event, a
-- schedule) and returns the follow-ups it wants now; heed stores each once
-- under its key and cancels pending ones a policy stops asking for.
--
--   leads          nurture emails on days 0, 3, 7 and 14 after becoming a lead,
--                  until the lead replies, books a call or meeting, unsubscribes (or bounces)
--                  or leaves the stage
--   prospects      a discovery-call task within 2 business days; a tailored
--                  follow-up task the next business day after each two-way
--                  interaction
--   opportunities  a daily task (weekdays 09:00) until a next step is recorded;
--                  flagged stale after STALE_DAYS without activity

local NURTURE_DAYS = { 0, 3, 7, 14 }
local STALE_DAYS = 14

-- Activities that end the nurture sequence: the lead answered or booked.
local STOPS = { reply = true, call = true, meeting = true, booking = true, unsubscribe = true, bounce = true,
  unsubscribed = true, demo_request = true }
local TWO_WAY = { "call", "meeting", "reply", "chat" }

-- The first activity of a kind in set since time t, or nil.
local function since(c, t, set)
  for _, a in ipairs(c.activities) do
    if a.at >= t and set[a.kind] then
      return a
    end
  end
  return nil
end

local function last_activity(c)
  local latest = c.stage_changed_at
  for _, a in ipairs(c.activities) do
    if a.kind ~= "task" and a.at > latest then
      latest = a.at
    end
  end
  return latest
end

local function nurture(c, ctx)
  if since(c, ctx.at, STOPS) then
    return nil -- the pending emails are cancelled
  end
  -- the latest step reached and the next one: a step is stored a step ahead
  -- of its day rather than all at once, so a reply cancels at most one; a
  -- step whose successor's day has passed too is missed, not sent late, so a
  -- lead first seen weeks after it came in gets one email, not the backlog
  local elapsed, out = heed.days(ctx.at, ctx.now), {}
  for i, day in ipairs(NURTURE_DAYS) do
    local after = NURTURE_DAYS[i + 1]
    if not after or after > elapsed then
      out[#out + 1] = { action = "email", key = "day" .. day, due = "+" .. day .. "d",
        template = "nurture_day" .. day }
      if day > elapsed then
        break
      end
    end
  end
  return out
end

local function discovery(c, ctx)
  return { { action = "task", key = "discovery", due = "+2bd",
    title = "Book a discovery call with " .. (c.first_name or c.email or "the prospect") } }
end

local function tailored(c, ctx)
  return { { action = "task", key = "tailored", due = "next business day 09:00",
    title = "Tailored follow-up after the " .. ctx.event.kind,
    payload = { topic = ctx.event.kind } } }
end

local NEXT_STEP = { next_step = true }

local function daily(c, ctx)
  if since(c, c.stage_changed_at, NEXT_STEP) or (c.attrs and c.attrs.next_step) then
    return nil
  end
  return { { action = "task", key = "next_step", title = "Record the next step for this opportunity" } }
end

local function stale(c, ctx)
  local last = last_activity(c)
  if heed.days(last, ctx.now) < STALE_DAYS then
    return nil
  end
  -- one flag per quiet spell: the key names the last activity it follows
  return { { action = "task", key = "stale@" .. last, title = ("Stale: no activity for %d days"):format(
    math.floor(heed.days(last, ctx.now))), template = "stale" } }
end

return {
  name = "followup",
  version = "1.0.0",
  api = 1,
  description = "default follow-up policies: lead nurture, prospect calls, opportunity attention",

  -- the template scripts/reengage.lua sends (the nurture ones are in templates.lua)
  templates = {
    reengage = {
      subject = "{{first_name|Hello}}, is now a better time?",
      body = "Hi {{first_name|there}},\n\nwe spoke a while ago and it was not the right moment."
        .. " If lead qualification is back on your list, reply and we will pick it up where we"
        .. " left off.\n\n--\nThe sales team\n(Reply \"stop\" and we will not write again.)\n",
    },
  },

  policies = {
    { name = "lead_nurture", stage = "lead", run = nurture },
    { name = "prospect_discovery", stage = "prospect", run = discovery },
    { name = "prospect_tailored", stage = "prospect", event = TWO_WAY, run = tailored },
    { name = "opportunity_daily", stage = "opportunity", schedule = "every weekday 09:00", run = daily },
    { name = "opportunity_stale", stage = "opportunity", schedule = "every day 08:00", run = stale },
  },
}
