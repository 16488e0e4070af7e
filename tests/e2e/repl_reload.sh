#!/bin/bash
# repl_reload: Editing a plugin between two identical queries changes the result, and the REPL says
# that it reloaded.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the pty harness"; exit 77; }
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history" T
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
CHECKS=$((CHECKS + 1))
"$PY" "$SRC/tests/pty/repl_pty.py" reload || fail "pty scenario reload"
finish
