#!/bin/bash
# repl_ctrlc: Ctrl-C during a slow SQL query and a slow Lua loop returns to the prompt in under 1 s;
# the REPL still answers and the store is unchanged.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the pty harness"; exit 77; }
cp -r "$SRC/plugins" "$T/plugins"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history" T
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
CHECKS=$((CHECKS + 1))
"$PY" "$SRC/tests/pty/repl_pty.py" ctrlc || fail "pty scenario ctrlc"
finish
