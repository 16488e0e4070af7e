#!/usr/bin/env bash
# hostile: inputs found by trying to break heed. Plugins must not escape the
# instruction budget (an xpcall handler or a finalizer that loops), hostile
# cells must not stall an import, and a store must stay intact. `timeout`
# here only guards against a hang; nothing asserts a speed.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
"$HEED" add email=h@x.example >/dev/null || fail "add"

# a looping xpcall message handler is stopped by the budget
cat >"$P/xp.lua" <<'LUA'
local function spin() while true do end end
return { name = "xp", version = "1", api = 1,
  score = function(c) xpcall(spin, spin) return {} end }
LUA
OUT=$(timeout 60 "$HEED" --plugins "$P" score 1 2>&1); RC=$?
expect_eq "xpcall loop: stopped with an error, not a hang" "$RC" 1
expect_match "xpcall loop: budget named" "$OUT" "plugin 'xp' \(.*xp\.lua:[0-9]+\) in score: instruction budget exceeded"
rm "$P/xp.lua"

# xpcall still works as documented for honest plugins
cat >"$P/ok.lua" <<'LUA'
return { name = "ok", version = "1", api = 1,
  score = function(c)
    local ok1, v = xpcall(function(a) return a * 2 end, function(e) return "H:" .. e end, 21)
    local ok2, m = xpcall(function() error("x", 0) end, function(e) return "H:" .. e end)
    return { { name = "xp", points = v, reason = tostring(ok1) .. "," .. tostring(ok2) .. "," .. m } }
  end }
LUA
run --plugins "$P" score 1 --format json
expect_eq "xpcall: ok" "$RC" 0
expect_eq "xpcall: results" "$(printf '%s' "$OUT" | json '"%s %s" % (d[0]["points"], d[0]["reason"])')" "42 true,false,H:x"
rm "$P/ok.lua"

# a finalizer is refused at load instead of looping at exit
cat >"$P/gc.lua" <<'LUA'
setmetatable({}, { __gc = function() while true do end end })
return { name = "gc", version = "1", api = 1, score = function(c) return {} end }
LUA
OUT=$(timeout 60 "$HEED" --plugins "$P" score 1 2>&1); RC=$?
expect_eq "__gc: refused, not a hang" "$RC" 1
expect_match "__gc: says why" "$OUT" "plugin 'gc' \(.*gc\.lua:1\): __gc metamethods are not allowed"
rm "$P/gc.lua"

# a cell of 80,000 spaces in a name column imports (generic splits names linearly)
python3 -c "print('email,name');print('sp@x.example,Ada'+' '*80000+'Lovelace')" >"$T/spaces.csv"
OUT=$(timeout 60 "$HEED" import "$T/spaces.csv" --map generic 2>&1); RC=$?
expect_eq "long spaces: imported" "$RC" 0
expect_eq "long spaces: last name" "$(sql "SELECT last_name FROM contacts WHERE email = 'sp@x.example'")" "Lovelace"

# 5,000 rows for one email merge into one contact, each change in its timeline
python3 -c "
print('email,first_name')
for i in range(5000): print(f'same@x.example,N{i}')" >"$T/same.csv"
OUT=$(timeout 120 "$HEED" import "$T/same.csv" --map generic 2>&1); RC=$?
expect_eq "repeated email: imported" "$RC" 0
expect_eq "repeated email: one contact" "$(sql "SELECT count(*) FROM contacts WHERE email = 'same@x.example'")" 1
expect_eq "repeated email: last name wins" "$(sql "SELECT first_name FROM contacts WHERE email = 'same@x.example'")" "N4999"
expect_eq "repeated email: every change recorded" \
	"$(sql "SELECT count(*) FROM activities a JOIN contacts c ON c.id = a.contact_id WHERE c.email = 'same@x.example' AND kind = 'field_change'")" 4999

# a store that another program owns is left alone, not converted
sqlite3 "$T/other.db" "CREATE TABLE notes(x); INSERT INTO notes VALUES ('mine');"
before=$(sha256sum <"$T/other.db")
run --db "$T/other.db" list
expect_eq "foreign db: refused" "$RC" 1
expect_match "foreign db: says so" "$ERR" "not a heed store"
expect_eq "foreign db: untouched" "$(sha256sum <"$T/other.db")" "$before"

# a reference that names two contacts is refused; a prefix says which is meant
cat >"$P/mc.lua" <<'LUA'
return { name = "mc", version = "1", api = 1,
  map = { fields = { email = "email", external_id = "id", first_name = "name" } } }
LUA
# b's external id is a's numeric id (a is the next contact created)
printf 'id,email,name\n900,a@mc.example,A\n%s,b@mc.example,B\n' "$(sql "SELECT max(id) + 1 FROM contacts")" >"$T/one.csv"
"$HEED" --plugins "$P" import "$T/one.csv" --map mc >/dev/null || fail "import one.csv"
a=$(sql "SELECT id FROM contacts WHERE email = 'a@mc.example'")
b=$(sql "SELECT id FROM contacts WHERE email = 'b@mc.example'")
ext_b=$(sql "SELECT external_id FROM contacts WHERE email = 'b@mc.example'")
expect_eq "b's external id is a's id" "$ext_b" "$a"
run show "$ext_b"
expect_eq "ambiguous ref: usage error" "$RC" 2
expect_match "ambiguous ref: names both" "$ERR" "could be contact $a \(as id\) or contact $b \(as external id\)"
run show "ext:$ext_b" --format json
expect_eq "ext: prefix: contact b" "$(printf '%s' "$OUT" | json 'd["email"]')" "b@mc.example"
run show " $a"
expect_eq "a spaced number is not an id" "$RC" 1

# a merge whose new email belongs to another contact is one bad row, named
printf 'id,email,name\n900,b@mc.example,A2\n' >"$T/two.csv"
before=$(store_digest)
run --plugins "$P" import "$T/two.csv" --map mc
expect_eq "merge clash: exit" "$RC" 1
expect_match "merge clash: line and contacts" "$ERR" "two\.csv:2: contact $a cannot take email b@mc\.example"
expect_eq "merge clash: store unchanged" "$(store_digest)" "$before"
run --plugins "$P" import "$T/two.csv" --map mc --skip-bad
expect_eq "merge clash --skip-bad: exit" "$RC" 0
expect_eq "merge clash --skip-bad: contact a untouched" "$(sql "SELECT first_name || ' ' || email FROM contacts WHERE id = $a")" "A a@mc.example"
expect_eq "merge clash --skip-bad: no stray timeline rows" "$(sql "SELECT count(*) FROM activities WHERE contact_id = $a")" 0

# a NUL byte means the file is not text: refused with its offset, nothing stored
printf 'email,first_name\nnul@x.example,Ab\0cd\n' >"$T/nul.csv"
before=$(store_digest)
run import "$T/nul.csv" --map generic
expect_eq "NUL: refused" "$RC" 1
expect_match "NUL: offset named" "$ERR" "nul\.csv: byte offset 33: a NUL byte"
expect_eq "NUL: store unchanged" "$(store_digest)" "$before"

# exports do not hand spreadsheets formulas; screens do not run escape codes
"$HEED" add email=inj@x.example first_name='=HYPERLINK("x")' last_name="$(printf 'X\033]0;pwned\007')" \
	phone="+45 33 88" >/dev/null || fail "add inj"
run list --format csv
expect_match "csv: formula kept as text" "$OUT" "\"'=HYPERLINK\(\"\"x\"\"\) X"
run show inj@x.example
expect_nomatch "show: no raw escape" "$OUT" "$(printf '\033')"
expect_match "show: escape shown as ?" "$OUT" "X\?\]0;pwned\?"
run show inj@x.example --format json
expect_eq "json keeps the data exactly" "$(printf '%s' "$OUT" | json 'd["phone"] + "|" + d["first_name"]')" '+45 33 88|=HYPERLINK("x")'

finish
