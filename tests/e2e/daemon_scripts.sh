#!/usr/bin/env bash
# daemon_scripts: `heed daemon` outside the project folder still runs the
# shipped scripts on their schedules (found like the plugins: $HEED_SCRIPTS,
# ./scripts, else the shipped ones) and says where they come from; a
# --scripts folder that does not exist is a warning, not silence.
. "$(dirname "$0")/lib.sh"
unset HEED_SCRIPTS
"$HEED" init >/dev/null || exit 1
"$HEED" add email=ann@x.com first_name=Ann >/dev/null || exit 1

# daemon_for SECONDS ARGS…: run the daemon a while, then stop it (OUT, ERR files)
daemon_for() {
	local s=$1
	shift
	"$HEED" daemon --interval 1 "$@" >"$T/d.out" 2>"$T/d.err" &
	local pid=$!
	for i in $(seq 1 $((s * 10))); do
		grep -q "^script " "$T/d.out" && break
		sleep 0.1
	done
	kill -TERM $pid
	wait $pid
}

[ ! -e "$T/scripts" ] || exit 1
daemon_for 10
expect_match "no ./scripts: the shipped scripts" "$(cat "$T/d.err")" "scripts from $SRC/scripts"
expect_match "a shipped script ran" "$(cat "$T/d.out")" "^script $SRC/scripts/daily_digest.lua: "

daemon_for 2 --scripts "$T/nope"
expect_match "missing --scripts: warned" "$(cat "$T/d.err")" "^heed: daemon: --scripts $T/nope is not a folder"
expect_nomatch "missing --scripts: nothing run" "$(cat "$T/d.out")" "^script "

mkdir -p "$T/mine"
cp "$SRC/scripts/stale_sweep.lua" "$T/mine/"
daemon_for 10 --scripts "$T/mine"
expect_match "--scripts DIR: said" "$(cat "$T/d.err")" "scripts from $T/mine"
expect_nomatch "--scripts DIR: no warning" "$(cat "$T/d.err")" "not a folder"
finish
