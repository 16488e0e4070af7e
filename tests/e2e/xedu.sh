#!/usr/bin/env bash
# xedu: the X Education leads import through --map xedu (9,240 contacts, 3,561
# won), then `score --all`; the score ranks converted leads above the others
# with a ROC AUC of at least 0.85, computed here from the CSV's Converted column.
. "$(dirname "$0")/lib.sh"
need_data x-education-leads
CSV="$DATA/x-education-leads/Leads.csv"

run import "$CSV" --map xedu
expect_eq "import exit status" "$RC" 0
expect_match "import summary: created" "$OUT" "9240 rows, 9240 created, "
expect_match "import summary: nothing bad" "$OUT" ", 0 bad, "
expect_eq "contacts in the store" "$(sql 'SELECT count(*) FROM contacts')" 9240
expect_eq "contacts with a Prospect ID" \
	"$(sql "SELECT count(DISTINCT external_id) FROM contacts WHERE source = 'xedu'")" 9240

run pipeline --format json
expect_eq "pipeline exit status" "$RC" 0
expect_eq "won count" "$(printf '%s' "$OUT" | json '[s["count"] for s in d["stages"] if s["stage"] == "won"][0]')" 3561
expect_eq "lead count" "$(printf '%s' "$OUT" | json '[s["count"] for s in d["stages"] if s["stage"] == "lead"][0]')" 5679
expect_eq "other stages are empty" \
	"$(printf '%s' "$OUT" | json 'sum(s["count"] for s in d["stages"] if s["stage"] not in ("lead", "won"))')" 0

run score --all
expect_eq "score exit status" "$RC" 0
expect_match "score summary" "$OUT" "^scored 9240 contacts"

run list --format json
expect_eq "list exit status" "$RC" 0
printf '%s' "$OUT" >"$T/list.json"
AUC=$(python3 - "$CSV" "$T/list.json" <<'EOF'
import csv, json, sys
label = {}
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        label[row["Prospect ID"]] = int(row["Converted"])
rows = json.load(open(sys.argv[2], encoding="utf-8"))
pairs = []
for r in rows:
    if r["external_id"] not in label:
        sys.exit("contact %r is not in the CSV" % r["external_id"])
    if not isinstance(r["score"], (int, float)):
        sys.exit("contact %r has no score" % r["external_id"])
    pairs.append((r["score"], label[r["external_id"]]))
if len(pairs) != len(label):
    sys.exit("%d scored contacts for %d CSV rows" % (len(pairs), len(label)))
# Mann-Whitney U with average ranks for ties.
pairs.sort(key=lambda p: p[0])
ranks = [0.0] * len(pairs)
i = 0
while i < len(pairs):
    j = i
    while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
        j += 1
    for k in range(i, j + 1):
        ranks[k] = (i + j) / 2 + 1
    i = j + 1
npos = sum(1 for p in pairs if p[1] == 1)
nneg = len(pairs) - npos
rsum = sum(r for r, p in zip(ranks, pairs) if p[1] == 1)
print("%.4f" % ((rsum - npos * (npos + 1) / 2) / (npos * nneg)))
EOF
)
CHECKS=$((CHECKS + 1))
case "$AUC" in
[01].[0-9][0-9][0-9][0-9]) ;;
*) fail "AUC could not be computed: $AUC" ;;
esac
echo "xedu score ROC AUC against Converted: $AUC"
CHECKS=$((CHECKS + 1))
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.85 else 1)" "$AUC" 2>/dev/null ||
	fail "ROC AUC $AUC is below 0.85"

finish
