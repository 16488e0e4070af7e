#!/bin/bash
# repl_reload: Editing a plugin between two identical queries changes the result, and the REPL says
# that it reloaded.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history"
pty_scenario reload
finish
