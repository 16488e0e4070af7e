#!/usr/bin/env bash
# plugin_tests: `heed test` runs the tests a plugin carries, in its sandbox,
# through the same gate as every other call: a failing test names the plugin,
# the test, the file and line, and makes the exit status 1.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
cat >"$P/tiny.lua" <<'LUA'
return {
  name = "tiny", version = "1", api = 1,
  criteria = { prospect = { { name = "has_title", check = function(c)
    return c.title ~= nil, c.title and "title known" or "no title" end } } },
  score = function(c, add) add("base", 5, "everyone") end,
  tests = {
    ["a title passes"] = function(t)
      t.eq((t.check("prospect", "has_title", t.contact { title = "CTO" })), true)
    end,
    ["score gives five"] = function(t)
      t.eq(t.points(t.contact {}, "base"), 5)
    end,
    ["deliberately wrong"] = function(t)
      t.eq(t.points(t.contact {}, "base"), 6, "base points")
    end,
  },
}
LUA
run --plugins "$P" test
expect_eq "a failing test: exit" "$RC" 1
expect_match "passing tests listed" "$OUT" "ok    tiny: a title passes"
expect_match "failing test named with file and line" "$OUT" \
	"FAIL  plugin 'tiny' \(.*tiny\.lua:[0-9]+\) in tests\[\"deliberately wrong\"\]: base points: got 5, want 6"
expect_match "summary" "$OUT" "plugins: 2 passed, 1 failed"
run --plugins "$P" test nosuch
expect_eq "unknown plugin: exit" "$RC" 1
expect_match "unknown plugin: named" "$ERR" "no plugin 'nosuch'"
# the shipped plugins' own tests pass
run test
expect_eq "shipped plugins: exit" "$RC" 0
expect_match "shipped plugins: summary" "$OUT" "plugins: [1-9][0-9]* passed, 0 failed"

finish
