-- templates: the shipped email templates. A template is a subject and a body
-- with {{placeholders}} filled from the contact ({{first_name}}, {{org.name}},
-- {{attrs.city}}, ...) and from the payload the sender gives ({{payload.x}});
-- {{name|fallback}} prints the fallback when the value is missing. A template
-- may also be a function(c, payload) returning { subject = ..., body = ... }.
-- The core adds the headers (From, To, Date, Message-ID, List-Unsubscribe).

local SIGNATURE = "\n\n--\nThe sales team\n(Reply \"stop\" and we will not write again.)\n"

return {
  name = "templates",
  version = "1.0.0",
  api = 1,
  description = "email templates: the lead nurture sequence and prospect follow-ups",

  templates = {
    nurture_day0 = {
      subject = "Welcome, {{first_name|there}}",
      body = "Hi {{first_name|there}},\n\nthanks for your interest. Here is what teams like"
        .. " {{org.name|yours}} usually look at first: how leads are qualified and routed."
        .. SIGNATURE,
    },
    nurture_day3 = {
      subject = "{{first_name|Hello}}, how others qualify leads",
      body = "Hi {{first_name|there}},\n\na short case study: how a {{org.industry|growing}} team"
        .. " cut its lead routing from two days to two hours." .. SIGNATURE,
    },
    nurture_day7 = {
      subject = "A checklist for {{org.name|your team}}",
      body = "Hi {{first_name|there}},\n\nthe checklist we use to decide who is worth a call"
        .. " this week is attached to our site. Happy to walk you through it." .. SIGNATURE,
    },
    nurture_day14 = {
      subject = "Shall we talk, {{first_name|there}}?",
      body = "Hi {{first_name|there}},\n\nif qualification is on your list this quarter, reply"
        .. " with a time that suits you and we will set up a 20-minute call." .. SIGNATURE,
    },
    -- a function template: the text depends on the payload's topic
    prospect_followup = function(c, payload)
      local topic = payload.topic or "our last conversation"
      return {
        subject = ("Following up on %s"):format(topic),
        body = ("Hi %s,\n\nthank you for the time on %s. As promised, the next step: %s."):format(
          c.first_name or "there", topic, payload.next_step or "a short call with your team")
          .. SIGNATURE,
      }
    end,
  },

  tests = {
    ["placeholders and fallbacks"] = function(t)
      local s, b = t.render("nurture_day0", t.contact { first_name = "Ann", org = { name = "Nordlicht" } })
      t.eq(s, "Welcome, Ann", "subject")
      t.ok(b:find("teams like Nordlicht usually", 1, true), "org name in the body")
      s, b = t.render("nurture_day0", t.contact {})
      t.eq(s, "Welcome, there", "subject without a first name")
      t.ok(b:find("teams like yours", 1, true), "fallback for a missing org")
    end,
    ["the follow-up uses the payload"] = function(t)
      local s, b = t.render("prospect_followup", t.contact { first_name = "Bo" },
        { topic = "the demo", next_step = "a trial" })
      t.eq(s, "Following up on the demo", "subject")
      t.ok(b:find("Hi Bo,", 1, true) and b:find("the next step: a trial", 1, true), "body")
      s = t.render("prospect_followup", t.contact {})
      t.eq(s, "Following up on our last conversation", "subject without a payload")
    end,
    ["every nurture step has a subject and a body"] = function(t)
      for _, day in ipairs { 0, 3, 7, 14 } do
        local s, b = t.render("nurture_day" .. day, t.contact { first_name = "Cy" })
        t.ok(#s > 0 and #b > 0, "nurture_day" .. day)
      end
    end,
  },
}
