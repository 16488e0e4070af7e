#!/usr/bin/env bash
# plugin_kv: heed.kv keeps a plugin's state in the store, so it survives a
# reload (a new version of the plugin) where Lua globals do not; each plugin
# sees only its own keys; values keep their types; bad values are named.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
"$HEED" add email=kv@x.example >/dev/null || fail "add"
cat >"$P/counter.lua" <<'LUA'
seen = 0 -- a global: starts again with every load
return { name = "counter", version = "1", api = 1,
  score = function(c)
    local n = (heed.kv.get("calls") or 0) + 1
    heed.kv.set("calls", n)
    seen = seen + 1
    heed.kv.set("types", nil)
    assert(heed.kv.get("types") == nil, "deleted")
    heed.kv.set("flag", true)
    heed.kv.set("name", "ann")
    assert(heed.kv.get("flag") == true and heed.kv.get("name") == "ann" and math.type(n) == "integer")
    return { { name = "calls", points = n, reason = "globals saw " .. seen } }
  end }
LUA
for i in 1 2 3; do
	run --plugins "$P" score 1 --format json
	expect_eq "call $i: ok" "$RC" 0
done
expect_eq "state kept across runs" "$(printf '%s' "$OUT" | json '"%s %s" % (d[0]["points"], d[0]["reason"])')" "3 globals saw 1"

# a new version reads the same key: the state survives the reload
sed -e 's/version = "1"/version = "2"/' -e 's/points = n,/points = n * 10,/' "$P/counter.lua" >"$P/.c.tmp" && mv "$P/.c.tmp" "$P/counter.lua"
run --plugins "$P" plugins reload counter
expect_match "reloaded" "$OUT" "loaded counter 2"
run --plugins "$P" score 1 --format json
expect_eq "v2 continues from v1's state" "$(printf '%s' "$OUT" | json 'd[0]["points"]')" "40"

# another plugin does not see counter's keys, and bad values are named
cat >"$P/other.lua" <<'LUA'
return { name = "other", version = "1", api = 1,
  score = function(c)
    assert(heed.kv.get("calls") == nil, "saw another plugin's key")
    heed.kv.set("t", {})
  end }
LUA
run --plugins "$P" score 1
expect_eq "other: exit 1" "$RC" 1
expect_match "other: bad value named" "$ERR" \
	"plugin 'other' \(.*other\.lua:4\) in score: heed.kv.set: a value is a string, number or boolean \(nil deletes\), got table"
expect_eq "kept in the store" "$(sql "SELECT plugin || ' ' || key || ' ' || value FROM plugin_kv WHERE key = 'calls'")" "counter calls n:5"

# a key with a NUL byte is refused, naming plugin and key: the store would cut
# it at the NUL and "user\0evil" would overwrite "user"
rm -f "$P/other.lua"
cat >"$P/nul.lua" <<'LUA'
return { name = "nul", version = "1", api = 1,
  score = function(c)
    if heed.kv.get("user") == nil then heed.kv.set("user", "good") return end
    heed.kv.set("user\0evil", "bad")
  end }
LUA
run --plugins "$P" score 1
expect_eq "nul: first run sets user" "$RC" 0
run --plugins "$P" score 1
expect_eq "nul: exit 1" "$RC" 1
expect_match "nul: key named" "$ERR" "plugin 'nul'.*key 'user\\\\0evil' has a NUL byte"
expect_eq "nul: user kept" "$(sql "SELECT value FROM plugin_kv WHERE plugin = 'nul' AND key = 'user'")" "s:good"
expect_eq "integrity" "$(sql "PRAGMA integrity_check")" "ok"
finish
