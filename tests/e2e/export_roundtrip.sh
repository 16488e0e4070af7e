#!/usr/bin/env bash
# export_roundtrip: `heed export` as CSV and JSON Lines, its filters, formula
# cells neutralised, and the round trip: an export imports back (no map) into a
# new store whose export is byte-identical. Also --col and idempotent re-import.
. "$(dirname "$0")/lib.sh"

# ---- own data: filters, formula cells, --col ----
cat >"$T/people.csv" <<'CSV'
E-Mail,Vorname,Nachname,Firma,Land,Telefon,Notiz
ann@nordlicht.example,Ann,Berg,Nordlicht GmbH,DE,+49 30 1,=HYPERLINK("http://x")
bo@fjord.example,Bo,Lund,Fjord AS,NO,,"@SUM(A1), then ""more"""
cy@nordlicht.example,Cy,Reed,Nordlicht GmbH,DE,-5,'=already quoted
CSV
run import "$T/people.csv" --col email=E-Mail --col first_name=Vorname --col last_name=Nachname \
	--col org.name=Firma --col org.country=Land --col phone=Telefon
expect_eq "col: exit" "$RC" 0
expect_match "col: summary" "$OUT" "with map columns: 3 rows, 3 created"
expect_eq "col: fields" "$(sql "SELECT first_name || ' ' || last_name || '|' || phone FROM contacts WHERE email = 'ann@nordlicht.example'")" \
	"Ann Berg|+49 30 1"
expect_eq "col: rest kept as attrs" "$(sql "SELECT json_extract(attrs, '\$.Notiz') FROM contacts WHERE email = 'bo@fjord.example'")" \
	'@SUM(A1), then "more"'
run import "$T/people.csv" --col email=E-Mail --col nosuch=Vorname
expect_eq "col: unknown field is a usage error" "$RC" 2
expect_match "col: names the pair" "$ERR" "^heed: --col 'nosuch=Vorname': unknown field"
run import "$T/people.csv" --col email=Mail
expect_eq "col: missing header" "$RC" 1
expect_match "col: names the header" "$ERR" "column 'Mail' is not in the header"

"$HEED" move bo@fjord.example prospect --force --reason test >/dev/null
run export
expect_eq "export: exit" "$RC" 0
printf '%s\n' "$OUT" >"$T/all.csv"
expect_eq "export: CSV rows" "$(python3 -c 'import csv,sys; print(len(list(csv.DictReader(open(sys.argv[1])))))' "$T/all.csv")" 3
expect_eq "export: formula cells neutralised" \
	"$(python3 -c 'import csv,sys; r={d["email"]: d for d in csv.DictReader(open(sys.argv[1]))}; print(r["ann@nordlicht.example"]["phone"], r["ann@nordlicht.example"]["attrs.Notiz"], r["bo@fjord.example"]["attrs.Notiz"], r["cy@nordlicht.example"]["phone"], r["cy@nordlicht.example"]["attrs.Notiz"], sep="|")' "$T/all.csv")" \
	"'+49 30 1|'=HYPERLINK(\"http://x\")|'@SUM(A1), then \"more\"|'-5|''=already quoted"
run export --stage prospect
expect_eq "export --stage: one row" "$(printf '%s\n' "$OUT" | tail -n +2 | cut -d, -f1)" "bo@fjord.example"
run export --where org.country=DE --format json
expect_eq "export --where, JSON Lines" "$(printf '%s\n' "$OUT" | python3 -c 'import json,sys; print(",".join(json.loads(l)["email"] for l in sys.stdin))')" \
	"ann@nordlicht.example,cy@nordlicht.example"
run export --where attrs.Notiz=nothing
expect_eq "export --where attrs: header only" "$(printf '%s\n' "$OUT" | wc -l)" 1
run export --where bogus=1
expect_eq "export --where bogus: usage" "$RC" 2
run export --min-score 1
expect_eq "export --min-score: unscored left out" "$(printf '%s\n' "$OUT" | wc -l)" 1

# the neutralised cells come back as they were
export HEED_DB="$T/back.db"
run import "$T/all.csv"
expect_eq "import of export: exit" "$RC" 0
expect_eq "import of export: values restored" \
	"$(sql "SELECT coalesce(phone, '') || '|' || json_extract(attrs, '\$.Notiz') FROM contacts ORDER BY id" | paste -sd'#')" \
	"+49 30 1|=HYPERLINK(\"http://x\")#|@SUM(A1), then \"more\"#-5|'=already quoted"
expect_eq "import of export: stage kept" "$(sql "SELECT stage FROM contacts WHERE email = 'bo@fjord.example'")" prospect

# ---- hostile cells survive export -> import -> export exactly ----
# A file in heed's export shape (so it is read as one) seeds the store with
# values a spreadsheet or a trimming reader would change.
export HEED_DB="$T/h1.db"
python3 - "$T/seed.csv" <<'PY'
import csv, sys
hdr = ["email","source","external_id","first_name","last_name","title","phone","owner","do_not_contact",
       "stage","stage_at","created_at","org.name","org.domain","org.industry","org.employees","org.country",
       "deal.value","deal.currency","deal.close_date","deal.decision_makers","deal.probability",
       "attrs.cr","attrs.formula","attrs.nl","attrs.sp","attrs.tab","attrs.uni"]
def guard(v):
    return "'" + v if v and (v[0] in "=+-@\t\r\n" or (v[0] == "'" and len(v) > 1 and v[1] in "=+-@\t\r\n'")) else v
rows = [
    {"email": "ann@nordlicht.example", "org.name": "Nordlicht GmbH", "attrs.cr": "\ncr first",
     "attrs.formula": '=HYPERLINK("http://x")', "attrs.nl": "line1\nline2", "attrs.sp": "  two spaces  ",
     "attrs.tab": "\t", "attrs.uni": 'J\u00fcrgen \U0001F600 "q"'},
    {"email": "bo@fjord.example", "org.name": "Fjord AS", "attrs.cr": "@SUM(A1)", "attrs.formula": "'=x",
     "attrs.nl": "-5", "attrs.sp": " x", "attrs.tab": "\tlead tab", "attrs.uni": "a,b"},
]
w = csv.writer(open(sys.argv[1], "w", newline=""), lineterminator="\r\n")
w.writerow(hdr)
for r in rows:
    w.writerow([guard(r.get(h, "")) if h.startswith("attrs.") else r.get(h, {"stage": "lead", "do_not_contact": "0"}.get(h, "")) for h in hdr])
PY
run import "$T/seed.csv"
expect_eq "hostile: seed import" "$RC" 0
want_attrs='{"cr":"\ncr first","formula":"=HYPERLINK(\"http://x\")","nl":"line1\nline2","sp":"  two spaces  ","tab":"\t","uni":"Jürgen 😀 \"q\""}#{"cr":"@SUM(A1)","formula":"'"'"'=x","nl":"-5","sp":" x","tab":"\tlead tab","uni":"a,b"}'
expect_eq "hostile: attribute values kept exactly" "$(sql "SELECT attrs FROM contacts ORDER BY id" | paste -sd'#')" "$want_attrs"
expect_eq "hostile: an empty org.domain column is not filled from the email" \
	"$(sql "SELECT count(*) FROM organisations WHERE coalesce(domain, '') <> ''")" 0
run export --out "$T/h1.csv"
expect_eq "hostile: tab and line-break cells neutralised" \
	"$(python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1], newline=""))); print(repr(r[0]["attrs.tab"]), repr(r[1]["attrs.tab"]), repr(r[0]["attrs.cr"]))' "$T/h1.csv")" \
	"\"'\\t\" \"'\\tlead tab\" \"'\\ncr first\""
export HEED_DB="$T/h2.db"
run import "$T/h1.csv"
expect_eq "hostile: export imports back" "$RC" 0
expect_eq "hostile: values restored" "$(sql "SELECT attrs FROM contacts ORDER BY id" | paste -sd'#')" "$want_attrs"
expect_eq "hostile: org.domain still empty" "$(sql "SELECT count(*) FROM organisations WHERE coalesce(domain, '') <> ''")" 0
run export --out "$T/h2.csv"
expect_eq "hostile: exports byte-identical" "$(sha256sum <"$T/h1.csv")" "$(sha256sum <"$T/h2.csv")"

# ---- the acceptance test: Leads.csv round trip ----
if [ ! -d "$DATA/x-education-leads" ]; then
	echo "SKIP part: $DATA/x-education-leads is not there (the shared data sets live beside the project)"
	finish
fi
L="$DATA/x-education-leads/Leads.csv"
N=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig"))))' "$L")
export HEED_DB="$T/x1.db"
run import "$L" --map xedu
expect_eq "xedu: import" "$RC" 0
run export --out "$T/x1.csv"
expect_eq "xedu: export" "$OUT" "exported $N contacts to $T/x1.csv"
export HEED_DB="$T/x2.db"
run import "$T/x1.csv"
expect_match "xedu: export imports into a new store" "$OUT" "$N rows, $N created"
run export --out "$T/x2.csv"
expect_eq "xedu: second export" "$RC" 0
expect_eq "xedu: exports byte-identical" "$(sha256sum <"$T/x1.csv")" "$(sha256sum <"$T/x2.csv")"
expect_eq "xedu: every attribute column kept" "$(head -1 "$T/x1.csv" | tr ',' '\n' | grep -c '^attrs\.')" \
	"$(python3 -c 'import csv,sys; print(len([h for h in next(csv.reader(open(sys.argv[1], encoding="utf-8-sig"))) if h]) - 2)' "$L")"

# re-import is idempotent
export HEED_DB="$T/x1.db"
before=$(store_digest)
run import "$L" --map xedu
expect_match "xedu: re-import" "$OUT" "$N rows, 0 created, $N matched existing contacts \(0 updated, $N unchanged\)"
expect_eq "xedu: re-import changed nothing" "$(store_digest)" "$before"
finish
