#!/usr/bin/env bash
# plugin_kv_numbers: heed.kv keeps numbers exactly (integers as integers,
# floats round-trip bit for bit) and refuses NaN and infinities, naming the
# plugin and the key.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
"$HEED" add email=kvn@x.example >/dev/null || fail "add"
cat >"$P/nums.lua" <<'LUA'
local vals = { third = 1/3, big = 2^53, bigi = math.tointeger(2^53) + 1, neg = -0.1, tiny = 5e-324,
  huge = 1.7976931348623157e308, whole = 3.0, maxi = math.maxinteger, mini = math.mininteger, pi = math.pi }
return { name = "nums", version = "1", api = 1,
  score = function(c)
    local phase = heed.kv.get("phase") or 0
    local bad = {}
    for k, v in pairs(vals) do
      if phase == 0 then heed.kv.set(k, v) end
      local got = heed.kv.get(k)
      if got ~= v or math.type(got) ~= math.type(v) then
        bad[#bad + 1] = k .. "=" .. tostring(got) .. "(" .. tostring(math.type(got)) .. ")"
      end
    end
    heed.kv.set("phase", 1)
    table.sort(bad)
    return { { name = "nums", points = #bad, reason = table.concat(bad, " ") } }
  end }
LUA
run --plugins "$P" score 1 --format json
expect_eq "first run: ok" "$RC" 0
expect_eq "read back in the same run" "$(printf '%s' "$OUT" | json '"%s|%s" % (d[0]["points"], d[0]["reason"])')" "0|"
run --plugins "$P" score 1 --format json
expect_eq "second run: ok" "$RC" 0
expect_eq "read back from the store" "$(printf '%s' "$OUT" | json '"%s|%s" % (d[0]["points"], d[0]["reason"])')" "0|"
expect_eq "1/3 stored exactly" "$(sql "SELECT value FROM plugin_kv WHERE key = 'third'")" "n:0.3333333333333333"
expect_eq "2^53 stored exactly" "$(sql "SELECT value FROM plugin_kv WHERE key = 'big'")" "n:9007199254740992.0"

for v in "0/0" "1/0" "-1/0"; do
	cat >"$P/nums.lua" <<LUA
return { name = "nums", version = "1", api = 1,
  score = function(c) heed.kv.set("odd", $v) end }
LUA
	run --plugins "$P" score 1
	expect_eq "$v: exit 1" "$RC" 1
	expect_match "$v: refused, plugin and key named" "$ERR" "plugin 'nums' .* heed.kv.set: key 'odd': a number must be finite, got -?(nan|inf)"
	expect_eq "$v: not stored" "$(sql "SELECT count(*) FROM plugin_kv WHERE key = 'odd'")" "0"
done
finish
