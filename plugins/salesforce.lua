--[[ salesforce: import mapping for a Lead export that uses Salesforce's Lead
API field names (salesforce-sample-leads/Leads.csv, 20 rows). Status follows
the standard Lead Status picklist: a converted lead has become an
opportunity, a closed unconverted one is disqualified, open and working
leads are leads. The raw Status is kept in attrs.status so the distinction
between "Open - Not Contacted" and "Working - Contacted" is not lost. The
file has no id column, so contacts are matched by email. ]]
return {
	name = "salesforce",
	version = "1.0.0",
	api = 1,
	map = {
		source = "salesforce",
		fields = {
			first_name = "FirstName",
			last_name = "LastName",
			["org.name"] = "Company",
			email = "Email",
			phone = "Phone",
			title = "Title",
			["org.industry"] = "Industry",
			["attrs.lead_source"] = "LeadSource",
			["attrs.status"] = "Status",
		},
		stage = {
			column = "Status",
			values = {
				["Closed - Converted"] = "opportunity",
				["Closed - Not Converted"] = "disqualified",
			},
			default = "lead",
		},
	},
}
