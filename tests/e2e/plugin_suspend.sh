#!/usr/bin/env bash
# plugin_suspend: a plugin that loops on every other contact is suspended
# after 3 limit errors within its last 10 calls, and the REPL's .plugins
# listing shows it suspended, with the limit error.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
cat >"$P/alt.lua" <<'LUA'
return { name = "alt", version = "1", api = 1, limits = { instructions = 1000 },
  score = function(c) while c.id % 2 == 1 do end return { { name = "n", points = 1 } } end }
LUA
for i in 1 2 3 4 5 6 7 8; do "$HEED" add "email=s$i@x.example" >/dev/null || fail "add $i"; done
OUT=$(printf '.plugins\n.score --all\n.plugins\n' | "$HEED" --plugins "$P" repl --keep-going 2>"$T/.err")
ERR=$(cat "$T/.err")
expect_eq "three limit errors" "$(printf '%s\n' "$ERR" | grep -c 'instruction budget exceeded (1000 instructions per call) (contact')" 3
expect_match "then suspended" "$ERR" \
	"plugin 'alt' \($P/alt\.lua:2\) in score: suspended after 3 limit errors within 10 calls \(last: instruction budget exceeded .*\(contact 6 "
expect_eq "first listing: not suspended" "$(printf '%s\n' "$OUT" | head -2 | grep -c suspended)" 0
expect_match "listing shows it" "$OUT" "alt +1 +1 +[^ ]*alt\.lua +[^ ]+ +suspended +instruction budget exceeded \(1000 instructions per call\)"

# .reload NAME lifts the suspension though the file did not change (as README
# says, and as `heed plugins reload` does); so does .reload of all
for cmd in ".reload alt" ".reload"; do
	OUT=$(printf '.score --all\n%s\n.plugins\n.score 2\n' "$cmd" | "$HEED" --plugins "$P" repl --keep-going 2>"$T/.err")
	ERR=$(cat "$T/.err")
	expect_match "$cmd: suspended first" "$ERR" "suspended after 3 limit errors"
	expect_match "$cmd: reloaded" "$OUT" "reloaded alt 1 → 1"
	expect_nomatch "$cmd: no longer suspended" "$(printf '%s\n' "$OUT" | grep 'alt\.lua')" "suspended"
	expect_match "$cmd: scores again" "$OUT" "contact 2 s2@x.example: score 1"
done
finish
