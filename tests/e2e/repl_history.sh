#!/bin/bash
# repl_history: Ctrl-D exits 0 and saves the history; a new session recalls its lines with Up.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history"
pty_scenario history
finish
