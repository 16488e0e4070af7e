#!/bin/bash
# repl_nocolor: with NO_COLOR set the REPL on a terminal writes no escape codes at all;
# without it, the terminal gets colours. (Piped output: see repl_piped.)
. "$(dirname "$0")/lib.sh"
export HEED_HISTORY="$T/history"
pty_scenario nocolor
finish
