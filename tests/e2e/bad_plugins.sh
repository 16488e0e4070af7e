#!/usr/bin/env bash
# bad_plugins: with a good scoring plugin beside one that does not parse, one
# whose score raises error("boom") and one whose score returns NaN points,
# `score --all` exits non-zero and names every bad plugin with its file and
# line (and the function and contact for the runtime errors), while every
# contact still gets the good plugin's points.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
export HEED_PLUGINS="$P"
mkdir -p "$P"
cat >"$P/good.lua" <<'EOF'
return {
  name = "good", version = "1.0.0", api = 1,
  score = function(c)
    return { { name = "base", points = 7, reason = "every contact is worth 7" } }
  end,
}
EOF
# line 4 has the syntax error
cat >"$P/syntax.lua" <<'EOF'
return {
  name = "syntax", version = "1.0.0", api = 1,
  score = function(c)
    local x = = 1
    return {}
  end,
}
EOF
# error("boom") on line 4
cat >"$P/boom.lua" <<'EOF'
return {
  name = "boom", version = "1.0.0", api = 1,
  score = function(c)
    error("boom")
  end,
}
EOF
# score is defined on line 7; it returns 0/0 points
cat >"$P/nan.lua" <<'EOF'
local function zero()
  return 0
end
return {
  name = "nan", version = "1.0.0", api = 1,
  description = "0/0 points",
  score = function(c)
    return { { name = "broken", points = zero() / zero(), reason = "not a number" } }
  end,
}
EOF

for i in 1 2 3; do
	"$HEED" add email="p$i@bad.example" first_name="P$i" >/dev/null || fail "add p$i"
done

run score --all
CHECKS=$((CHECKS + 1))
[ "$RC" -ne 0 ] || fail "score --all with broken plugins exited 0"
expect_eq "score --all: exit status" "$RC" 1

# The plugin that does not load: its name, file and line. Scoring then fails
# closed, like advance: a missing plugin's parts would drop out of every score.
expect_match "syntax error: plugin, file and line" "$ERR" \
	"^heed: plugin 'syntax' \([^)]*syntax\.lua:4\): .*'='"
expect_match "score refuses while a plugin failed to load" "$ERR" \
	"heed: score: scoring nobody while 1 plugin failed to load"
expect_eq "no score was written" "$(sql "SELECT count(*) FROM contacts WHERE score IS NOT NULL")" 0

# The plugins that load but fail at run time fail alone.
rm "$P/syntax.lua"
run score --all
expect_eq "score --all with failing plugins: exit status" "$RC" 1
for i in 1 2 3; do
	id=$(sql "SELECT id FROM contacts WHERE email = 'p$i@bad.example'")
	expect_match "error(\"boom\") for contact $id: plugin, file:line, function, message, contact" "$ERR" \
		"heed: plugin 'boom' \([^)]*boom\.lua:4\) in score: .*boom \(contact $id <p$i@bad\.example>\)"
	expect_match "NaN points for contact $id: plugin, file:line, function, contact" "$ERR" \
		"heed: plugin 'nan' \([^)]*nan\.lua:7\) in score: .*'broken'.*not a finite number \(contact $id <p$i@bad\.example>\)"
done
expect_nomatch "the good plugin is never blamed" "$ERR" "plugin 'good'"

# Every contact still has exactly the good plugin's points.
run list --format json
expect_eq "list exit status" "$RC" 0
expect_eq "every score is the good plugin's 7" "$(printf '%s' "$OUT" | json 'sorted((r["email"], r["score"]) for r in d)')" \
	"[('p1@bad.example', 7), ('p2@bad.example', 7), ('p3@bad.example', 7)]"
run show p2@bad.example --format json
expect_eq "score parts: only the good plugin's" \
	"$(printf '%s' "$OUT" | json '[(p["plugin"], p["name"], p["points"]) for p in d["score_parts"]]')" \
	"[('good', 'base', 7)]"

# Without the broken plugins the same contacts score cleanly: the store is fine.
rm "$P/boom.lua" "$P/nan.lua"
run score --all
expect_eq "score --all with the good plugin only: exit status" "$RC" 0
expect_eq "score --all with the good plugin only: stderr" "$ERR" ""
expect_match "nothing left to change" "$OUT" "^scored 3 contacts \(0 changed\)"

finish
