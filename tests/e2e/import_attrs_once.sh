#!/usr/bin/env bash
# import_attrs_once: an attribute set twice in one row (a kept column, then an
# explicit --col or the map's row function) is stored once, with the last
# value, so a re-import of the same file changes nothing.
. "$(dirname "$0")/lib.sh"

printf 'email,x,note\na@x.com,1,hello\n' >"$T/col.csv"
run import "$T/col.csv" --col attrs.x=note --col email=email
expect_eq "--col: exit" "$RC" 0
expect_eq "--col attrs.x wins over the column x, one key" "$(sql "SELECT attrs FROM contacts")" '{"x":"hello"}'
run import "$T/col.csv" --col attrs.x=note --col email=email
expect_match "--col: re-import unchanged" "$OUT" "1 matched existing contacts? \(0 updated, 1 unchanged\)"

D="$DATA/olist-marketing-funnel"
if [ -d "$D" ]; then
	export HEED_DB="$T/olist.db"
	run import "$D/olist_marketing_qualified_leads_dataset.csv" --map olist_mql
	expect_eq "olist mql: exit" "$RC" 0
	run import "$D/olist_closed_deals_dataset.csv" --map olist_deals
	expect_eq "olist deals: exit" "$RC" 0
	before=$(store_digest)
	run import "$D/olist_closed_deals_dataset.csv" --map olist_deals
	expect_match "olist deals: re-import updates nothing" "$OUT" "\(0 updated, 842 unchanged\)"
	expect_eq "olist deals: re-import leaves the store as it was" "$(store_digest)" "$before"
else
	echo "note: $D absent; the olist re-import is not checked"
fi
finish
