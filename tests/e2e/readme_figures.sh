#!/bin/bash
# readme_figures: the README carries measured figures, not placeholders. The REPL section's
# .find table (tests/bench/repl.sh) is there, with the load it was measured under.
. "$(dirname "$0")/lib.sh"
R="$SRC/README.md"
TEXT=$(cat "$R")
expect_nomatch "no *_TABLE placeholder" "$TEXT" "(^|[^a-z_])[A-Z]+(_[A-Z]+)*_TABLE([^a-z_]|$)"
expect_match ".find figure: prospect, min-score 50" "$TEXT" "\`stage=prospect min-score=50\` \\| 0\\.31 ms .*\\| 224 ms"
expect_match ".find figure: all stages" "$TEXT" "\`min-score=50\` \\(all stages\\) \\| 1\\.26 ms"
expect_match "measured by tests/bench/repl.sh on a loaded machine" "$TEXT" \
	"Measured by \`tests/bench/repl\\.sh\`.*"
expect_match "the load is said" "$TEXT" "load average"
finish
