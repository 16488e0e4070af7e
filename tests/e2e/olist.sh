#!/usr/bin/env bash
# olist: the Olist MQLs import as 8,000 leads; the closed deals then move 842 of
# them to won (audited as forced import moves); the funnel gives lead → won
# 842/8000 with a median of 14 days; the one deal won before its first contact
# is a warning naming its file line, and that contact is still won.
. "$(dirname "$0")/lib.sh"
need_data olist-marketing-funnel
MQL="$DATA/olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv"
DEALS="$DATA/olist-marketing-funnel/olist_closed_deals_dataset.csv"

run import "$MQL" --map olist_mql
expect_eq "MQL import exit status" "$RC" 0
expect_match "MQL import: 8000 created" "$OUT" "8000 rows, 8000 created, 0 matched existing"
expect_match "MQL import: nothing bad" "$OUT" ", 0 bad, "
expect_eq "MQL contacts are leads" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'lead' AND source = 'olist'")" 8000

# The deal whose won_date is before its MQL's first_contact_date, and its line.
read -r EARLY_ID EARLY_LINE < <(python3 - "$MQL" "$DEALS" <<'EOF'
import csv, sys, datetime
first = {}
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        first[row["mql_id"]] = datetime.datetime.strptime(row["first_contact_date"], "%d-%m-%Y")
early = []
with open(sys.argv[2], newline="") as f:
    for n, row in enumerate(csv.DictReader(f)):
        won = datetime.datetime.strptime(row["won_date"], "%d-%m-%Y %H:%M")
        if won < first[row["mql_id"]]:
            early.append((row["mql_id"], n + 2))  # no field spans lines: line = row + header
if len(early) != 1:
    sys.exit("expected one deal won before its first contact, found %d" % len(early))
print(*early[0])
EOF
)
CHECKS=$((CHECKS + 1))
[ -n "${EARLY_LINE:-}" ] || fail "could not find the early deal in the CSV"

run import "$DEALS" --map olist_deals
expect_eq "deals import exit status" "$RC" 0
expect_match "deals import: 842 stage moves" "$OUT" "842 rows, 0 created, 842 matched existing contacts .* 842 stage moves, 0 skipped, 0 bad, "
expect_match "the early deal is a warning naming its file and line" "$ERR" \
	"olist_closed_deals_dataset\.csv:$EARLY_LINE: warning: "
expect_match "the warning says it is kept" "$ERR" "kept"
expect_eq "contacts after the deals (none created)" "$(sql 'SELECT count(*) FROM contacts')" 8000

run show "$EARLY_ID" --format json
expect_eq "show the early deal's contact" "$RC" 0
expect_eq "the early deal's contact is won, not dropped" "$(printf '%s' "$OUT" | json 'd["stage"]')" won
expect_eq "its history has the lead → won move" \
	"$(printf '%s' "$OUT" | json '[(h["from"], h["to"]) for h in d["history"]]')" "[('lead', 'won')]"

# History: 842 forced lead → won moves by the importer, and nothing else.
expect_eq "history rows lead → won, forced, by the import" \
	"$(sql "SELECT count(*) FROM stage_history WHERE from_stage = 'lead' AND to_stage = 'won' AND forced = 1 AND actor LIKE 'import:%'")" 842
expect_eq "history rows in all" "$(sql 'SELECT count(*) FROM stage_history')" 842
expect_eq "one move per contact" "$(sql 'SELECT count(DISTINCT contact_id) FROM stage_history')" 842

run pipeline --format json
expect_eq "pipeline exit status" "$RC" 0
printf '%s' "$OUT" >"$T/pipeline.json"
p() { json "$1" <"$T/pipeline.json"; }
expect_eq "won count" "$(p '[s["count"] for s in d["stages"] if s["stage"] == "won"][0]')" 842
expect_eq "lead count" "$(p '[s["count"] for s in d["stages"] if s["stage"] == "lead"][0]')" 7158
expect_eq "lead reached" "$(p '[s["reached"] for s in d["stages"] if s["stage"] == "lead"][0]')" 8000
expect_eq "lead conversion == 842/8000" \
	"$(p 'abs([s["conversion"] for s in d["stages"] if s["stage"] == "lead"][0] - 842/8000) < 1e-9')" True
expect_eq "lead_to_won == 842/8000" "$(p 'abs(d["lead_to_won"] - 842/8000) < 1e-9')" True
expect_eq "lead median_days == 14" "$(p '[s["median_days"] for s in d["stages"] if s["stage"] == "lead"][0] == 14')" True

finish
