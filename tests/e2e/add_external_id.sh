#!/usr/bin/env bash
# add_external_id: `heed add external_id=X` without source= updates the contact
# that already has X, whatever its source (as CONTACT resolves it), instead of
# creating a second "manual" contact that makes X ambiguous; a new X gets source
# manual; an X used by two sources is refused until source= says which.
. "$(dirname "$0")/lib.sh"

cat > leads.csv <<'CSV'
external_id,first_name,title
crm-7,Ann,Analyst
crm-8,Bo,Engineer
CSV
"$HEED" init >/dev/null
run import leads.csv --col external_id=external_id --col first_name=first_name --col title=title
expect_eq "import: exit" "$RC" 0
src=$(sql "SELECT source FROM contacts WHERE external_id = 'crm-7'")

run add external_id=crm-7 title=CEO
expect_eq "add existing: exit" "$RC" 0
expect_match "add existing: an update" "$OUT" "^updated contact 1 "
expect_eq "no second contact" "$(sql "SELECT count(*) FROM contacts")" 2
expect_eq "the imported contact changed" "$(sql "SELECT title || '|' || source FROM contacts WHERE id = 1")" "CEO|$src"
run show crm-7
expect_eq "show by external id still works" "$RC" 0

run add external_id=crm-9 first_name=Cy
expect_match "new external id: created" "$OUT" "^created contact 3"
expect_eq "new one is manual" "$(sql "SELECT source FROM contacts WHERE external_id = 'crm-9'")" manual
run add external_id=crm-9 title=CTO
expect_match "then updated, not duplicated" "$OUT" "^updated contact 3 "

run add external_id=crm-8 source=other first_name=Dup
expect_match "another source: its own contact" "$OUT" "^created contact 4"
before=$(store_digest)
run add external_id=crm-8 title=VP
expect_eq "ambiguous: exit" "$RC" 2
expect_match "ambiguous: says what to give" "$ERR" "^heed: add: external_id 'crm-8' is used by contacts of several sources; say which with source=NAME"
expect_eq "ambiguous: store unchanged" "$(store_digest)" "$before"
run add external_id=crm-8 source=other title=VP
expect_match "with source=: updated" "$OUT" "^updated contact 4 "
finish
