#!/usr/bin/env bash
# config_check: heed config refuses values that would only fail later (an
# unknown time zone, an unsubscribe target that is not mailto:/https:, an
# smtp_url that is not smtp:// or smtps://), lists the timezone keys beside
# mail.*, and --unset removes the setting instead of leaving an empty one.
. "$(dirname "$0")/lib.sh"
run init

run config timezone Mars/Base
expect_eq "unknown zone refused" "$RC" 1
expect_match "unknown zone named" "$ERR" "^heed: config: timezone 'Mars/Base' is not an IANA time zone"
expect_eq "unknown zone not stored" "$(sql "SELECT count(*) FROM settings WHERE key = 'timezone'")" 0
run config timezone.ann Nowhere/Town
expect_eq "unknown owner zone refused" "$RC" 1
expect_match "owner zone named" "$ERR" "timezone.ann 'Nowhere/Town' is not an IANA time zone"
run config timezone Europe/Warsaw
expect_eq "a real zone" "$RC" 0
run config timezone.ann America/New_York
expect_eq "a real owner zone" "$RC" 0
run config timezone UTC
expect_eq "UTC" "$RC" 0

run config mail.unsubscribe 'javascript:alert(1)'
expect_eq "javascript: refused" "$RC" 1
expect_match "javascript: named" "$ERR" "setting mail.unsubscribe: 'javascript:alert\(1\)' must be one mailto: or https: URL"
run config mail.unsubscribe 'http://plain.example/u'
expect_eq "http: refused" "$RC" 1
run config mail.unsubscribe 'https://crm.example/unsub?c={id}'
expect_eq "https: accepted" "$RC" 0
run config mail.unsubscribe 'mailto:stop@crm.example?subject={id}'
expect_eq "mailto: accepted" "$RC" 0
expect_eq "the good one stored" "$(sql "SELECT value FROM settings WHERE key = 'mail.unsubscribe'")" \
	'mailto:stop@crm.example?subject={id}'

run config mail.smtp_url http://x
expect_eq "http smtp_url refused" "$RC" 1
expect_match "smtp_url named" "$ERR" "setting mail.smtp_url: 'http://x' must be smtp://host\[:port\] or smtps://host\[:port\]"
run config mail.smtp_url smtps://mail.example:465
expect_eq "smtps accepted" "$RC" 0
for bad in smtp://h:99999 smtp://h:0 smtp://h:25x smtp://h: "smtp://[::1]:70000"; do
	run config mail.smtp_url "$bad"
	expect_eq "port of $bad refused" "$RC" 1
	expect_match "port of $bad named" "$ERR" "^heed: setting mail.smtp_url: '.*': the port must be a number from 1 to 65535"
done
run config mail.smtp_url smtp://:25
expect_eq "no host refused" "$RC" 1
expect_eq "the good one kept" "$(sql "SELECT value FROM settings WHERE key = 'mail.smtp_url'")" smtps://mail.example:465
for good in smtp://h:1 smtp://h:65535 smtp://h "smtp://[::1]:587" smtp://mail.example:587/example.org; do
	run config mail.smtp_url "$good"
	expect_eq "$good accepted" "$RC" 0
done

run config mail.daily_cap 10
run config mail.daily_cap --unset
expect_eq "unset" "$RC" 0
expect_eq "unset removes the row" "$(sql "SELECT count(*) FROM settings WHERE key = 'mail.daily_cap'")" 0
run config timezone.ann --unset
expect_eq "unset owner zone removes the row" "$(sql "SELECT count(*) FROM settings WHERE key = 'timezone.ann'")" 0

run config
expect_match "listing: timezone" "$(printf '%s\n' "$OUT" | grep '^timezone ')" "^timezone +UTC"
expect_match "listing: timezone.OWNER" "$OUT" "timezone\.OWNER"
run help config
expect_match "help names the timezone keys" "$OUT" "timezone and timezone\.OWNER"
run config nonsense
expect_match "unknown key lists the timezone keys" "$ERR" "known: timezone, timezone.OWNER, mail.transport"
finish
