#!/usr/bin/env bash
# due_title: `heed due` shows a task's title in its own title column, not
# under template (which is an email's or script's template name).
. "$(dirname "$0")/lib.sh"
run init
run add email=p@x.com first_name=P
run add email=l@x.com first_name=L
run move p@x.com prospect
run evaluate
run due --until 2027-01-01T00:00:00Z --format json
expect_eq "due: exit 0" "$RC" 0
task=$(printf '%s\n' "$OUT" | grep '"action":"task"' | head -1)
expect_match "the task's title under title" "$task" '"title":"Book a discovery call with P"'
expect_match "no template for a task" "$task" '"template":null'
email=$(printf '%s\n' "$OUT" | grep '"action":"email"' | head -1)
expect_match "an email keeps its template" "$email" '"template":"nurture_day0"'
run due --until 2027-01-01T00:00:00Z
expect_match "table header has a title column" "$(printf '%s\n' "$OUT" | head -1)" "template +title"
finish
