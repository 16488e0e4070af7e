#!/usr/bin/env bash
# crm_maps: the shipped maps for a HubSpot contacts export (generated here, in
# HubSpot's labels) and a SuiteCRM Leads export (the shared 61-column file,
# plus rows made on its header): fields, stages, external ids, re-import.
. "$(dirname "$0")/lib.sh"

cat >"$T/hubspot.csv" <<'CSV'
Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Lead Status,Create Date,Contact owner,Country/Region,Website URL,Favourite Tool
101,Mia,Kahn,Mia.Kahn@Vela.example,+49 40 555,Vela GmbH,CTO,salesqualifiedlead,OPEN,2026-03-01 10:22,Jo Seller,DE,https://www.vela.example/,Notion
102,Oli,Park,oli@vela.example,,Vela GmbH,Analyst,Customer,,2026-03-02,Jo Seller,DE,,--
103,Ren,Sato,ren@kumo.example,,Kumo KK,,Subscriber,NEW,2026-03-03,,JP,,
CSV
run import "$T/hubspot.csv" --map hubspot
expect_eq "hubspot: exit" "$RC" 0
expect_match "hubspot: summary" "$OUT" "3 rows, 3 created"
expect_eq "hubspot: stages" "$(sql "SELECT group_concat(external_id || '=' || stage, ' ') FROM (SELECT * FROM contacts ORDER BY id)")" \
	"101=prospect 102=won 103=lead"
run show 101 --format json
expect_eq "hubspot: fields" "$(printf '%s' "$OUT" | json "(d['email'], d['source'], d['first_name'], d['title'], d['phone'], d['owner'], d['created_at'])")" \
	"('mia.kahn@vela.example', 'hubspot', 'Mia', 'CTO', '+49 40 555', 'Jo Seller', '2026-03-01T10:22:00Z')"
expect_eq "hubspot: organisation" "$(printf '%s' "$OUT" | json "(d['organisation']['name'], d['organisation']['domain'], d['organisation']['country'])")" \
	"('Vela GmbH', 'vela.example', 'DE')"
expect_eq "hubspot: attrs" "$(printf '%s' "$OUT" | json "sorted(d['attrs'].items())")" \
	"[('Favourite Tool', 'Notion'), ('lead_status', 'OPEN'), ('lifecycle_stage', 'salesqualifiedlead')]"
expect_eq "hubspot: '--' is a placeholder" "$(sql "SELECT coalesce(attrs, '') FROM contacts WHERE external_id = '102'")" \
	'{"lifecycle_stage":"Customer"}'
expect_eq "hubspot: Vela GmbH shared, Kumo KK: two organisations" "$(sql "SELECT count(*) FROM organisations")" 2
run import "$T/hubspot.csv" --map hubspot
expect_match "hubspot: re-import" "$OUT" "3 rows, 0 created, 3 matched existing contacts \(0 updated, 3 unchanged\)"

if [ ! -d "$DATA/suitecrm-leads-export" ]; then
	echo "SKIP part: $DATA/suitecrm-leads-export is not there (the shared data sets live beside the project)"
	finish
fi
S="$DATA/suitecrm-leads-export/Leads.csv"
export HEED_DB="$T/suite.db"
run import "$S" --map suitecrm
expect_eq "suitecrm: exit" "$RC" 0
expect_match "suitecrm: summary" "$OUT" "1 row, 1 created"
run show sales20@example.tv --format json
expect_eq "suitecrm: fields" "$(printf '%s' "$OUT" | json "(d['source'], d['external_id'], d['first_name'], d['last_name'], d['title'], d['owner'], d['stage'], d['created_at'])")" \
	"('suitecrm', '0097c0de-e6c6-4b97-a652-a178e5b7bc30', 'Iya', 'Swa', 'VP Sales', 'sally', 'lead', '2022-08-28T17:00:00Z')"
expect_eq "suitecrm: organisation" "$(printf '%s' "$OUT" | json "(d['organisation']['name'], d['organisation']['domain'])")" \
	"('Gifted Holdings AG', 'sectionhr.info')"
expect_eq "suitecrm: status and lead source kept" "$(printf '%s' "$OUT" | json "(d['attrs']['status'], d['attrs']['lead_source'])")" \
	"('New', 'Cold Call')"
# more rows on the same header: stages from Status, a deleted row skipped
python3 - "$S" "$T/suite2.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, base = rows[0], rows[1]
out = csv.writer(open(sys.argv[2], "w", newline=""))
out.writerow(head)
def row(i, status, email, deleted="0"):
    r = list(base)
    r[head.index("ID")] = "id-%d" % i
    r[head.index("Email Address")] = email
    r[head.index("Status")] = status
    r[head.index("Deleted")] = deleted
    return r
out.writerow(row(1, "In Process", "p@example.tv"))
out.writerow(row(2, "Converted", "c@example.tv"))
out.writerow(row(3, "Dead", "d@example.tv"))
out.writerow(row(4, "New", "gone@example.tv", deleted="1"))
PY
run import "$T/suite2.csv" --map suitecrm
expect_eq "suitecrm rows: exit" "$RC" 0
expect_match "suitecrm rows: deleted skipped" "$OUT" "4 rows, 3 created, .* 1 skipped"
expect_eq "suitecrm rows: stages" "$(sql "SELECT group_concat(external_id || '=' || stage, ' ') FROM (SELECT * FROM contacts WHERE external_id LIKE 'id-%' ORDER BY id)")" \
	"id-1=prospect id-2=opportunity id-3=disqualified"
# HubSpot writes country names; the shipped ICP uses ISO codes
export HEED_DB="$T/countries.db"
cat >"$T/hubspot-countries.csv" <<'CSV'
Record ID,Email,Company Name,Industry,Number of Employees,Country/Region
201,a@de.example,De GmbH,Software,240,Germany
202,b@us.example,Us Inc,Software,240,United States
203,c@xx.example,Xx Ltd,Software,240,Atlantis
CSV
run import "$T/hubspot-countries.csv" --map hubspot
expect_eq "hubspot countries: exit" "$RC" 0
expect_eq "hubspot countries: names become ISO codes, unknown kept" \
	"$(sql "SELECT group_concat(o.country, ' ') FROM (SELECT o.country FROM contacts c JOIN organisations o ON o.id = c.org_id ORDER BY c.id) o")" \
	"DE US Atlantis"
run score --all
expect_eq "hubspot countries: score" "$RC" 0
expect_match "hubspot countries: the ICP matches Germany" "$(sql "SELECT score_parts FROM contacts WHERE external_id = '201'")" "DE \+5"
finish
