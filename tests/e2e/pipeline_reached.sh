#!/usr/bin/env bash
# pipeline_reached: for lost and disqualified (off the funnel, so peak says
# nothing) `reached` counts the contacts that are there now or ever moved
# there: a contact that went lead → disqualified → lead reached disqualified.
# JSON and the table agree.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
"$HEED" add email=a@x.example first_name=Ann >/dev/null
"$HEED" add email=b@x.example first_name=Bob >/dev/null
"$HEED" move 1 disqualified --force --reason "no budget" >/dev/null
"$HEED" move 1 lead --force --reason "budget after all" >/dev/null
"$HEED" move 2 lost --force --reason "went quiet" >/dev/null
run pipeline --format json
expect_eq "json: exit" "$RC" 0
expect_eq "json: disqualified and lost" \
	"$(printf '%s' "$OUT" | json "[(s['stage'], s['count'], s['reached'], s['left']) for s in d['stages'] if s['stage'] in ('lost', 'disqualified')]")" \
	"[('lost', 1, 1, 0), ('disqualified', 0, 1, 1)]"
run pipeline --format csv
expect_match "table: disqualified reached 1" "$OUT" "^disqualified,0,1,"
expect_match "table: lost reached 1" "$OUT" "lost,1,1,"
finish
