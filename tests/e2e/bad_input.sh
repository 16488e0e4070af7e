#!/usr/bin/env bash
# bad_input: wrong commands, contacts, stages, times and options fail with the
# documented exit status (2 = usage, 1 = error), a "heed: " message on stderr
# that says what was wrong, nothing on stdout, and the store left as it was.
. "$(dirname "$0")/lib.sh"

C=cora@input.example
"$HEED" add email=$C first_name=Cora company="Input GmbH" >/dev/null || fail "add $C"
"$HEED" event $C call --at 2026-11-30 >/dev/null || fail "event $C"
"$HEED" score --all >/dev/null || fail "score --all"
BEFORE=$(store_digest)

# bad WANT_RC REGEX ARGS…: heed ARGS… exits WANT_RC, says REGEX on stderr after
# "heed: ", prints nothing on stdout and leaves the store unchanged.
bad() {
	local want=$1 re=$2
	shift 2
	run "$@"
	expect_eq "heed $*: exit status" "$RC" "$want"
	expect_match "heed $*: stderr starts with 'heed: '" "$ERR" "^heed: "
	expect_match "heed $*: the message" "$ERR" "$re"
	expect_eq "heed $*: nothing on stdout" "$OUT" ""
	expect_eq "heed $*: store unchanged" "$(store_digest)" "$BEFORE"
}

# unknown command
bad 2 "unknown command 'frobnicate'" frobnicate
bad 2 "unknown command 'frobnicate'" frobnicate $C

# unknown contact
NOBODY="no contact 'nobody@x'"
bad 1 "$NOBODY" show nobody@x
bad 1 "$NOBODY" move nobody@x prospect
bad 1 "$NOBODY" event nobody@x call
bad 1 "$NOBODY" event nobody@x call --at 2026-11-30
bad 1 "$NOBODY" why nobody@x
bad 1 "$NOBODY" advance nobody@x
bad 1 "$NOBODY" score nobody@x
bad 1 "no contact '4242'" show 4242

# bad stage names
bad 2 "unknown stage 'nosuchstage'" move $C nosuchstage
bad 2 "unknown stage 'nosuchstage'" move $C nosuchstage --force --reason why
bad 2 "unknown stage 'Prospect'" move $C Prospect
bad 2 "unknown stage 'nosuch'" list --stage nosuch
bad 2 "unknown stage 'nosuch'" list --stage=nosuch
bad 2 "unknown stage 'nosuch'" why $C nosuch

# bad --at times
for t in 2026-13-45 2026-02-30 2026-12-01T25:00:00Z 2026-12-1 yesterday ""; do
	bad 2 "--at '$t' is not an ISO 8601 time" event $C call --at "$t"
done
bad 2 "--at '2026-13-45' is not an ISO 8601 time" move $C prospect --at 2026-13-45

# unknown options, before and after the command, and options missing a value
bad 2 "unknown option --bogus" list --bogus
bad 2 "unknown option --bogus" show $C --bogus
bad 2 "unknown option --force" event $C call --force
bad 2 "unknown option '--bogus'" --bogus list
bad 2 "--db is an option of heed itself: put it before the command" list --db other.db
bad 2 "--at needs a value" event $C call --at
bad 2 "unknown format 'yaml'" list --format yaml

# an import whose file is missing makes no store on the way
run --db "$T/never.db" import "$T/no-such.csv" --map generic
expect_eq "missing import file: exit 1" "$RC" 1
expect_match "missing import file: named" "$ERR" "^heed: $T/no-such.csv: cannot open: No such file or directory"
expect_eq "missing import file: no store created" "$(ls "$T/never.db" 2>/dev/null)" ""
finish
