#!/usr/bin/env bash
# score_follows_facts: `heed event` and `heed add` rescore the contact they
# change, so show, list and today never show a score from before the fact
# (found by the new-user trial: a reply left "engagement 0" in show). A
# plugin that fails leaves the change stored, warns how to retry, and does not
# fail the command.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
run add email=ann@nordlicht.example first_name=Ann title=Analyst company="Nordlicht Software GmbH" \
	industry=software employees=240 country=DE
expect_eq "add: exit" "$RC" 0
s0=$(sql "SELECT score FROM contacts WHERE id = 1")
expect_match "a new contact is scored at once" "$s0" "^[0-9.]+$"

run event ann@nordlicht.example reply --at 2026-12-01
expect_eq "event: exit" "$RC" 0
s1=$(sql "SELECT score FROM contacts WHERE id = 1")
expect_eq "the reply raised the score" "$(python3 -c "print($s1 > $s0)")" True
run show ann@nordlicht.example --format json
expect_eq "show has the engagement part of the reply" \
	"$(echo "$OUT" | json "[p['points'] > 0 for p in d['score_parts'] if p['name'] == 'engagement']")" "[True]"

run add email=ann@nordlicht.example title="VP Sales"
expect_eq "add (update): exit" "$RC" 0
s2=$(sql "SELECT score FROM contacts WHERE id = 1")
run score ann@nordlicht.example
expect_eq "the stored score is what score computes" "$(sql "SELECT score FROM contacts WHERE id = 1")" "$s2"

run add email=ann@nordlicht.example title="VP Sales"
expect_match "unchanged add" "$OUT" "unchanged"

# a plugin whose score fails: the fact is stored and the score recomputed from
# the other plugins, as score does; a warning says so
mkdir -p plugins && cp "$SRC"/plugins/*.lua plugins/ && cp -r "$SRC/plugins/lib" plugins/
cat > plugins/broken.lua <<'LUA'
return { name = "broken", version = "1", api = 1,
  score = function(c, add) error("no score today") end }
LUA
export HEED_PLUGINS="$T/plugins"
run event ann@nordlicht.example call --at 2026-12-02
expect_eq "event with a failing plugin: exit 0" "$RC" 0
expect_match "the plugin error is named" "$ERR" "plugin 'broken' .*broken.lua:2.* no score today"
expect_match "the warning says what was done" "$ERR" "warning: event: the event is recorded; its score was recomputed without the parts of the plugin that failed"
expect_eq "the event is stored" "$(sql "SELECT count(*) FROM activities WHERE kind = 'call'")" 1
s3=$(sql "SELECT score FROM contacts WHERE id = 1")
expect_eq "the call counts in the score" "$(python3 -c "print($s3 > $s2)")" True

# a plugin that does not load: nothing is rescored, the stored score stays
echo 'return { name = ' > plugins/broken.lua
run event ann@nordlicht.example meeting --at 2026-12-02
expect_eq "event with a plugin that does not load: exit 0" "$RC" 0
expect_match "the load error is named" "$ERR" "plugin 'broken' .*broken.lua"
expect_match "the warning says how to retry" "$ERR" "warning: event: the event is recorded, but its score was not recomputed .*heed score 1 retries"
expect_eq "the event is stored" "$(sql "SELECT count(*) FROM activities WHERE kind = 'meeting'")" 1
expect_eq "the score is the one before" "$(sql "SELECT score FROM contacts WHERE id = 1")" "$s3"
finish
