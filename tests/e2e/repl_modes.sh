#!/bin/bash
# repl_modes: every output mode carries all of a report's information. .pipeline in table,
# markdown and line mode shows the stages and the lead → won and forecast summary; json has
# them as fields.
. "$(dirname "$0")/lib.sh"
run --db "$HEED_DB" demo
expect_eq "demo store built" "$RC" 0
WON=$(sql "SELECT count(*) FROM contacts WHERE stage = 'won'")
run pipeline --format json
FORECAST=$(printf '%s' "$OUT" | json 'd["forecast"]')
[ -n "$FORECAST" ] || fail "json pipeline has a forecast"
FC=$(printf '%.2f' "$FORECAST")

for mode in table markdown line; do
	run -c ".mode $mode
.pipeline"
	expect_eq "$mode: status 0" "$RC" 0
	expect_match "$mode: the stages" "$OUT" "disqualified"
	expect_match "$mode: lead → won" "$OUT" "lead(_to_won = | → won: )$WON of [0-9]+ \\([0-9.]+%\\)"
	expect_match "$mode: the forecast" "$OUT" "forecast.*$FC"
done
run -c ".mode markdown
.pipeline"
expect_match "markdown: the summary" "$OUT" "^lead → won"
expect_eq "markdown: the summary is a paragraph after the table" \
	"$(printf '%s\n' "$OUT" | grep -B1 '^lead → won' | head -n 1)" ""
finish
