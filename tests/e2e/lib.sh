# lib.sh: shared helpers for heed's end-to-end tests. Each test script sources
# this, drives the real binary ($HEED) in a fresh directory ($T) and exits
# non-zero on the first failed expectation. Exit 77 = skipped (CTest SKIP).
set -u
HEED=${HEED:?HEED must point at the heed binary}
SRC=${HEED_SRC:?HEED_SRC must point at the project root}
DATA="$SRC/../shared/data"
CASES="$SRC/../shared/cases"
T=${HEED_TMP:-$(mktemp -d)}
rm -rf "$T" && mkdir -p "$T" && cd "$T" || exit 1
export HEED_NOW=${HEED_NOW:-2026-12-03T09:00:00Z}
export HEED_DB="$T/heed.db"
export HEED_PLUGINS="$SRC/plugins"
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# expect_eq WHAT GOT WANT
expect_eq() {
	CHECKS=$((CHECKS + 1))
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_match WHAT TEXT REGEX (grep -E)
expect_match() {
	CHECKS=$((CHECKS + 1))
	printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$3' not found in: $2"
}

expect_nomatch() {
	CHECKS=$((CHECKS + 1))
	! printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$3' unexpectedly found in: $2"
}

# run CMD…: runs heed, sets OUT, ERR, RC.
run() {
	OUT=$("$HEED" "$@" 2>"$T/.err")
	RC=$?
	ERR=$(cat "$T/.err")
}

# need_data DIR: skip the test when the shared data set is absent.
need_data() {
	if [ ! -d "$DATA/$1" ]; then
		echo "SKIP: $DATA/$1 is not there (the shared data sets live beside the project)"
		exit 77
	fi
}

# json EXPR: evaluate a Python expression over the JSON document on stdin (as `d`).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# sql QUERY: query the test store directly (read-only checks only).
sql() { sqlite3 -batch -noheader "$HEED_DB" "$1"; }

# store_digest: a digest of every row of the store, to prove it unchanged.
store_digest() { sqlite3 "$HEED_DB" .dump | sha256sum | cut -d' ' -f1; }

# kill_at_wal PID DB BYTES: kill -9 process PID once DB's write-ahead log
# passes BYTES (or when it ends first); sets WAL to the size last seen.
kill_at_wal() {
	WAL=0
	for _ in $(seq 1 3000); do # at most a minute
		WAL=$(stat -c %s "$2-wal" 2>/dev/null || echo 0)
		[ "$WAL" -gt "$3" ] && break
		kill -0 "$1" 2>/dev/null || break
		sleep 0.02
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

finish() {
	echo "$(basename "$0" .sh): $((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# pty_scenario NAME: build the demo store, then run scenario NAME of the REPL
# pty harness (tests/pty/repl_pty.py), which needs Debian's /usr/bin/python3.
pty_scenario() {
	local py=/usr/bin/python3
	[ -x "$py" ] || { echo "SKIP: $py is needed for the pty harness"; exit 77; }
	export T
	run --db "$HEED_DB" demo
	expect_eq "demo store built" "$RC" 0
	CHECKS=$((CHECKS + 1))
	"$py" "$SRC/tests/pty/repl_pty.py" "$1" || fail "pty scenario $1"
}
