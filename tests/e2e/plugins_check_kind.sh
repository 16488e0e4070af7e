#!/usr/bin/env bash
# plugins_check_kind: `heed plugins check` on something that is not a regular
# file says what it is ("is a directory", "not a regular file") and never
# blocks on a FIFO: not the plugin file, its limits.conf or a required module.
. "$(dirname "$0")/lib.sh"

P="$T/plugins"
mkdir -p "$P/dir.lua"
mkfifo "$P/fifo.lua" || { echo "SKIP: no mkfifo"; exit 77; }
# trun CMD…: run heed with a time limit; RC 124 = it blocked
trun() {
	OUT=$(timeout 10 "$HEED" "$@" 2>"$T/.err" </dev/null)
	RC=$?
	ERR=$(cat "$T/.err")
}
trun plugins check "$P/dir.lua"
expect_eq "directory: exit 1" "$RC" 1
expect_eq "directory: says so" "$ERR" "heed: cannot read plugin file $P/dir.lua: is a directory"
trun plugins check "$P/fifo.lua"
expect_eq "fifo: exit 1, no hang" "$RC" 1
expect_eq "fifo: says so" "$ERR" "heed: cannot read plugin file $P/fifo.lua: not a regular file"
trun plugins check "$P/none.lua"
expect_eq "missing: exit 1" "$RC" 1
expect_eq "missing: says so" "$ERR" "heed: cannot read plugin file $P/none.lua: No such file or directory"

# a FIFO where limits.conf or a module would be
Q="$T/q"
mkdir -p "$Q/lib"
mkfifo "$Q/limits.conf" "$Q/lib/helper.lua"
cat >"$Q/ok.lua" <<'LUA'
return { name = "ok", version = "1", api = 1, score = function(c) return {} end }
LUA
trun plugins check "$Q/ok.lua"
expect_eq "fifo limits.conf: exit 1, no hang" "$RC" 1
expect_match "fifo limits.conf: says so" "$ERR" "cannot read $Q/limits.conf: not a regular file"
rm "$Q/limits.conf"
cat >"$Q/req.lua" <<'LUA'
local h = require "helper"
return { name = "req", version = "1", api = 1, score = function(c) return {} end }
LUA
trun plugins check "$Q/req.lua"
expect_eq "fifo module: exit 1, no hang" "$RC" 1
expect_match "fifo module: says so" "$ERR" "require 'helper': .*helper\.lua: not a regular file"
finish
