#!/usr/bin/env bash
# why_advance: a lead at an ICP organisation with a need and two-way engagement
# on two days, but only an Analyst, fails exactly the stakeholder check; `why`
# says so (FAIL and the reason, the other checks pass) and `advance` leaves it a
# lead. Recording the missing fact — a VP title (A) or a CFO stakeholder event
# (B) — lets `advance` move it to prospect, audited with the plugin versions.
. "$(dirname "$0")/lib.sh"

# The plugin versions `advance` must record: name@version of every shipped plugin
# that has criteria for prospect (the ones that decided the move).
EXPECT_PLUGINS=$(python3 - "$HEED_PLUGINS" <<'EOF'
import glob, os, re, sys
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.lua"))):
    text = open(path, encoding="utf-8").read()
    name = re.search(r'^\s*name\s*=\s*"([^"]+)"', text, re.M)
    version = re.search(r'^\s*version\s*=\s*"([^"]+)"', text, re.M)
    if name and version and re.search(r'^\s*prospect\s*=\s*\{', text, re.M):
        out.append("%s@%s" % (name.group(1), version.group(1)))
print(",".join(sorted(out)))
EOF
)
expect_match "the shipped plugins include qualify" "$EXPECT_PLUGINS" "(^|,)qualify@[^,]+(,|$)"

# make_lead EMAIL FIRST: an Analyst at an ICP org (software, 240 staff, DE) with a
# recorded need, a visit on one day and a reply (two-way) on another.
make_lead() {
	"$HEED" add email="$1" first_name="$2" last_name=Lind title=Analyst \
		company="Nordlicht Software GmbH" industry=software employees=240 country=DE >/dev/null ||
		fail "add $1"
	"$HEED" event "$1" need text="manual lead routing eats two days a week" --at 2026-11-18 >/dev/null || fail "need $1"
	"$HEED" event "$1" visit page=/pricing --at 2026-11-20T10:00:00Z >/dev/null || fail "visit $1"
	"$HEED" event "$1" reply --at 2026-11-25T14:30:00Z >/dev/null || fail "reply $1"
}

# blocked EMAIL: why names the failing stakeholder check only; advance keeps it a lead.
blocked() {
	local c=$1 id
	id=$(sql "SELECT id FROM contacts WHERE email = '$c'")
	run why "$c"
	expect_eq "why $c: exit status" "$RC" 0
	expect_match "why $c: heading" "$OUT" "^$id $c: lead → prospect: not yet"
	expect_match "why $c: stakeholder FAILs with its reason" "$OUT" \
		"FAIL +qualify +stakeholder +no stakeholder with influence or authority: title 'Analyst' carries none; record one with \`heed event $id stakeholder"
	expect_eq "why $c: exactly one FAIL" "$(printf '%s\n' "$OUT" | grep -cE '^FAIL ')" 1
	expect_match "why $c: org_fit passes" "$OUT" "pass +qualify +org_fit +software, 240 staff, DE"
	expect_match "why $c: need passes" "$OUT" "pass +qualify +need +need recorded on 2026-11-18: manual lead routing"
	expect_match "why $c: engagement passes" "$OUT" \
		"pass +qualify +engagement +2 engagements over 2 days, latest two-way: reply on 2026-11-25"

	run why "$c" --format json
	expect_eq "why --format json $c: exit status" "$RC" 0
	expect_eq "why --format json $c: the checks and results" \
		"$(printf '%s' "$OUT" | json '",".join("%s:%s" % (r["check"], r["result"]) for r in d)')" \
		"org_fit:True,need:True,stakeholder:False,engagement:True"
	expect_eq "why --format json $c: the failing reason names the title" \
		"$(printf '%s' "$OUT" | json '[r["reason"] for r in d if r["check"] == "stakeholder"][0].startswith("no stakeholder with influence or authority: title \x27Analyst\x27")')" True

	local before
	before=$(store_digest)
	run advance "$c"
	expect_eq "advance $c (blocked): exit status" "$RC" 0
	expect_match "advance $c (blocked): says it stays" "$OUT" "^$id stays lead"
	expect_nomatch "advance $c (blocked): prints no move" "$OUT" "→"
	expect_eq "advance $c (blocked): store unchanged" "$(store_digest)" "$before"
	expect_eq "advance $c (blocked): still a lead" "$(sql "SELECT stage FROM contacts WHERE email = '$c'")" lead
}

# advanced EMAIL WHAT: advance moves it to prospect and records why and with what.
advanced() {
	local c=$1 id
	id=$(sql "SELECT id FROM contacts WHERE email = '$c'")
	run why "$c"
	expect_match "why $c after the fix: all criteria pass" "$OUT" "^$id $c: lead → prospect: all criteria pass"
	expect_match "why $c after the fix: stakeholder passes ($2)" "$OUT" "pass +qualify +stakeholder +$2"
	run advance "$c"
	expect_eq "advance $c: exit status" "$RC" 0
	expect_match "advance $c: prints the move" "$OUT" \
		"^$id $c: lead → prospect \(org_fit, need, stakeholder, engagement\)"
	run show "$c" --format json
	expect_eq "show $c: stage" "$(printf '%s' "$OUT" | json 'd["stage"]')" prospect
	expect_eq "show $c: one history row" "$(printf '%s' "$OUT" | json 'len(d["history"])')" 1
	expect_eq "show $c: lead → prospect by advance, not forced" \
		"$(printf '%s' "$OUT" | json '"%s>%s %s %s" % (d["history"][0]["from"], d["history"][0]["to"], d["history"][0]["actor"], d["history"][0]["forced"])')" \
		"lead>prospect advance False"
	expect_eq "show $c: the reason lists the checks" "$(printf '%s' "$OUT" | json 'd["history"][0]["reason"]')" \
		"criteria passed: org_fit, need, stakeholder, engagement"
	expect_eq "show $c: the plugin versions" "$(printf '%s' "$OUT" | json 'd["history"][0]["plugins"]')" "$EXPECT_PLUGINS"
	expect_eq "history in the store" \
		"$(sql "SELECT from_stage || '>' || to_stage || ' ' || actor || ' ' || forced FROM stage_history WHERE contact_id = $id")" \
		"lead>prospect advance 0"
}

# Variant A: the title becomes an authority title.
A=ana@nordlicht.example
make_lead "$A" Ana
blocked "$A"
run add email="$A" title="VP Sales"
expect_eq "add title: exit status" "$RC" 0
advanced "$A" "title 'VP Sales' carries authority \(VP\)"

# Variant B: a second contact; a CFO is recorded as a stakeholder.
B=bo@nordlicht.example
make_lead "$B" Bo
blocked "$B"
run event "$B" stakeholder name="Eva Berg" role=CFO --at 2026-11-28
expect_eq "event stakeholder: exit status" "$RC" 0
advanced "$B" "stakeholder Eva Berg \(CFO\) recorded on 2026-11-28"
expect_eq "B kept its Analyst title" "$(sql "SELECT title FROM contacts WHERE email = '$B'")" Analyst

finish
