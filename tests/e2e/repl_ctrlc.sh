#!/bin/bash
# repl_ctrlc: Ctrl-C during a slow SQL query and a slow Lua loop returns to the prompt in under 1 s;
# the REPL still answers and the store is unchanged.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history"
pty_scenario ctrlc
finish
