#!/usr/bin/env bash
# score_parts_hostile: stored score parts that heed did not write itself. A
# part shows whatever of it is usable (keys heed does not know are skipped,
# whatever their value; points that are not a number show as "-"); a NUL in a
# shown string refuses the text with the reason, instead of cutting it; and
# show --format json stays valid JSON for any stored text, giving the reason
# in score_parts_error where the parts cannot be read.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/plugins"
export HEED_PLUGINS="$T/plugins"
"$HEED" init >/dev/null
"$HEED" add email=ann@x.example >/dev/null

# set_parts TEXT: what the store holds (single quotes doubled for SQL)
set_parts() { sqlite3 "$HEED_DB" "UPDATE contacts SET score = 7, score_parts = '${1//\'/\'\'}' WHERE id = 1"; }
# parts_text: the score parts section of show
parts_text() { "$HEED" show 1 | sed -n '/^score parts:$/,/^$/p'; }
# parts_json: score_parts and score_parts_error of show --format json (fails on invalid JSON)
parts_json() {
	"$HEED" show 1 --format json | json \
		'json.dumps(d["score_parts"], separators=(",", ":")) + " | " + str(d.get("score_parts_error"))' 2>&1
}

# 1. an unknown key holding an array or an object
set_parts '[{"plugin":"x","name":"n","points":5,"reason":"r","extra":[1,2]},{"plugin":"x","name":"m","points":2,"reason":"s","meta":{"a":[{}]}}]'
expect_eq "extra array/object: show" "$(parts_text)" "score parts:
plugin  part  points  reason
x       n          5  r
x       m          2  s"
expect_eq "extra array/object: json" "$(parts_json)" \
	'[{"plugin":"x","name":"n","points":5,"reason":"r"},{"plugin":"x","name":"m","points":2,"reason":"s"}] | None'

# 2. points that are not a number: that part shows "-", the others as they are
set_parts '[{"plugin":"x","name":"n","points":"5","reason":"r"},{"plugin":"x","name":"m","points":2,"reason":"s"}]'
expect_eq "string points: show" "$(parts_text)" "score parts:
plugin  part  points  reason
x       n     -       r
x       m          2  s"
expect_eq "string points: json" "$(parts_json)" \
	'[{"plugin":"x","name":"n","points":null,"reason":"r"},{"plugin":"x","name":"m","points":2,"reason":"s"}] | None'

# 3. a NUL in a reason or a plugin name: refused, saying where, not cut short
set_parts '[{"plugin":"x","name":"n","points":5,"reason":"ok\u0000hidden"}]'
expect_eq "NUL in reason: show" "$(parts_text)" 'score parts:
  [{"plugin":"x","name":"n","points":5,"reason":"ok\u0000hidden"}] (unreadable: score parts: a NUL character (\u0000) in the reason (part 1))'
expect_eq "NUL in reason: json" "$(parts_json)" 'null | score parts: a NUL character (\u0000) in the reason (part 1)'
set_parts '[["x","n",1,"r"],["x\u0000y","n",1,"r"]]'
expect_eq "NUL in plugin: json" "$(parts_json)" 'null | score parts: a NUL character (\u0000) in the plugin (part 2)'

# 4. stored text that is not JSON: show --format json is still JSON
set_parts 'not json'
expect_eq "not json: json" "$(parts_json)" 'null | JSON: unexpected character at byte offset 0'
expect_eq "not json: show" "$(parts_text)" 'score parts:
  not json (unreadable: JSON: unexpected character at byte offset 0)'
set_parts '[["a","b",1,"r"]'
expect_eq "unclosed list: json" "$(parts_json)" 'null | JSON: unexpected end of input at byte offset 16'
set_parts 'NaN'
expect_eq "NaN: json" "$(parts_json)" 'null | JSON: unexpected character at byte offset 0'
sqlite3 "$HEED_DB" "UPDATE contacts SET score_parts = CAST(X'5B5B22FF222C226E222C312C2272225D5D' AS TEXT) WHERE id = 1"
expect_eq "invalid UTF-8: json" "$(parts_json)" 'null | JSON: invalid UTF-8 in string at byte offset 3'
finish
