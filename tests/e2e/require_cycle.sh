#!/usr/bin/env bash
# require_cycle: modules that require each other (lib/ca requires cb requires
# ca) are refused with the cycle spelled out, the plugin and the file, not a
# "C stack overflow"; a module required twice without a cycle still loads once.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P/lib"
cat >"$P/lib/ca.lua" <<'LUA'
local cb = require "cb"
return { n = 1 }
LUA
cat >"$P/lib/cb.lua" <<'LUA'
local ca = require "ca"
return { n = 2 }
LUA
cat >"$P/lib/cc.lua" <<'LUA'
return { n = 3 }
LUA
cat >"$P/cyc.lua" <<'LUA'
local ca = require "ca"
return { name = "cyc", version = "1", api = 1, score = function(c) return {} end }
LUA
run plugins check "$P/cyc.lua"
expect_eq "cycle: exit 1" "$RC" 1
expect_match "cycle: spelled out" "$ERR" "plugin 'cyc' \($P/cyc\.lua:1\): $P/lib/cb\.lua:1: require cycle: ca → cb → ca$"
expect_nomatch "cycle: no stack overflow" "$ERR" "stack overflow"
rm "$P/cyc.lua"
cat >"$P/twice.lua" <<'LUA'
local a, b = require "cc", require "cc"
assert(a == b and a.n == 3)
return { name = "twice", version = "1", api = 1, score = function(c) return {} end }
LUA
run plugins check "$P/twice.lua"
expect_eq "no cycle: loads" "$RC" 0
finish
