--[[ olist_deals: import mapping for Olist's closed deals
(olist-marketing-funnel/olist_closed_deals_dataset.csv, 842 rows, all won).
Import it after olist_mql.lua: it shares the "olist" namespace and the mql_id
key, and is update_only, so each row marks the MQL it belongs to as won
instead of creating a second, bare contact that has only deal attributes
(all 842 ids are in the MQL file; with the MQLs not imported yet, nothing
would be created).
won_date is DD-MM-YYYY HH:MM (Excel dropped the seconds) and becomes the
time the contact entered "won". Every other non-empty column goes to attrs
as text (TRUE/FALSE, "cat, wolf" and the `0` revenues stay as written).

Excel also read two of the average_stock ranges as dates: `5-20` became
`May-20` (month-year) and `1-5` became `01-May` (day-month). The row function
turns any such value back into a range; the others (20-50, 50-200, 200+,
unknown) are left alone. ]]

local MONTHS = {
	jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6,
	jul = 7, aug = 8, sep = 9, oct = 10, nov = 11, dec = 12,
}

-- "May-20" -> "5-20"; "01-May" -> "1-5"; anything else -> nil (unchanged).
local function unmangle(v)
	local mon, n = string.match(v, "^(%a%a%a)%-(%d%d?)$")
	if mon and MONTHS[string.lower(mon)] then
		return MONTHS[string.lower(mon)] .. "-" .. tonumber(n)
	end
	n, mon = string.match(v, "^(%d%d?)%-(%a%a%a)$")
	if mon and MONTHS[string.lower(mon)] then
		return tonumber(n) .. "-" .. MONTHS[string.lower(mon)]
	end
	return nil
end

return {
	name = "olist_deals",
	version = "1.0.0",
	api = 1,
	map = {
		source = "olist",
		update_only = true,
		fields = {
			external_id = "mql_id",
			stage_at = "won_date",
		},
		stage = { default = "won" },
		time_layout = "DD-MM-YYYY HH:MI",
		keep_rest = true,
		row = function(row)
			local v = row["average_stock"]
			local fixed = v and unmangle(v)
			if fixed then return { ["attrs.average_stock"] = fixed } end
			return {}
		end,
	},
}
