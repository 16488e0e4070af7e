#!/bin/bash
# repl_pager: a result longer than the screen goes through $PAGER, or is cut with a count
. "$(dirname "$0")/lib.sh"
export HEED_HISTORY="$T/history"
pty_scenario pager
finish
