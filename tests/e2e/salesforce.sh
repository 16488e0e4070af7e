#!/usr/bin/env bash
# salesforce: the 20 Salesforce-style leads import with their status mapped to
# stages (2 opportunity, 1 disqualified, 17 lead), and non-ASCII names and
# places come back byte for byte in show, show --format json and list --format json.
. "$(dirname "$0")/lib.sh"
need_data salesforce-sample-leads
CSV="$DATA/salesforce-sample-leads/Leads.csv"

MUELLER=$(printf 'M\xc3\xbcller')   # Müller, precomposed ü (U+00FC)
ZUERICH=$(printf 'Z\xc3\xbcrich')   # Zürich
SAOPAULO=$(printf 'S\xc3\xa3o Paulo') # São Paulo

run import "$CSV" --map salesforce
expect_eq "import exit status" "$RC" 0
expect_match "import: 20 created" "$OUT" "20 rows, 20 created, .* 0 bad, "
expect_eq "contacts" "$(sql 'SELECT count(*) FROM contacts')" 20

stage_of() { sql "SELECT stage FROM contacts WHERE email = '$1'"; }
expect_eq "opportunities" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'opportunity'")" 2
expect_eq "disqualified" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'disqualified'")" 1
expect_eq "leads" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'lead'")" 17
expect_eq "Closed - Converted → opportunity (Tanaka)" "$(stage_of y.tanaka@tokyoauto.jp)" opportunity
expect_eq "Closed - Converted → opportunity (Schmidt)" "$(stage_of j.schmidt@hamburgins.de)" opportunity
expect_eq "Closed - Not Converted → disqualified (O'Connor)" "$(stage_of s.oconnor@corkpharma.ie)" disqualified
expect_eq "Working - Contacted → lead" "$(stage_of r.patel@mumbaifin.in)" lead

run pipeline --format json
expect_eq "pipeline: counts per stage" \
	"$(printf '%s' "$OUT" | json '",".join("%s=%d" % (s["stage"], s["count"]) for s in d["stages"])')" \
	"lead=17,prospect=0,opportunity=2,won=0,lost=0,disqualified=1"

# show, as text: the bytes of the name and the city are the file's bytes.
run show r.mueller@zurichwealth.ch
expect_eq "show exit status" "$RC" 0
CHECKS=$((CHECKS + 1))
printf '%s\n' "$OUT" | grep -qF "Robert $MUELLER" || fail "show does not print 'Robert $MUELLER': $OUT"
CHECKS=$((CHECKS + 1))
printf '%s\n' "$OUT" | grep -qF "$ZUERICH Wealth Management" || fail "show does not print '$ZUERICH Wealth Management': $OUT"
name_line=$(printf '%s\n' "$OUT" | grep -E '^  name ' | sed 's/^  name *//')
expect_eq "show prints the name line as in the CSV" \
	"$(printf '%s' "$name_line" | od -An -tx1 | tr -d ' \n')" \
	"$(printf 'Robert %s' "$MUELLER" | od -An -tx1 | tr -d ' \n')"
CHECKS=$((CHECKS + 1))
grep -qF "Robert,$MUELLER,$ZUERICH Wealth Management," "$CSV" || fail "the CSV itself does not hold those bytes"
expect_nomatch "no escapes or replacement characters in show" "$OUT" '\\u00|&uuml;|�'

# show --format json: decoded strings equal the expected text.
run show r.mueller@zurichwealth.ch --format json
expect_eq "show json exit status" "$RC" 0
expect_eq "show json: last name, organisation, phone" \
	"$(printf '%s' "$OUT" | json 'd["last_name"] == "M\u00fcller" and d["organisation"]["name"] == "Z\u00fcrich Wealth Management" and d["phone"] == "+41 44 555 1111"')" True

# list --format json: parses, and holds Müller and São Paulo exactly.
run list --format json
expect_eq "list json exit status" "$RC" 0
expect_eq "list json has 20 rows" "$(printf '%s' "$OUT" | json 'len(d)')" 20
expect_eq "list json: Robert Müller" \
	"$(printf '%s' "$OUT" | json '[r["name"] for r in d if r["email"] == "r.mueller@zurichwealth.ch"] == ["Robert M\u00fcller"]')" True
expect_eq "list json: São Paulo Agritech" \
	"$(printf '%s' "$OUT" | json '[r["organisation"] for r in d if r["email"] == "l.martins@spagritech.com.br"] == ["S\u00e3o Paulo Agritech"]')" True
expect_eq "list json: Malmö Green Energy" \
	"$(printf '%s' "$OUT" | json '[r["organisation"] for r in d if r["email"] == "p.johansson@malmogreen.se"] == ["Malm\u00f6 Green Energy"]')" True
expect_eq "list json: O'Connor" \
	"$(printf '%s' "$OUT" | json '[r["name"] for r in d if r["email"] == "s.oconnor@corkpharma.ie"] == ["Sarah O\x27Connor"]')" True
CHECKS=$((CHECKS + 1))
printf '%s' "$OUT" | grep -qF "$SAOPAULO" || fail "list json does not carry '$SAOPAULO' as UTF-8"

finish
