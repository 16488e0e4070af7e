#!/bin/bash
# repl_reload_report: .reload gives one report. A plugin edited just before it is reported
# once (by the refresh every command starts with), never followed by "no plugin changed";
# .reload NAME for a name no plugin has is an error naming it (status 1), also as the
# session's first command, before the plugins are loaded.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins"
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0

# ---- an edit, then .reload: one consistent report ----
cat > "$T/in.txt" <<'IN'
= heed.score(1) ~= nil
local f = assert(io.open(os.getenv('HEED_PLUGINS') .. '/score.lua', 'a')); f:write('\n-- edited\n'); f:close()
.reload
.reload
IN
run repl < "$T/in.txt"
expect_eq "edit + .reload: status 0" "$RC" 0
expect_eq "edit + .reload: reported once" "$(printf '%s\n' "$OUT" | grep -c 'reloaded score')" 1
expect_eq "edit + .reload: 'no plugin changed' only for the second .reload" \
	"$(printf '%s\n' "$OUT" | grep -c 'no plugin changed')" 1
expect_match "the second .reload: nothing changed" "$(printf '%s\n' "$OUT" | tail -n 1)" "^no plugin changed"

# ---- .reload NAME with no such plugin ----
run -c ".reload nope"
expect_eq ".reload nope first: status 1" "$RC" 1
expect_match ".reload nope first: names the plugin" "$ERR" "^heed: reload: no plugin 'nope' in "
expect_nomatch ".reload nope first: no 'loaded' line" "$OUT" "loaded"
printf '= heed.score(1) ~= nil\n.reload nope\n' > "$T/nope.txt"
run repl < "$T/nope.txt"
expect_eq ".reload nope later: status 1" "$RC" 1
expect_match ".reload nope later: names the plugin" "$ERR" "heed: reload: no plugin 'nope' in "
run -c ".reload score"
expect_eq ".reload score: status 0" "$RC" 0

# ---- .plugins after an edit that fails: the old version is kept and active ----
cat > "$T/kept.txt" <<'IN'
= heed.score(1) ~= nil
local f = assert(io.open(os.getenv('HEED_PLUGINS') .. '/score.lua', 'a')); f:write('\nreturn {\n'); f:close()
.plugins
IN
run repl < "$T/kept.txt"
SCORE_ROW=$(printf '%s\n' "$OUT" | grep '^score ')
expect_match ".plugins: the kept version is active" "$SCORE_ROW" \
	"^score +1\.0\.0 +1 +.*score\.lua +[0-9T:Z-]+ +kept +score 1\.0\.0 is kept and active; the new file failed: plugin 'score' \(.*score\.lua:[0-9]+\)"
expect_nomatch ".plugins: no 'failed:' line" "$OUT" "^ *failed:"
finish
