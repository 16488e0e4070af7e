#!/usr/bin/env bash
# score_parts_layout: heed stores score parts compact, as [[plugin, name,
# points, reason], …]. A store made before holds them as objects
# ({"plugin","name","points","reason"}): show reads those as well, and the next
# score (of one contact or --all) rewrites them compact. show --format json
# gives objects either way.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
cat >"$P/p.lua" <<'LUA'
return { name = "p", version = "1", api = 1,
  score = function(c, add)
    add("base", 7.5, "always")
    if c.title then add("title", 20, c.title .. " \"senior\"") end
  end }
LUA
export HEED_PLUGINS="$P"

"$HEED" init >/dev/null
"$HEED" add email=ann@x.example title=CEO first_name=Ann >/dev/null
"$HEED" add email=bo@x.example title=CTO first_name=Bo >/dev/null
OLD1='[{"plugin":"p","name":"base","points":7.5,"reason":"always"},{"plugin":"p","name":"title","points":20,"reason":"CEO \"senior\""}]'
OLD2='[{"plugin":"p","name":"base","points":7.5,"reason":"always"},{"plugin":"p","name":"title","points":20,"reason":"CTO \"senior\""}]'
# what an older heed left in the store
sqlite3 "$HEED_DB" "UPDATE contacts SET score = 27.5, score_parts = CASE id WHEN 1 THEN '$OLD1' ELSE '$OLD2' END"

run show 1
expect_eq "old layout: show exit" "$RC" 0
expect_match "old layout: show lists the base part" "$OUT" "p +base +7\.5 +always"
expect_match "old layout: show lists the title part" "$OUT" "p +title +20 +CEO \"senior\""
run show 1 --format json
expect_eq "old layout: show --format json parts" "$(printf '%s' "$OUT" | json 'json.dumps(d["score_parts"], separators=(",", ":"))')" "$OLD1"

run score 1
expect_eq "score CONTACT: exit" "$RC" 0
expect_eq "score CONTACT: rewritten compact" "$(sql "SELECT score_parts FROM contacts WHERE id = 1")" \
	'[["p","base",7.5,"always"],["p","title",20,"CEO \"senior\""]]'
run score --all
expect_eq "score --all: only the old-layout contact changed" "$OUT" "scored 2 contacts (1 changed)"
expect_eq "score --all: rewritten compact" "$(sql "SELECT score_parts FROM contacts WHERE id = 2")" \
	'[["p","base",7.5,"always"],["p","title",20,"CTO \"senior\""]]'
run score --all
expect_eq "score --all again: nothing changed" "$OUT" "scored 2 contacts (0 changed)"

run show 1
expect_match "compact: show lists the title part" "$OUT" "p +title +20 +CEO \"senior\""
run show 1 --format json
expect_eq "compact: show --format json gives objects, as before" \
	"$(printf '%s' "$OUT" | json 'json.dumps(d["score_parts"], separators=(",", ":"))')" "$OLD1"
expect_eq "compact: score" "$(printf '%s' "$OUT" | json 'd["score"]')" "27.5"
finish
