--[[ suitecrm: import mapping for a SuiteCRM (7 and 8) Leads export: the
61-column header SuiteCRM writes (see ../shared/data/suitecrm-leads-export).
The lead's ID is the external id (source "suitecrm"), so a re-export of the
same leads updates them instead of duplicating them. Status follows
SuiteCRM's stock picklist: New, Assigned and Recycled leads are leads, In
Process is a prospect (someone is working it), Converted an opportunity, Dead
disqualified. The raw Status and Lead Source are kept in attrs. Rows marked
Deleted = 1 are skipped. Dates are DD-MM-YYYY HH:MM. The country is stored
as an ISO code ("USA" -> "US") when it names a known country. ]]

local countries = require("countries")

local function domain(site)
	if not site then return nil end
	local d = site:lower():gsub("^%a+://", ""):gsub("^www%.", ""):gsub("[/:].*$", "")
	if d:find("%.") then return d end
	return nil
end

return {
	name = "suitecrm",
	version = "1.0.0",
	api = 1,
	map = {
		source = "suitecrm",
		fields = {
			external_id = "ID",
			first_name = "First Name",
			last_name = "Last Name",
			title = "Job Title",
			email = "Email Address",
			phone = "Office Phone",
			owner = "Assigned to",
			created_at = "Date Created",
			["org.name"] = "Account Name",
			["org.country"] = "Primary Address Country",
			["deal.value"] = "Opportunity Amount",
			["attrs.status"] = "Status",
			["attrs.lead_source"] = "Lead Source",
			["attrs.city"] = "Primary Address City",
			["attrs.department"] = "Department",
			["attrs.mobile"] = "Mobile",
			["attrs.notes"] = "Description",
			["attrs.do_not_call"] = "Do Not Call",
			["attrs.campaign_id"] = "Campaign ID",
		},
		stage = {
			column = "Status",
			values = {
				["In Process"] = "prospect",
				["Converted"] = "opportunity",
				["Dead"] = "disqualified",
			},
			default = "lead",
		},
		time_layout = "DD-MM-YYYY HH:MI",
		row = function(row)
			if row["Deleted"] == "1" then
				return { skip = true }
			end
			return { ["org.domain"] = domain(row["Website"]),
				["org.country"] = countries.code(row["Primary Address Country"]) }
		end,
	},
	tests = {
		["the website gives the organisation's domain"] = function(t)
			t.eq(domain("www.sectionhr.info"), "sectionhr.info", "www. dropped")
			t.eq(domain("https://www.Example.com/about"), "example.com", "scheme, case and path dropped")
			t.eq(domain("localhost"), nil, "no dot, no domain")
		end,
		["country names become ISO codes"] = function(t)
			t.eq(countries.code("USA"), "US", "USA")
			t.eq(countries.code(" Deutschland "), "DE", "a German name, spaces")
			t.eq(countries.code("Österreich"), "AT", "non-ASCII capital")
			t.eq(countries.code("U.S.A."), "US", "dots")
			t.eq(countries.code(nil), nil, "absent")
		end,
	},
}
