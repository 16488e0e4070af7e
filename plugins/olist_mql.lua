--[[ olist_mql: import mapping for Olist's marketing-qualified leads
(olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv, 8,000 rows).
Each MQL becomes a lead in the "olist" namespace keyed by mql_id, created when
first contacted. olist_deals.lua later marks the closed ones won. This copy was
re-saved by Excel, so first_contact_date is DD-MM-YYYY (not ISO).
landing_page_id and origin go to attrs; `unknown` is a real origin value
(1,099 leads) and is kept, while an empty origin (60 leads) is left out. ]]
return {
	name = "olist_mql",
	version = "1.0.0",
	api = 1,
	map = {
		source = "olist",
		fields = {
			external_id = "mql_id",
			created_at = "first_contact_date",
		},
		stage = { default = "lead" },
		time_layout = "DD-MM-YYYY",
		keep_rest = true,
	},
}
