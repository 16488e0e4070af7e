--[[ countries: country names as CRM exports write them ("Germany",
"Deutschland", "United States") to ISO 3166-1 alpha-2 codes, which heed's
ICP and reports use. require("countries").code(v) returns the code for a
known name or a two-letter code (upper-cased), and anything else as it was,
so no value is lost. Names match ignoring case, spaces at the ends and dots. ]]

local NAMES = {
	-- DACH and Benelux, Nordics, the rest of Europe
	["germany"] = "DE", ["deutschland"] = "DE", ["federal republic of germany"] = "DE",
	["austria"] = "AT", ["österreich"] = "AT", ["Österreich"] = "AT", ["oesterreich"] = "AT",
	["switzerland"] = "CH", ["schweiz"] = "CH", ["suisse"] = "CH", ["svizzera"] = "CH",
	["netherlands"] = "NL", ["the netherlands"] = "NL", ["holland"] = "NL", ["nederland"] = "NL",
	["belgium"] = "BE", ["belgië"] = "BE", ["belgique"] = "BE", ["belgien"] = "BE",
	["luxembourg"] = "LU", ["luxemburg"] = "LU",
	["denmark"] = "DK", ["danmark"] = "DK", ["dänemark"] = "DK",
	["sweden"] = "SE", ["sverige"] = "SE", ["schweden"] = "SE",
	["norway"] = "NO", ["norge"] = "NO", ["norwegen"] = "NO",
	["finland"] = "FI", ["suomi"] = "FI", ["finnland"] = "FI",
	["iceland"] = "IS",
	["france"] = "FR", ["frankreich"] = "FR",
	["spain"] = "ES", ["españa"] = "ES", ["espana"] = "ES", ["spanien"] = "ES",
	["portugal"] = "PT",
	["italy"] = "IT", ["italia"] = "IT", ["italien"] = "IT",
	["ireland"] = "IE", ["republic of ireland"] = "IE",
	["united kingdom"] = "GB", ["uk"] = "GB", ["great britain"] = "GB", ["britain"] = "GB",
	["england"] = "GB", ["scotland"] = "GB", ["wales"] = "GB", ["northern ireland"] = "GB",
	["united kingdom of great britain and northern ireland"] = "GB",
	["poland"] = "PL", ["polska"] = "PL", ["polen"] = "PL",
	["czech republic"] = "CZ", ["czechia"] = "CZ", ["tschechien"] = "CZ",
	["slovakia"] = "SK", ["hungary"] = "HU", ["slovenia"] = "SI", ["croatia"] = "HR",
	["romania"] = "RO", ["bulgaria"] = "BG", ["greece"] = "GR", ["cyprus"] = "CY",
	["malta"] = "MT", ["estonia"] = "EE", ["latvia"] = "LV", ["lithuania"] = "LT",
	["serbia"] = "RS", ["ukraine"] = "UA", ["turkey"] = "TR", ["türkiye"] = "TR",
	["russia"] = "RU", ["russian federation"] = "RU", ["liechtenstein"] = "LI", ["monaco"] = "MC",
	-- the Americas
	["united states"] = "US", ["united states of america"] = "US", ["usa"] = "US", ["us"] = "US",
	["america"] = "US", ["canada"] = "CA", ["mexico"] = "MX", ["méxico"] = "MX",
	["brazil"] = "BR", ["brasil"] = "BR", ["argentina"] = "AR", ["chile"] = "CL",
	["colombia"] = "CO", ["peru"] = "PE", ["uruguay"] = "UY",
	-- Asia, Oceania, Middle East, Africa
	["india"] = "IN", ["china"] = "CN", ["people's republic of china"] = "CN", ["japan"] = "JP",
	["south korea"] = "KR", ["korea, republic of"] = "KR", ["republic of korea"] = "KR",
	["singapore"] = "SG", ["hong kong"] = "HK", ["taiwan"] = "TW", ["malaysia"] = "MY",
	["indonesia"] = "ID", ["philippines"] = "PH", ["thailand"] = "TH", ["vietnam"] = "VN",
	["viet nam"] = "VN", ["pakistan"] = "PK", ["bangladesh"] = "BD", ["sri lanka"] = "LK",
	["australia"] = "AU", ["new zealand"] = "NZ",
	["israel"] = "IL", ["united arab emirates"] = "AE", ["uae"] = "AE", ["saudi arabia"] = "SA",
	["qatar"] = "QA", ["bahrain"] = "BH", ["oman"] = "OM", ["kuwait"] = "KW",
	["egypt"] = "EG", ["south africa"] = "ZA", ["nigeria"] = "NG", ["kenya"] = "KE",
	["morocco"] = "MA",
}

local M = {}

--- The ISO 3166-1 alpha-2 code of v, or v unchanged when it names no known country.
function M.code(v)
	if type(v) ~= "string" then return v end
	local t = v:match("^%s*(.-)%s*$")
	if t:match("^%a%a$") and not NAMES[t:lower()] then return t:upper() end
	local key = t:lower():gsub("%.", "")
	return NAMES[key] or v
end

return M
