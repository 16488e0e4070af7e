--[[ xedu: import mapping and lead score for the X Education lead-scoring data
set (x-education-leads/Leads.csv: 9,240 leads from an online-course seller,
label `Converted` 0/1). See plugins/DATASETS.md.

Import
  external id = `Prospect ID` (source "xedu"); `Converted` = 1 -> won, else lead;
  `Select` (a drop-down left untouched) counts as empty; every other non-empty
  column is kept in attrs under its CSV header, as a string.

Score
  A points table, one row per fact about the lead. Points are about 10 x the
  log-odds a logistic regression gave each fact when all of them were fitted
  together on the 9,240 leads, rounded to whole points; each group was then
  shifted so that "nothing known" is 0 (this does not change the ranking). The
  reasons quote the plain conversion rate of the leads that carry the fact.

  Reads only what is known when the lead arrives: Lead Origin, Lead Source
  (case-folded, so `google` = `Google`), Do Not Email, What is your current
  occupation, Specialization, Total Time Spent on Website, TotalVisits.

  Never reads: Tags, Lead Quality, Lead Profile, the Asymmetrique columns, Last
  Notable Activity, Last Activity (all filled by the sales team during or after
  follow-up, so they encode the outcome), Converted, or the stage.
  Left out because they added under 0.001 AUC once the above are known: What
  matters most to you in choosing a course (its 6,531 answers all come from
  leads who also answered occupation), City, Country, How did you hear about X
  Education, Page Views Per Visit, A free copy of Mastering The Interview, the
  advertising-channel Yes/No columns (almost all `No`), Do Not Call (2 `Yes`),
  and which Specialization was named (only whether one was).

  Measured: ROC AUC 0.876 against `Converted` over all 9,240 rows (Mann-Whitney,
  average ranks for ties); 5-fold cross-validated AUC of the same model 0.874;
  96% of the top-scored tenth converted (base rate 38.5%).
  Caveat: time on site may keep growing after first contact; it is the
  strongest single signal after the form answers (0.65 AUC alone).
--]]

-- Lead Origin: how the lead entered the system.
local ORIGIN = {
	["Lead Add Form"] = { 25, "Lead Add Form leads convert at 92% (664 of 718)" },
	["Quick Add Form"] = { 25, "Quick Add Form is an add form like Lead Add Form (92%)" },
	["API"] = { 7, "API leads convert better than landing-page leads once their form answers are known (65% vs 37% with a specialization)" },
	-- Landing Page Submission (36%) and Lead Import (24%, 55 leads): 0.
}

-- Lead Source, compared in lower case.
local SOURCE = {
	["welingak website"] = { 21, "Welingak Website leads convert at 99% (140 of 142)" },
	["olark chat"] = { -6, "Olark Chat leads convert at 25% (448 of 1,755)" },
	["referral sites"] = { -5, "Referral Sites leads convert at 25% (31 of 125)" },
	["facebook"] = { -5, "Facebook leads convert at 24% (13 of 55)" },
	["direct traffic"] = { -3, "Direct Traffic leads convert at 32% (818 of 2,543)" },
	-- Google (40%), Organic Search (38%), Reference (92%, all Lead Add Form) and the rare sources: 0.
}

local DO_NOT_EMAIL = { -13, "asked not to be emailed: 16% convert (118 of 734)" }

-- What is your current occupation; not answered = 0 (14% convert, 370 of 2,690).
local OCCUPATION_WORKING = { 36, "working professionals convert at 92% (647 of 706)" }
local OCCUPATION_OTHER = { 13, "answered the occupation question: 44% convert (2,544 of 5,844) vs 14% of those who did not" }

local SPECIALIZATION = { 10, "named a specialization: 44% convert (2,592 of 5,860) vs 29% of those who did not" }

-- Total Time Spent on Website, seconds: first bucket whose limit exceeds the
-- value. No time recorded (0 or empty: chat and add-form leads, 42%) = 0.
local TIME_ON_SITE = {
	{ 240, -17, "left the site within 4 minutes: 13% convert (311 of 2,346)" },
	{ 480, -15, "spent 4-8 minutes on the site: 17% convert (243 of 1,469)" },
	{ 600, -8, "spent 8-10 minutes on the site: 28% convert (79 of 279)" },
	{ 720, 1, "spent 10-12 minutes on the site: 48% convert (93 of 192)" },
	{ math.huge, 9, "spent 12 minutes or more on the site: 69% convert (1,919 of 2,761)" },
}

local MANY_VISITS = { 8, 4, "visited the site 8 times or more: 47% convert (398 of 855)" }

local function num(s)
	if s == nil then return nil end
	return tonumber(s)
end

local function add(parts, name, entry, offset)
	offset = offset or 0
	if entry and entry[1 + offset] ~= 0 then
		parts[#parts + 1] = { name = name, points = entry[1 + offset], reason = entry[2 + offset] }
	end
end

local function score(c)
	if c.source ~= "xedu" then return {} end
	local a = c.attrs or {}
	local parts = {}

	add(parts, "origin", ORIGIN[a["Lead Origin"] or ""])

	local src = a["Lead Source"]
	if src then add(parts, "source", SOURCE[string.lower(src)]) end

	if a["Do Not Email"] == "Yes" then add(parts, "do_not_email", DO_NOT_EMAIL) end

	local occ = a["What is your current occupation"]
	if occ == "Working Professional" then
		add(parts, "occupation", OCCUPATION_WORKING)
	elseif occ then
		add(parts, "occupation", OCCUPATION_OTHER)
	end

	if a["Specialization"] then add(parts, "specialization", SPECIALIZATION) end

	local secs = num(a["Total Time Spent on Website"])
	if secs and secs > 0 then
		for _, b in ipairs(TIME_ON_SITE) do
			if secs < b[1] then
				add(parts, "time_on_site", b, 1)
				break
			end
		end
	end

	local visits = num(a["TotalVisits"])
	if visits and visits >= MANY_VISITS[1] then add(parts, "visits", MANY_VISITS, 1) end

	return parts
end

return {
	name = "xedu",
	version = "1.0.0",
	api = 1,
	score = score,
	map = {
		source = "xedu",
		placeholders = { "Select" },
		fields = { external_id = "Prospect ID" },
		stage = { column = "Converted", values = { ["1"] = "won" }, default = "lead" },
		keep_rest = true,
	},
}
