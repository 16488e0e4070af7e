#!/bin/bash
# repl_session: A scripted session on a real terminal: .find with filters, .why, a Lua function typed
# over three lines, = heed.count{…}, Tab completion of a command and of an email.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history"
pty_scenario session
finish
