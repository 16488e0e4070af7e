#!/bin/bash
# repl_pager: a result longer than the screen goes through $PAGER, or is cut with a count
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the pty harness"; exit 77; }
export HEED_HISTORY="$T/history" T
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
CHECKS=$((CHECKS + 1))
"$PY" "$SRC/tests/pty/repl_pty.py" pager || fail "pty scenario pager"
finish
