#!/usr/bin/env bash
# mail_shared_dir: two stores in one folder share the default mail.dir
# (outbox/): their files are named after the store (heed-…, fu-…), so neither
# overwrites the other's sent email; a file already in the way is never
# overwritten: the hand-over fails naming the file and mail.dir.
. "$(dirname "$0")/lib.sh"
run init
run add email=ann@x.com first_name=Ann
run mail ann@x.com nurture_day0 --key a1 --send
expect_eq "heed.db: sent" "$RC" 0
HEED_DB="$T/fu.db" run init
HEED_DB="$T/fu.db" run add email=bob@y.com first_name=Bob
HEED_DB="$T/fu.db" run mail bob@y.com nurture_day0 --key b1 --send
expect_eq "fu.db: sent" "$RC" 0
expect_eq "two files" "$(find "$T/outbox" -name '*.eml' | wc -l)" 2
expect_match "heed.db's email kept" "$(grep -a '^To:' "$T/outbox/heed-00000001.eml")" "ann@x.com"
expect_match "fu.db's email beside it" "$(grep -a '^To:' "$T/outbox/fu-00000001.eml")" "bob@y.com"
# a file already there under the next name: not overwritten, the send fails
echo keep >"$T/outbox/heed-00000002.eml"
run mail ann@x.com nurture_day0 --key a2 --send
expect_eq "collision: exit 1" "$RC" 1
expect_match "collision: names the file" "$ERR" "^heed: .*outbox/heed-00000002.eml already exists"
expect_match "collision: names mail.dir" "$ERR" "mail.dir"
expect_eq "collision: the file is untouched" "$(cat "$T/outbox/heed-00000002.eml")" keep
expect_eq "no temporary file left" "$(find "$T/outbox" -name '.*' | wc -l)" 0
finish
