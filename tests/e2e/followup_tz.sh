#!/usr/bin/env bash
# followup_tz: due times in IANA zones across DST. A reminder 15 minutes before
# a 10:00 meeting in Europe/Warsaw is due at 08:45Z in January and 07:45Z in
# July; the zone comes from the follow-up, else the contact (attrs.tz), else
# the owner (setting timezone.OWNER), else the configured default.
. "$(dirname "$0")/lib.sh"

export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cat >"$HEED_PLUGINS/meeting.lua" <<'LUA'
-- meeting: test-only: a reminder 15 minutes before the meeting in attrs.meeting
-- (wall-clock time), in attrs.meeting_tz when given.
return {
  name = "meeting", version = "0.0.1", api = 1,
  policies = {
    { name = "reminder", stage = "lead", run = function(c, ctx)
        if not c.attrs.meeting then return nil end
        return { { action = "task", key = "reminder", due = c.attrs.meeting .. " -15m",
                   tz = c.attrs.meeting_tz, title = "Meeting in 15 minutes" } }
      end },
  },
}
LUA
"$HEED" init >/dev/null || exit 1
add() { "$HEED" add "$@" >/dev/null || fail "add $*"; }
add email=jan@tz.example attrs.meeting="2027-01-14 10:00" attrs.meeting_tz=Europe/Warsaw
add email=jul@tz.example attrs.meeting="2027-07-14 10:00" attrs.meeting_tz=Europe/Warsaw
add email=own@tz.example attrs.meeting="2027-07-14 10:00" attrs.tz=Europe/Warsaw
add email=ny@tz.example attrs.meeting="2027-07-14 10:00" owner=nina
add email=def@tz.example attrs.meeting="2027-01-14 10:00"
run config timezone.nina America/New_York
expect_eq "owner zone set" "$RC" 0
run config timezone Europe/Lisbon
expect_eq "default zone set" "$RC" 0
run evaluate
expect_eq "evaluate" "$RC" 0
due_of() { sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', due_at, 'unixepoch') || ' ' || tz FROM followups f JOIN contacts c ON c.id = f.contact_id WHERE c.email = '$1'"; }
expect_eq "Warsaw, January" "$(due_of jan@tz.example)" "2027-01-14T08:45:00Z Europe/Warsaw"
expect_eq "Warsaw, July" "$(due_of jul@tz.example)" "2027-07-14T07:45:00Z Europe/Warsaw"
expect_eq "the contact's zone" "$(due_of own@tz.example)" "2027-07-14T07:45:00Z Europe/Warsaw"
expect_eq "the owner's zone" "$(due_of ny@tz.example)" "2027-07-14T13:45:00Z America/New_York"
expect_eq "the configured zone" "$(due_of def@tz.example)" "2027-01-14T09:45:00Z Europe/Lisbon"
run due --until 2027-01-14T08:45:00Z
expect_match "due in time" "$OUT" "2027-01-14T08:45:00Z"
expect_nomatch "not the July one" "$OUT" "2027-07"
# a zone the system does not know is refused with the policy's name
"$HEED" add email=bad@tz.example attrs.meeting="2027-01-14 10:00" attrs.meeting_tz=Europe/Atlantis >/dev/null
run evaluate
expect_eq "bad zone exit" "$RC" 1
expect_match "bad zone named" "$ERR" "Europe/Atlantis"
expect_match "policy named" "$ERR" "reminder"
# a contact's own zone that is no zone warns, naming the contact and the value,
# and falls back to the owner's zone; a folder such as Europe is no zone either
"$HEED" add email=mars@tz.example attrs.meeting="2027-07-14 10:00" attrs.tz=Mars/Base owner=nina >/dev/null
"$HEED" add email=dir@tz.example attrs.meeting="2027-07-14 10:00" attrs.tz=Europe >/dev/null
run evaluate
expect_match "bad contact zone warned" "$ERR" "mars@tz.example.*Mars/Base"
expect_match "folder zone warned" "$ERR" "dir@tz.example.*'Europe'"
expect_eq "falls back to the owner" "$(due_of mars@tz.example)" "2027-07-14T13:45:00Z America/New_York"
expect_eq "folder falls back to the default" "$(due_of dir@tz.example)" "2027-07-14T08:45:00Z Europe/Lisbon"
run config timezone Europe
expect_eq "folder refused as a zone" "$RC" 1
finish
