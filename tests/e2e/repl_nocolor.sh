#!/bin/bash
# repl_nocolor: with NO_COLOR set the REPL on a terminal writes no escape codes at all;
# without it, the terminal gets colours. (Piped output: see repl_piped.)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the pty harness"; exit 77; }
export HEED_HISTORY="$T/history" T
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
CHECKS=$((CHECKS + 1))
"$PY" "$SRC/tests/pty/repl_pty.py" nocolor || fail "pty scenario nocolor"
finish
