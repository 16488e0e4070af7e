--[[ hubspot: import mapping for a HubSpot contacts export (Contacts, Export,
CSV). HubSpot writes the properties the user picked, under their labels, so
every column is optional here: the row function reads whichever of the usual
labels are present. Record ID is the external id (source "hubspot").
Lifecycle Stage sets the initial stage: subscriber, lead and marketing
qualified lead are leads, sales qualified lead a prospect, opportunity an
opportunity, customer and evangelist won. Lead Status and Lifecycle Stage are
kept in attrs; other non-empty columns are kept under their label.
Country/Region is stored as an ISO code ("Germany" -> "DE") when it names a
known country, so the ICP, which uses codes, can match it. ]]

local countries = require("countries")

local LIFECYCLE = {
	["subscriber"] = "lead",
	["lead"] = "lead",
	["marketing qualified lead"] = "lead",
	["marketingqualifiedlead"] = "lead",
	["sales qualified lead"] = "prospect",
	["salesqualifiedlead"] = "prospect",
	["opportunity"] = "opportunity",
	["customer"] = "won",
	["evangelist"] = "won",
}

-- heed field = the labels HubSpot uses for it, first present wins
local COLUMNS = {
	{ "external_id", "Record ID", "Contact ID" },
	{ "email", "Email", "Email Address" },
	{ "first_name", "First Name" },
	{ "last_name", "Last Name" },
	{ "title", "Job Title" },
	{ "phone", "Phone Number", "Mobile Phone Number" },
	{ "owner", "Contact owner", "Contact Owner", "HubSpot Owner" },
	{ "created_at", "Create Date", "Created Date" },
	{ "org.name", "Company Name", "Associated Company", "Company" },
	{ "org.industry", "Industry" },
	{ "org.country", "Country/Region", "Country" },
	{ "org.employees", "Number of Employees" },
	{ "org.domain", "Company Domain Name", "Website URL" },
	{ "attrs.lifecycle_stage", "Lifecycle Stage" },
	{ "attrs.lead_status", "Lead Status" },
	{ "attrs.city", "City" },
	{ "attrs.last_activity", "Last Activity Date" },
}

local USED = {}
for _, c in ipairs(COLUMNS) do
	for i = 2, #c do USED[c[i]] = true end
end

local function stage(lifecycle)
	if not lifecycle then return nil end
	return LIFECYCLE[lifecycle:lower()]
end

local function domain(site)
	if not site then return nil end
	local d = site:lower():gsub("^%a+://", ""):gsub("^www%.", ""):gsub("[/:].*$", "")
	if d:find("%.") then return d end
	return nil
end

local function map_row(row)
	local out = {}
	for _, c in ipairs(COLUMNS) do
		for i = 2, #c do
			if row[c[i]] then
				out[c[1]] = row[c[i]]
				break
			end
		end
	end
	out["org.domain"] = domain(out["org.domain"])
	out["org.country"] = countries.code(out["org.country"])
	out.stage = stage(row["Lifecycle Stage"])
	for k, v in pairs(row) do
		if not USED[k] then out["attrs." .. k] = v end
	end
	return out
end

return {
	name = "hubspot",
	version = "1.0.0",
	api = 1,
	map = {
		source = "hubspot",
		placeholders = { "--" },
		fields = {},
		row = map_row,
	},
	tests = {
		["lifecycle stages map onto heed's stages"] = function(t)
			t.eq(stage("Marketing Qualified Lead"), "lead", "MQL")
			t.eq(stage("salesqualifiedlead"), "prospect", "SQL, internal name")
			t.eq(stage("Customer"), "won", "customer")
			t.eq(stage("Other"), nil, "unknown stays unset")
		end,
		["labels are read whichever are present"] = function(t)
			local r = map_row({ ["Record ID"] = "51", ["Email"] = "a@b.example", ["Company"] = "B",
				["Website URL"] = "https://www.b.example/", ["Favourite"] = "tea" })
			t.eq(r.external_id, "51", "id")
			t.eq(r["org.name"], "B", "company")
			t.eq(r["org.domain"], "b.example", "domain")
			t.eq(r["attrs.Favourite"], "tea", "other columns kept")
		end,
		["country names become ISO codes"] = function(t)
			t.eq(map_row({ ["Country/Region"] = "Germany" })["org.country"], "DE", "Germany")
			t.eq(map_row({ ["Country/Region"] = "United States" })["org.country"], "US", "United States")
			t.eq(map_row({ ["Country"] = "de" })["org.country"], "DE", "a code, lower case")
			t.eq(map_row({ ["Country/Region"] = "Atlantis" })["org.country"], "Atlantis", "unknown kept")
		end,
	},
}
