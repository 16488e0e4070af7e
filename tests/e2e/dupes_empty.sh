#!/usr/bin/env bash
# dupes_empty: `heed dupes` on an empty store and on one where no contact has
# a phone finds nothing and exits 0 (it used to qsort(NULL, 0, …), which the
# sanitizer build stops on).
. "$(dirname "$0")/lib.sh"

"$HEED" init >/dev/null
run dupes
expect_eq "empty store: exit" "$RC" 0
expect_eq "empty store: no stderr" "$ERR" ""
"$HEED" add email=a@x.example first_name=Ann >/dev/null
"$HEED" add email=b@x.example first_name=Bob >/dev/null
run dupes --format json
expect_eq "no phones: exit" "$RC" 0
expect_eq "no phones: no groups" "$OUT" "[]"
expect_eq "no phones: no stderr" "$ERR" ""
finish
