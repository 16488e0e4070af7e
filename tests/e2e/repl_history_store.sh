#!/bin/bash
# repl_history_store: HEED_HISTORY naming the store is refused with a warning;
# the REPL works and the store survives the session (readline used to write
# the history over it). Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the pty harness"; exit 77; }
export T
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
CHECKS=$((CHECKS + 1))
"$PY" "$SRC/tests/pty/repl_pty.py" history_store || fail "pty scenario history_store"
finish
