#!/bin/bash
# repl_ctrlc_write: Ctrl-C during `.import` and `.score --all` in the REPL, at
# moments that land inside a statement and between two: the command stops,
# says "interrupted" and nothing else, and the import leaves the store as it was.
# Driven through a pseudo-terminal by tests/pty/repl_pty.py.
. "$(dirname "$0")/lib.sh"
cp -r "$SRC/plugins" "$T/plugins"
cp "$SRC/tests/bench/plugins/bench.lua" "$T/plugins/"
export HEED_PLUGINS="$T/plugins" HEED_HISTORY="$T/history"
python3 "$SRC/tests/bench/gen.py" -n 150000 -o "$T/big.csv" || fail "generating the CSV"
pty_scenario ctrlc_write
finish
