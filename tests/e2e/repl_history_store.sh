#!/bin/bash
# repl_history_store: HEED_HISTORY naming the store is refused with a warning;
# the REPL works and the store survives the session (readline used to write
# the history over it). Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
pty_scenario history_store
finish
