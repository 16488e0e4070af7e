--[[ generic: import mapping for everyday CSV exports (spreadsheets, web forms,
mailing tools, other CRMs) whose headers are not known in advance.

  heed import contacts.csv --map generic

Headers are recognised by spelling, compared in lower case with everything but
ASCII letters and digits removed, so `E-mail`, `email_address`, `Email Address`
and `EMAIL` are all the same header. See HEADERS below for the spellings.

  email           email, e-mail, email address, mail, Email1, Email 2, work email...
  first_name      first name, firstname, given name, forename, vorname
  last_name       last name, lastname, surname, family name, nachname
  org.name        company, account name, organisation, organization, employer, firma
  title           title, job title, position, role
  phone           phone, telephone, mobile, cell, phone number
  org.country     country, land
  org.industry    industry, sector
  org.employees   employees, number of employees, employee count, headcount, company size
                  (a range such as 50-200 or 200+ counts as its lower bound)
  org.domain      website, domain, url (the host name only: https://www.x.example/a -> x.example)
  attrs.city      city, town, stadt, ort
  attrs.notes     notes, note, description, comments

A `full name` / `name` column is split at its last space into first and last
name when the file has no first or last name column.

When two columns name the same field (`Email1` and `Email2`, `Phone` and
`Mobile`), the spelling listed first in HEADERS wins and the other column is
kept in attrs under its header, so nothing is lost. Every column that is not
recognised also goes to attrs under its header, as it is written.

Placeholders are the values web forms export for a drop-down nobody touched
(`Select`), or that people type for "none" (`n/a`). A map declares them with
`map.placeholders = { ... }` (see the end of this file): heed compares them with
each trimmed cell, ignoring ASCII case, and a matching cell arrives as empty, so
it is neither mapped nor kept in attrs. HTML entities in cells (`M&uuml;hle`)
are decoded by heed itself, so this map does not deal with them.
--]]

-- Normalised header -> { field, rank }. A lower rank wins when two columns map
-- to the same field. Keys are lower case, letters and digits only.
local HEADERS = {}

local function spellings(field, list)
	for rank, h in ipairs(list) do
		HEADERS[h] = { field = field, rank = rank }
	end
end

spellings("email", {
	"email", "emailaddress", "mail", "primaryemail", "workemail", "businessemail",
	"emailadresse", "contactemail", "personalemail", "email1", "email2", "email3",
})
spellings("first_name", { "firstname", "givenname", "forename", "fname", "vorname" })
spellings("last_name", { "lastname", "surname", "familyname", "lname", "nachname" })
spellings("full_name", { "fullname", "contactname", "name" })
spellings("org.name", {
	"company", "companyname", "accountname", "account", "organisation", "organization",
	"organisationname", "organizationname", "org", "employer", "firma", "unternehmen",
})
spellings("title", { "title", "jobtitle", "position", "role", "jobrole", "designation" })
spellings("phone", {
	"phone", "phonenumber", "telephone", "tel", "workphone", "businessphone", "mobile",
	"mobilephone", "mobilenumber", "cell", "cellphone", "telefon",
})
spellings("org.country", { "country", "countryname", "countrycode", "land" })
spellings("org.industry", { "industry", "sector", "branche" })
spellings("org.employees", {
	"employees", "numberofemployees", "employeecount", "noofemployees", "headcount",
	"companysize", "staff", "mitarbeiter",
})
spellings("org.domain", { "website", "domain", "companywebsite", "url", "web" })
spellings("attrs.city", { "city", "town", "stadt", "ort" })
spellings("attrs.notes", { "notes", "note", "description", "comments", "comment", "remarks" })

-- "E-Mail Address" -> "emailaddress"
local function norm(header)
	return (header:lower():gsub("[^%w]", ""))
end

-- "https://www.Tern.example/about" -> "tern.example"
local function host(url)
	local h = url:lower():gsub("^%a[%w+.-]*://", ""):gsub("^www%.", "")
	return h:match("^[^/?#:]+") or h
end

-- "Ada  Lovelace" -> "Ada", "Lovelace": split at the last run of spaces. A
-- plain scan from the end, not a pattern: a pattern like "^(.-)%s+(%S+)$"
-- backtracks quadratically on a long run of spaces in a hostile cell.
local function split_name(v)
	local i = #v
	while i > 0 and v:byte(i) <= 32 do i = i - 1 end -- trailing space
	local j = i
	while j > 0 and v:byte(j) > 32 do j = j - 1 end -- the last word
	local k = j
	while k > 0 and v:byte(k) <= 32 do k = k - 1 end -- the gap before it
	if j == 0 or k == 0 then return v, nil end      -- one word: a first name only
	return v:sub(1, k), v:sub(j + 1, i)
end

-- Does a winner with (rank, header) beat the current holder of a field?
local function beats(rank, header, cur)
	if not cur then return true end
	if rank ~= cur.rank then return rank < cur.rank end
	return header < cur.header -- same spelling twice: a fixed order, not pairs() order
end

local function row(r)
	local best = {} -- field -> { rank, header, value }
	for header, value in pairs(r) do
		local h = HEADERS[norm(header)]
		if h and beats(h.rank, header, best[h.field]) then
			best[h.field] = { rank = h.rank, header = header, value = value }
		end
	end
	local out = {}
	for header, value in pairs(r) do
		local h = HEADERS[norm(header)]
		local won = h and best[h.field].header == header
		if not won and header ~= "" then
			out["attrs." .. header] = value
		end
	end
	for field, b in pairs(best) do
		if field ~= "full_name" then
			out[field] = b.value
		end
	end
	if out["org.domain"] then
		out["org.domain"] = host(out["org.domain"])
	end
	local size = out["org.employees"]
	if size then -- "50-200", "200+", "1,000-5,000": the lower bound
		local low = size:gsub(",", ""):match("^%s*(%d+)%s*[-+]")
		if low then
			out["org.employees"] = low
			out["attrs." .. best["org.employees"].header] = size
		end
	end
	local full = best.full_name
	if full and not best.first_name and not best.last_name then
		out.first_name, out.last_name = split_name(full.value)
	elseif full then
		out["attrs." .. full.header] = full.value
	end
	return out
end

return {
	name = "generic",
	version = "1.0.0",
	api = 1,
	description = "import map for CSV exports with common header spellings",
	map = {
		-- compared with the trimmed cell, ignoring ASCII case; "null" is left out,
		-- because Null is also a surname
		placeholders = { "Select", "-- Select --", "Please select", "n/a", "-" },
		row = row,
	},
}
