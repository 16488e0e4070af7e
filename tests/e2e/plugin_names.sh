#!/usr/bin/env bash
# plugin_names: a plugin's name is a short printable identifier
# ([A-Za-z0-9_.-], at most 64 bytes); anything else (a newline, a NUL, a
# space, too long) is refused at load naming file and line, so a name cannot
# forge output lines.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P"
printf 'return { name = "ok\\n[fake] injected", version = "1", api = 1,\n  score = function(c) return {} end }\n' >"$P/nl.lua"
printf 'return { name = "ok\\0hidden", version = "1", api = 1, score = function(c) return {} end }\n' >"$P/nul.lua"
printf 'return { name = "a b", version = "1", api = 1, score = function(c) return {} end }\n' >"$P/sp.lua"
printf 'return { name = "%s", version = "1", api = 1, score = function(c) return {} end }\n' \
	"$(printf 'x%.0s' $(seq 65))" >"$P/long.lua"
printf 'return { name = "%s", version = "1", api = 1, score = function(c) return {} end }\n' \
	"Good_name-1.$(printf 'y%.0s' $(seq 52))" >"$P/good.lua"

run --plugins "$P" plugins
expect_eq "list: exit 1 (bad plugins)" "$RC" 1
expect_nomatch "no forged line" "$OUT$ERR" "^\[fake\] injected"
expect_match "newline refused, file and line" "$ERR" "plugin 'nl' \($P/nl\.lua:2\): name may hold only A-Z a-z 0-9 _ \. - \(byte 3 is 0x0a\)"
expect_match "NUL refused" "$ERR" "plugin 'nul' \($P/nul\.lua:1\): name may hold only .* \(byte 3 is 0x00\)"
expect_match "space refused" "$ERR" "plugin 'sp' \($P/sp\.lua:1\): name may hold only .* \(byte 2 is 0x20\)"
expect_match "too long refused" "$ERR" "plugin 'long' \($P/long\.lua:1\): name is 65 bytes long; at most 64"
expect_match "64 bytes of the allowed set load" "$OUT" "Good_name-1\.y+ +1 +1 +$P/good\.lua .* ok"
run plugins check "$P/nl.lua"
expect_eq "check: exit 1" "$RC" 1
expect_eq "check: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
finish
