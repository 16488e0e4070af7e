#!/usr/bin/env bash
# org_match: organisations match on a normalised name (case, apostrophes,
# HTML entities, legal suffixes) and on the domain of a work email; a free
# mailbox (gmail.com...) tells nothing. Names keep their first spelling.
. "$(dirname "$0")/lib.sh"

cat >"$T/orgs.csv" <<'CSV'
email,first_name,company
ann@nordlicht.example,Ann,Nordlicht Software GmbH
bob@nordlicht.example,Bob,Nordlicht
carl@nordlicht.example,Carl,
dan@gmail.com,Dan,
eve@gmail.com,Eve,Other Co
fay@harbour.example,Fay,Harbour's Edge Ltd
gus@gmail.com,Gus,HARBOUR’S EDGE
hal@brandt.example,Hal,Brandt &amp; S&ouml;hne AG
ida@gmail.com,Ida,brandt & söhne
CSV
run import "$T/orgs.csv" --map generic
expect_eq "exit" "$RC" 0
org_of() { sql "SELECT coalesce(o.name, '-') FROM contacts c LEFT JOIN organisations o ON o.id = c.org_id WHERE c.first_name = '$1'"; }
expect_eq "new spelling, same email domain: one organisation" "$(org_of Bob)" "Nordlicht Software GmbH"
expect_eq "no company, work email: its domain's organisation" "$(org_of Carl)" "Nordlicht Software GmbH"
expect_eq "no company, free mailbox: none" "$(org_of Dan)" "-"
expect_eq "free mailbox is no organisation domain" "$(sql "SELECT coalesce(domain, '-') FROM organisations WHERE name = 'Other Co'")" "-"
expect_eq "apostrophe, case and legal suffix" "$(org_of Gus)" "Harbour's Edge Ltd"
expect_eq "HTML entities, case, suffix" "$(org_of Ida)" "Brandt & Söhne AG"
expect_eq "organisations" "$(sql "SELECT group_concat(name || '=' || coalesce(domain, '-'), '; ') FROM (SELECT * FROM organisations ORDER BY id)")" \
	"Nordlicht Software GmbH=nordlicht.example; Other Co=-; Harbour's Edge Ltd=harbour.example; Brandt & Söhne AG=brandt.example"

# legal suffixes are ignored by default; --org-suffixes keep tells them apart
printf 'email,company\na@x1.example,Kestrel GmbH\nb@x2.example,Kestrel AG\nc@x3.example,KESTREL\n' >"$T/suffix.csv"
export HEED_DB="$T/ignore.db"
run import "$T/suffix.csv" --map generic
expect_eq "suffixes ignored: one organisation" "$(sql "SELECT group_concat(name, '|') FROM organisations")" "Kestrel GmbH"
export HEED_DB="$T/keep.db"
run import "$T/suffix.csv" --map generic --org-suffixes keep
expect_eq "suffixes kept: three" "$(sql "SELECT group_concat(name, '|') FROM (SELECT name FROM organisations ORDER BY id)")" \
	"Kestrel GmbH|Kestrel AG|KESTREL"
run import "$T/suffix.csv" --map generic --org-suffixes sometimes
expect_eq "bad --org-suffixes: usage" "$RC" 2
finish
