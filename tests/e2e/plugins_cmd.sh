#!/usr/bin/env bash
# plugins_cmd: `heed plugins` lists every plugin file with its status and last
# error; `heed plugins check FILE` validates one file (syntax, fields, selftest,
# tests) without opening or creating any store, exit 0 only when valid;
# `heed plugins reload NAME` reports what is active.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
cp "$SRC/plugins/score.lua" "$SRC/plugins/qualify.lua" "$P/"
run --plugins "$P" plugins --format json
expect_eq "list: ok" "$RC" 0
expect_eq "list: rows" "$(printf '%s' "$OUT" | json '" ".join(r["name"] + "@" + r["version"] + ":" + r["status"] for r in d)')" \
	"qualify@1.0.0:ok score@1.0.0:ok"
expect_match "list: load time" "$(printf '%s' "$OUT" | json 'd[0]["loaded"]')" "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T"
expect_eq "list: api and file" "$(printf '%s' "$OUT" | json '"%s %s" % (d[1]["api"], d[1]["file"])')" "1 $P/score.lua"

printf 'return { name = "broken", version = "1", score = function(c) return {} end\n' >"$P/broken.lua"
run --plugins "$P" plugins
expect_eq "list with a broken plugin: exit 1" "$RC" 1
expect_match "list: broken row" "$OUT" "broken\.lua +- +- +$P/broken\.lua +- +failed +plugin 'broken' \($P/broken\.lua:2\): '}' expected"
run --plugins "$P" plugins reload score
expect_eq "reload one good plugin: exit 0" "$RC" 0
expect_match "reload: says what is active" "$OUT" "^loaded score 1\.0\.0 \($P/score\.lua\)$"
run --plugins "$P" plugins reload broken
expect_eq "reload the broken one: exit 1" "$RC" 1
run --plugins "$P" plugins reload nosuch
expect_eq "reload an unknown one: exit 1" "$RC" 1
expect_match "reload an unknown one: says so" "$ERR" "no plugin 'nosuch'"
rm "$P/broken.lua"

# check: no store is opened or created
cd "$T" && rm -f "$HEED_DB"
export HEED_DB="$T/nostore.db"
run plugins check "$SRC/plugins/score.lua"
expect_eq "check valid: exit 0" "$RC" 0
expect_match "check valid: summary" "$OUT" "^ok score 1\.0\.0 \(api 1\): no selftest, [0-9]+ tests passed, 0 failed$"
cat >"$P/st.lua" <<'LUA'
return { name = "st", version = "2", api = 1,
  score = function(c) return { { name = "x", points = c.title == "CEO" and 20 or 0 } } end,
  selftest = function(t) t.eq(t.points(t.contact{ title = "CEO" }, "x"), 10, "CEO points") end }
LUA
run plugins check "$P/st.lua"
expect_eq "check failing selftest: exit 1" "$RC" 1
expect_match "check failing selftest: why" "$ERR" "^heed: plugin 'st' \($P/st\.lua:3\) in selftest: CEO points: got 20, want 10"
sed -i 's/, 10, "CEO points"/, 20, "CEO points"/' "$P/st.lua"
cat >>"$P/st.lua" <<'LUA'
-- (tests are run too)
LUA
sed -i 's/^  selftest/  tests = { ["ceo"] = function(t) t.eq(t.points(t.contact{}, "x"), 1) end },\n  selftest/' "$P/st.lua"
run plugins check "$P/st.lua"
expect_eq "check failing test: exit 1" "$RC" 1
expect_match "check failing test: line" "$OUT" "FAIL  plugin 'st' .* got 0, want 1"
printf 'return {' >"$P/syn.lua"
run plugins check "$P/syn.lua"
expect_eq "check syntax error: exit 1" "$RC" 1
expect_match "check syntax error: where" "$ERR" "syn\.lua:1\): unexpected symbol near <eof>"
run plugins check "$P/nope.lua"
expect_eq "check missing file: exit 1" "$RC" 1
expect_eq "no store was created" "$(ls "$T" | grep -c nostore)" 0
run plugins check
expect_eq "check without FILE: usage" "$RC" 2
finish
