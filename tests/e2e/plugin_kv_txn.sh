#!/usr/bin/env bash
# plugin_kv_txn: a plugin's heed.kv writes are part of the command's store
# work: kept when the import commits, dropped by --plan, --dry-run, an import
# rolled back over a bad row, and advance --dry-run.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
"$HEED" init >/dev/null 2>&1
cat >"$P/m.lua" <<'LUA'
return { name = "m", version = "1", api = 1,
  map = { fields = { email = "email" },
    row = function(r)
      heed.kv.set("rows_seen", (heed.kv.get("rows_seen") or 0) + 1)
      if r.email == "bad@kp.example" then return { first_name = "\xff" } end
      return {}
    end },
  criteria = { prospect = { { name = "seen", check = function(c)
      heed.kv.set("checked", (heed.kv.get("checked") or 0) + 1)
      return true, "seen" end } } } }
LUA
printf 'email\na@kp.example\nb@kp.example\n' >"$T/kp.csv"
seen() { sql "SELECT coalesce((SELECT value FROM plugin_kv WHERE plugin = 'm' AND key = '$1'), 'none')"; }

run --plugins "$P" import "$T/kp.csv" --map m --plan
expect_eq "plan: exit 0" "$RC" 0
expect_eq "plan: no kv written" "$(seen rows_seen)" "none"
run --plugins "$P" import "$T/kp.csv" --map m --dry-run
expect_eq "dry run: exit 0" "$RC" 0
expect_eq "dry run: no kv written" "$(seen rows_seen)" "none"

printf 'email\nc@kp.example\nbad@kp.example\n' >"$T/bad.csv"
run --plugins "$P" import "$T/bad.csv" --map m
expect_eq "bad row: exit 1" "$RC" 1
expect_match "bad row: nothing imported" "$ERR" "nothing was imported"
expect_eq "bad row: no kv written" "$(seen rows_seen)" "none"

run --plugins "$P" import "$T/kp.csv" --map m
expect_eq "import: exit 0" "$RC" 0
expect_eq "import: kv kept with the rows" "$(seen rows_seen)" "n:2"

run --plugins "$P" advance --all --dry-run
expect_eq "advance dry run: exit 0" "$RC" 0
expect_match "advance dry run: would move" "$OUT" "would advance: 2 moves"
expect_eq "advance dry run: no kv written" "$(seen checked)" "none"
run --plugins "$P" advance --all
expect_eq "advance: kv kept with the moves" "$(seen checked)" "n:2"
finish
