#!/usr/bin/env bash
# import_cases: every file of ../shared/cases/import (see its README.md) imported
# with `--map generic`, asserting what that README demands; then generated files
# for the same kinds of fault (tab delimiter and header spellings, HTML entities
# in names, a changed duplicate row, blank and placeholder-only rows, UTF-16,
# a row function that returns broken UTF-8).
. "$(dirname "$0")/lib.sh"

C="$CASES/import"
if [ ! -d "$C" ]; then
	echo "SKIP: $C is not there (the shared import cases live beside the project)"
	exit 77
fi

# fresh NAME: use a new, empty store for one case.
fresh() {
	export HEED_DB="$T/$1.db"
	rm -f "$HEED_DB" "$HEED_DB-wal" "$HEED_DB-shm"
}

# contact EMAIL-OR-ID: `heed show --format json` of one contact into SHOW.
contact() { SHOW=$("$HEED" show "$1" --format json); }

# field EXPR: a Python expression over SHOW (as `d`).
field() { printf '%s' "$SHOW" | json "$1"; }

# store_utf8: "ok" if every byte of the store's text decodes as UTF-8.
store_utf8() {
	sqlite3 "$HEED_DB" .dump | python3 -c \
		'import sys; sys.stdin.buffer.read().decode("utf-8"); print("ok")' 2>/dev/null
}

# ---- the shared cases ----

case_blank_email_rows() {
	fresh blank-email
	run import "$C/blank-email-rows.csv" --map generic
	expect_eq "blank-email: exit" "$RC" 0
	expect_match "blank-email: summary" "$OUT" "4 rows, 4 created"
	# the semicolons were detected: the header split into three columns
	expect_eq "blank-email: names" "$(sql "SELECT first_name || ' ' || last_name FROM contacts ORDER BY id" | paste -sd,)" \
		"Mira Solberg,Tomas Vik,Elin Haug,Per Lunde"
	for who in Tomas Per; do
		id=$(sql "SELECT id FROM contacts WHERE first_name = '$who'")
		contact "$id"
		expect_eq "blank-email: $who has no email" "$(field "d['email']")" None
	done
	expect_eq "blank-email: emails not copied to other rows" \
		"$(sql "SELECT group_concat(email, ',') FROM (SELECT email FROM contacts WHERE email IS NOT NULL ORDER BY id)")" \
		"mira.solberg@fjordtech.example,elin.haug@fjordtech.example"
	expect_match "blank-email: rows without a dedupe key, by line" "$OUT" \
		"2 rows have neither email nor external id \(lines 3, 5\)"
	expect_match "blank-email: what was done with them" "$OUT" "each became a new contact"

	# the delimiter can also be given
	fresh blank-email-option
	run import "$C/blank-email-rows.csv" --map generic --delimiter ';'
	expect_eq "blank-email --delimiter: exit" "$RC" 0
	expect_eq "blank-email --delimiter: keyless contacts" \
		"$(sql "SELECT count(*) FROM contacts WHERE email IS NULL AND first_name IN ('Tomas', 'Per')")" 2
}

case_html_entity_company() {
	fresh html-entity
	run import "$C/html-entity-company.csv" --map generic
	expect_eq "html-entity: exit" "$RC" 0
	expect_eq "html-entity: one organisation" "$(sql "SELECT count(*) FROM organisations")" 1
	expect_eq "html-entity: decoded name" "$(sql "SELECT name FROM organisations")" "Brandt Mühle & Söhne"
	expect_eq "html-entity: all four linked" \
		"$(sql "SELECT count(*) FROM contacts WHERE org_id = (SELECT id FROM organisations)")" 4
	run list --format json
	expect_eq "html-entity: list shows it decoded" \
		"$(printf '%s' "$OUT" | json "sorted(set(c['organisation'] for c in d))")" "['Brandt Mühle & Söhne']"
	expect_eq "html-entity: list has the four" "$(printf '%s' "$OUT" | json "len(d)")" 4
}

case_apostrophe_variants() {
	fresh apostrophe
	run import "$C/apostrophe-variants.csv" --map generic
	expect_eq "apostrophe: exit" "$RC" 0
	expect_eq "apostrophe: one organisation" "$(sql "SELECT count(*) FROM organisations")" 1
	expect_eq "apostrophe: all three linked" \
		"$(sql "SELECT count(*) FROM contacts WHERE org_id = (SELECT id FROM organisations)")" 3
	expect_eq "apostrophe: names keep their spelling" \
		"$(sql "SELECT last_name FROM contacts ORDER BY id" | paste -sd,)" "O'Leary,Tasker,D’Souza"
	run list --format json
	expect_eq "apostrophe: list names" "$(printf '%s' "$OUT" | json "','.join(c['name'] for c in d)")" \
		"Rowan O'Leary,Nell Tasker,Abe D’Souza"
}

case_reimport() {
	fresh reimport
	run import "$C/reimport-once.csv" --map generic
	expect_eq "reimport: first exit" "$RC" 0
	run import "$C/reimport-once.csv" --map generic
	expect_eq "reimport: second exit" "$RC" 0
	expect_match "reimport: second import matches" "$OUT" "0 created, 1 matched existing contact \(0 updated, 1 unchanged\)"
	expect_eq "reimport: one contact" "$(sql "SELECT count(*) FROM contacts")" 1
	id=$(sql "SELECT id FROM contacts")
	HEED_NOW=2026-12-04T10:00:00Z run import "$C/reimport-updated.csv" --map generic
	expect_eq "reimport: update exit" "$RC" 0
	expect_match "reimport: update summary" "$OUT" "0 created, 1 matched existing contact \(1 updated"
	expect_eq "reimport: still one contact" "$(sql "SELECT count(*) FROM contacts")" 1
	contact quinn.ashby@lattice.example
	expect_eq "reimport: same contact" "$(field "d['id']")" "$id"
	expect_eq "reimport: new title" "$(field "d['title']")" "Head of Data"
	expect_eq "reimport: change in the timeline" \
		"$(field "[(a['at'], a['data']) for a in d['timeline'] if a['kind'] == 'field_change']")" \
		"[('2026-12-04T10:00:00Z', {'field': 'title', 'old': 'Analyst', 'new': 'Head of Data', 'source': 'import:generic reimport-updated.csv:2'})]"
}

case_bom_crlf_quoted_newline() {
	fresh bom
	run import "$C/bom-crlf-quoted-newline.csv" --map generic
	expect_eq "bom: exit" "$RC" 0
	expect_eq "bom: two contacts" "$(sql "SELECT count(*) FROM contacts")" 2
	# the first header is "email", not BOM + "email": the emails were mapped
	expect_eq "bom: emails" "$(sql "SELECT email FROM contacts ORDER BY id" | paste -sd,)" \
		"sam.ree@corvid.example,ada.lim@corvid.example"
	contact sam.ree@corvid.example
	expect_eq "bom: Sam Ree's note" \
		"$(field "d['attrs']['notes'] == 'said \"call me Tuesday\"\nthen left a voicemail'")" True
	expect_eq "bom: only the note is kept" "$(field "sorted(d['attrs'])")" "['notes']"
	contact ada.lim@corvid.example
	expect_eq "bom: Ada Lim's note" "$(field "d['attrs']['notes']")" "likes, commas"
	expect_eq "bom: no BOM anywhere" "$(sql "SELECT count(*) FROM contacts WHERE instr(coalesce(attrs, ''), char(65279)) > 0")" 0
}

case_ragged_and_unterminated() {
	fresh ragged
	"$HEED" add email=keep@kestrel.example first_name=Keep >/dev/null
	local before
	before=$(store_digest)
	run import "$C/ragged-and-unterminated.csv" --map generic
	expect_eq "ragged: exit" "$RC" 1
	expect_match "ragged: line 3" "$ERR" "ragged-and-unterminated.csv:3: 4 fields, but the header has 3 \(too many\)"
	expect_match "ragged: line 4" "$ERR" "ragged-and-unterminated.csv:4: 1 fields, but the header has 3 \(too few\)"
	expect_match "ragged: line 6" "$ERR" "line 6: unterminated quote starting on line 6"
	expect_match "ragged: all-or-nothing" "$ERR" "3 bad rows in .*; nothing was imported"
	expect_eq "ragged: store unchanged" "$(store_digest)" "$before"

	run import "$C/ragged-and-unterminated.csv" --map generic --skip-bad
	expect_match "ragged --skip-bad: summary" "$OUT" "^imported .* 5 rows, 2 created, .* 0 skipped, 3 bad \(left out\)"
	expect_eq "ragged --skip-bad: the good rows" \
		"$(sql "SELECT email FROM contacts WHERE email LIKE 'ok.%' ORDER BY id" | paste -sd,)" \
		"ok.one@kestrel.example,ok.two@kestrel.example"
	expect_eq "ragged --skip-bad: no bad row stored" "$(sql "SELECT count(*) FROM contacts")" 3
	expect_match "ragged --skip-bad: lists line 3" "$ERR" ":3: 4 fields"
	expect_match "ragged --skip-bad: lists line 4" "$ERR" ":4: 1 fields"
	expect_match "ragged --skip-bad: lists line 6" "$ERR" "line 6: unterminated quote"
}

case_same_email() {
	fresh same-email
	run import "$C/same-email-case-and-space.csv" --map generic
	expect_eq "same-email: exit" "$RC" 0
	expect_eq "same-email: one contact" "$(sql "SELECT count(*) FROM contacts")" 1
	expect_eq "same-email: normalised" "$(sql "SELECT email FROM contacts")" "noor.haddad@quill.example"
	expect_match "same-email: merged rows are not existing contacts" "$OUT" "3 rows, 1 created, 0 matched existing contacts \(0 updated, 0 unchanged\)"
	expect_match "same-email: merged count" "$OUT" "\), 2 merged with an earlier row of the file, "
}

case_cp1252() {
	fresh cp1252
	"$HEED" add email=keep@stahlwerk.example first_name=Keep >/dev/null
	local before
	before=$(store_digest)
	run import "$C/cp1252-encoded.csv" --map generic
	expect_eq "cp1252: exit" "$RC" 1
	expect_match "cp1252: line and byte offset" "$ERR" "cp1252-encoded.csv: line 2: invalid UTF-8 at byte offset 64 \(field 2\)"
	expect_match "cp1252: suggests the option" "$ERR" "use --encoding cp1252"
	expect_eq "cp1252: nothing stored" "$(store_digest)" "$before"

	run import "$C/cp1252-encoded.csv" --map generic --encoding cp1252
	expect_eq "cp1252 --encoding: exit" "$RC" 0
	expect_eq "cp1252 --encoding: stored" \
		"$(sql "SELECT c.first_name || '|' || c.last_name || '|' || o.name FROM contacts c JOIN organisations o ON o.id = c.org_id WHERE c.email = 'j.mueller@stahlwerk.example'")" \
		"Jürgen|Müller|Stahlwerk Süd"
	expect_eq "cp1252 --encoding: UTF-8 bytes" \
		"$(sql "SELECT hex(first_name) FROM contacts WHERE email = 'j.mueller@stahlwerk.example'")" 4AC3BC7267656E
	expect_eq "cp1252 --encoding: store is UTF-8" "$(store_utf8)" ok
}

case_select_placeholder() {
	fresh select
	run import "$C/select-placeholder.csv" --map generic
	expect_eq "select: exit" "$RC" 0
	contact r.patel@sample.example
	expect_eq "select: Riya's attrs" "$(field "d['attrs']")" "{'specialization': 'Finance Management'}"
	contact d.osei@sample.example
	expect_eq "select: Dan's attrs" "$(field "d['attrs']")" "{'city': 'Mumbai'}"

	# A map declares its own placeholders (matched ignoring case); without
	# them, "Select" is an ordinary value.
	mkdir -p "$T/plugins"
	cat >"$T/plugins/form.lua" <<-'EOF'
		return { name = "form", version = "1", map = {
			placeholders = { "SELECT" },
			fields = { email = "email", first_name = "first_name" },
			keep_rest = true } }
	EOF
	cat >"$T/plugins/plain.lua" <<-'EOF'
		return { name = "plain", version = "1", map = {
			fields = { email = "email", first_name = "first_name" },
			keep_rest = true } }
	EOF
	fresh select-declared
	HEED_PLUGINS="$T/plugins" run import "$C/select-placeholder.csv" --map form
	expect_eq "select (declared): exit" "$RC" 0
	expect_eq "select (declared): no city for Riya" \
		"$(sql "SELECT attrs FROM contacts WHERE email = 'r.patel@sample.example'")" '{"specialization":"Finance Management"}'
	expect_eq "select (declared): no specialization for Dan" \
		"$(sql "SELECT attrs FROM contacts WHERE email = 'd.osei@sample.example'")" '{"city":"Mumbai"}'
	fresh select-undeclared
	HEED_PLUGINS="$T/plugins" run import "$C/select-placeholder.csv" --map plain
	expect_eq "select (undeclared): kept as a value" \
		"$(sql "SELECT json_extract(attrs, '\$.city') FROM contacts WHERE email = 'r.patel@sample.example'")" Select
}

# ---- the same kinds of fault, generated ----

# Tab-delimited, header spellings generic must recognise; two email columns.
own_tab_and_spellings() {
	fresh tab
	printf '%s\t' "E-mail Address" "Email 2" "Given Name" "SURNAME" "Organisation" "Job Title" \
		"Mobile" "Country" "Industry" "Town" "Description" "Web Site" "Favourite Colour" >"$T/tab.csv"
	printf 'Lead Source\n' >>"$T/tab.csv"
	printf '%s\t' " Ines.Roth@Tern.example " "ines@home.example" "Ines" "Roth" "Tern Labs" "CTO" \
		"+49 30 1234" "DE" "Software" "Berlin" "met at a fair" "https://www.Tern.example/about" "teal" >>"$T/tab.csv"
	printf 'Select\n' >>"$T/tab.csv"
	run import "$T/tab.csv" --map generic
	expect_eq "tab: exit" "$RC" 0
	contact ines.roth@tern.example
	expect_eq "tab: fields" \
		"$(field "[d[k] for k in ('first_name', 'last_name', 'title', 'phone')]")" \
		"['Ines', 'Roth', 'CTO', '+49 30 1234']"
	expect_eq "tab: organisation" \
		"$(sql "SELECT name || '|' || country || '|' || industry || '|' || domain FROM organisations")" \
		"Tern Labs|DE|Software|tern.example"
	expect_eq "tab: attrs" "$(field "sorted(d['attrs'].items())")" \
		"[('Email 2', 'ines@home.example'), ('Favourite Colour', 'teal'), ('city', 'Berlin'), ('notes', 'met at a fair')]"
}

# HTML entities in a person's name and title, not just the organisation.
own_html_entities_in_names() {
	fresh html-names
	cat >"$T/html-names.csv" <<-'EOF'
		Email,First Name,Last Name,Title,Company
		rene@atelier.example,Ren&eacute;,M&uuml;ller-O&#39;Brien,R&amp;D Lead,Atelier &#x2019;Nord&#8217;
		at@atelier.example,AT&T,Fan,Q&A,
	EOF
	run import "$T/html-names.csv" --map generic
	expect_eq "html-names: exit" "$RC" 0
	contact rene@atelier.example
	expect_eq "html-names: decoded" "$(field "[d['first_name'], d['last_name'], d['title']]")" \
		"['René', \"Müller-O'Brien\", 'R&D Lead']"
	expect_eq "html-names: organisation" "$(sql "SELECT name FROM organisations")" "Atelier ’Nord’"
	contact at@atelier.example
	expect_eq "html-names: no entity, no change" "$(field "[d['first_name'], d['title']]")" "['AT&T', 'Q&A']"
}

# A duplicate row that brings a new phone number: merged, and the change kept.
own_duplicate_new_phone() {
	fresh dup-phone
	cat >"$T/dup-phone.csv" <<-'EOF'
		email,first_name,phone
		lena.berg@fjell.example,Lena,+47 111 11 111
		LENA.BERG@fjell.example ,Lena,+47 222 22 222
	EOF
	run import "$T/dup-phone.csv" --map generic
	expect_eq "dup-phone: exit" "$RC" 0
	expect_match "dup-phone: merged" "$OUT" "2 rows, 1 created, 0 matched existing contacts \(0 updated, 0 unchanged\), 1 merged with an earlier row of the file"
	expect_eq "dup-phone: one contact" "$(sql "SELECT count(*) FROM contacts")" 1
	contact lena.berg@fjell.example
	expect_eq "dup-phone: newest phone" "$(field "d['phone']")" "+47 222 22 222"
	expect_eq "dup-phone: field_change" \
		"$(field "[a['data'] for a in d['timeline'] if a['kind'] == 'field_change']")" \
		"[{'field': 'phone', 'old': '+47 111 11 111', 'new': '+47 222 22 222', 'source': 'import:generic dup-phone.csv:3'}]"
}

# Rows of empty cells or placeholders only (spreadsheet tails) make no contact.
own_blank_rows() {
	fresh blank-rows
	printf 'email;first_name;city\nkim@ash.example;Kim;Oslo\n;;\n ; select ;SELECT\n' >"$T/blank-rows.csv"
	run import "$T/blank-rows.csv" --map generic
	expect_eq "blank-rows: exit" "$RC" 0
	expect_eq "blank-rows: one contact" "$(sql "SELECT count(*) FROM contacts")" 1
	expect_match "blank-rows: counted as skipped" "$OUT" "3 rows, 1 created, .* 2 skipped"
	expect_nomatch "blank-rows: no keyless contacts" "$OUT" "neither email nor external id"
}

# UTF-16 is refused plainly (read as cp1252 it would store NULs and mojibake).
own_utf16() {
	fresh utf16
	printf '\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00' >"$T/utf16.csv"
	run import "$T/utf16.csv" --map generic
	expect_eq "utf16: exit" "$RC" 1
	expect_match "utf16: says why" "$ERR" "utf16.csv: the file is UTF-16 .* save it as UTF-8"
	run import "$T/utf16.csv" --map generic --encoding cp1252
	expect_eq "utf16 --encoding cp1252: still refused" "$RC" 1
	expect_eq "utf16: nothing stored" "$(sql "SELECT count(*) FROM contacts")" 0
}

# A row function that cuts a UTF-8 character in two: a bad row, never stored.
own_plugin_utf8() {
	fresh plugin-utf8
	mkdir -p "$T/plugins-cut"
	cat >"$T/plugins-cut/cut.lua" <<-'EOF'
		return { name = "cut", version = "1", map = {
			fields = { email = "email" },
			row = function(r) return { first_name = r.first_name:sub(1, 2) } end } }
	EOF
	printf 'email,first_name\nok@cut.example,Olga\nbad@cut.example,J\xc3\xbcrgen\n' >"$T/cut.csv"
	HEED_PLUGINS="$T/plugins-cut" run import "$T/cut.csv" --map cut
	expect_eq "plugin-utf8: exit" "$RC" 1
	expect_match "plugin-utf8: reported" "$ERR" "cut.csv:3: map cut: row function returned invalid UTF-8 in first_name at byte 1"
	expect_eq "plugin-utf8: nothing stored" "$(sql "SELECT count(*) FROM contacts")" 0
	HEED_PLUGINS="$T/plugins-cut" run import "$T/cut.csv" --map cut --skip-bad
	expect_eq "plugin-utf8 --skip-bad: good row only" "$(sql "SELECT group_concat(first_name) FROM contacts")" Ol
	expect_eq "plugin-utf8: store is UTF-8" "$(store_utf8)" ok
}

case_blank_email_rows
case_html_entity_company
case_apostrophe_variants
case_reimport
case_bom_crlf_quoted_newline
case_ragged_and_unterminated
case_same_email
case_cp1252
case_select_placeholder
own_tab_and_spellings
own_html_entities_in_names
own_duplicate_new_phone
own_blank_rows
own_utf16
own_plugin_utf8
finish
