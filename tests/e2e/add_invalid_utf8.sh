#!/usr/bin/env bash
# add_invalid_utf8: `heed add` and `heed event` refuse a field value that is
# not valid UTF-8, naming the field (exit 2, the store unchanged); stored as
# it was, the export of it could not be imported again.
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
"$HEED" add email=a@x.example first_name=Ann >/dev/null
before=$(store_digest)
run add email=c@x.example phone=$'\xc3'
expect_eq "add: exit" "$RC" 2
expect_match "add: names the field" "$ERR" "^heed: add: the value of phone is not valid UTF-8"
run add email=a@x.example title=$'Chef \xff'
expect_eq "add (update): exit" "$RC" 2
expect_match "add (update): names the field" "$ERR" "title is not valid UTF-8"
run event 1 note text=$'caf\xc3(' 
expect_eq "event: exit" "$RC" 2
expect_match "event: names the field" "$ERR" "^heed: event: the value of text is not valid UTF-8"
expect_eq "store unchanged" "$(store_digest)" "$before"
run add email=d@x.example first_name=$'Zo\xc3\xab'
expect_eq "valid UTF-8 still taken" "$RC" 0
finish
