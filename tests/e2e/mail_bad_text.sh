#!/usr/bin/env bash
# mail_bad_text: template text an email cannot carry is refused, naming the
# plugin, template and field: a NUL byte (C would cut the text there) and
# invalid UTF-8 (the message says charset=utf-8). Nothing is queued.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/p" "$T/q" "$T/r"
cat > "$T/p/bad.lua" <<'LUA'
return {
  name = "badtext", version = "1",
  templates = {
    nulfn = function(c, payload) return { subject = "Hi", body = "Body\0cut off" } end,
    nulsub = { subject = function(c) return "Offer\0 ignored" end, body = "Hi" },
    latin = { subject = function(c) return "Gr\xfc\xdfe" end, body = "Hi" },
    latinbody = { subject = "Hi", body = function(c) return "caf\xe9 " .. c.first_name end },
    payload = { subject = "About {{payload.topic}}", body = "Hi" },
    fine = { subject = "Hello {{first_name}}", body = "Hi" },
  },
}
LUA
cat > "$T/q/static.lua" <<'LUA'
return {
  name = "statictext", version = "1",
  templates = { offer = { subject = "Offer\0 ignored", body = "Hi" } },
}
LUA
cat > "$T/r/static.lua" <<'LUA'
return {
  name = "staticlatin", version = "1",
  templates = { offer = { subject = "Hi", body = "caf\xe9 {{first_name}}" } },
}
LUA
export HEED_PLUGINS="$T/p"
run init
run add email=ann@x.com first_name=Ann

run mail ann@x.com nulsub --key n1
expect_eq "NUL in a subject: refused" "$RC" 1
expect_match "NUL: plugin, template, field named" "$ERR" "plugin 'badtext'.*templates\.nulsub\.subject: .*NUL byte at offset 5"
run mail ann@x.com nulfn --key n2
expect_match "NUL in a body: refused" "$ERR" "templates\.nulfn\.body: .*NUL byte at offset 4"
run mail ann@x.com latin --key u1
expect_eq "invalid UTF-8 subject: refused" "$RC" 1
expect_match "invalid UTF-8: named" "$ERR" "plugin 'badtext'.*templates\.latin\.subject: .*not valid UTF-8"
run mail ann@x.com latinbody --key u2
expect_match "invalid UTF-8 body: named" "$ERR" "templates\.latinbody\.body: .*not valid UTF-8"
run mail ann@x.com payload --payload '{"topic":"a\u0000b"}' --key u3
expect_match "NUL from the payload: refused" "$ERR" "templates\.payload\.subject: the rendered text has a NUL byte"
expect_eq "nothing queued" "$(sql "SELECT count(*) FROM outbox")" 0
run mail ann@x.com fine --key ok
expect_eq "good text still goes" "$RC" 0

# a NUL in a template's static text is refused when the plugin loads
HEED_PLUGINS="$T/q" run mail ann@x.com offer --key s1
expect_eq "static NUL: refused" "$RC" 1
expect_match "static NUL: named at load" "$ERR" "plugin 'statictext'.*templates\.offer\.subject: .*NUL byte at offset 5"
HEED_PLUGINS="$T/r" run mail ann@x.com offer --key s2
expect_match "static invalid UTF-8: named at load" "$ERR" "plugin 'staticlatin'.*templates\.offer\.body: .*not valid UTF-8"
finish
