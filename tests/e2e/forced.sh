#!/usr/bin/env bash
# forced: moving a lead straight to opportunity is refused (exit 1, the message
# names the skipped prospect stage, the store is unchanged); --force without
# --reason is a usage error (exit 2); --force --reason is allowed and audited as
# forced with its reason. A probability a user set survives later stage moves;
# a deal without one takes the stage's default.
. "$(dirname "$0")/lib.sh"

C=carla@forced.example
"$HEED" add email=$C first_name=Carla company="Forced Ltd" >/dev/null || fail "add $C"
CID=$(sql "SELECT id FROM contacts WHERE email = '$C'")

# ---- refused: lead → opportunity skips prospect ----
before=$(store_digest)
run move $C opportunity
expect_eq "move lead → opportunity: exit status" "$RC" 1
expect_match "move lead → opportunity: stderr starts with heed:" "$ERR" "^heed: "
expect_match "move lead → opportunity: names the missing prospect stage" "$ERR" "skips prospect; move to prospect first"
expect_eq "move lead → opportunity: nothing on stdout" "$OUT" ""
expect_eq "move lead → opportunity: store unchanged" "$(store_digest)" "$before"

# ---- --force without --reason: usage error ----
run move $C opportunity --force
expect_eq "move --force without --reason: exit status" "$RC" 2
expect_match "move --force without --reason: asks for a reason" "$ERR" "^heed: .*--reason"
expect_eq "move --force without --reason: store unchanged" "$(store_digest)" "$before"
run move $C opportunity --force --reason ""
expect_eq "move --force --reason '': exit status" "$RC" 2
expect_eq "move --force --reason '': store unchanged" "$(store_digest)" "$before"

# ---- --force --reason: allowed and audited ----
run move $C opportunity --force --reason "signed LOI"
expect_eq "forced move: exit status" "$RC" 0
expect_match "forced move: says so" "$OUT" "lead → opportunity \(forced: signed LOI\)"
expect_eq "forced move: stage" "$(sql "SELECT stage FROM contacts WHERE id = $CID")" opportunity
run show $C --format json
expect_eq "show: one history row" "$(printf '%s' "$OUT" | json 'len(d["history"])')" 1
expect_eq "show: the row is lead → opportunity, forced, with the reason" \
	"$(printf '%s' "$OUT" | json '(d["history"][0]["from"], d["history"][0]["to"], d["history"][0]["forced"], d["history"][0]["reason"])')" \
	"('lead', 'opportunity', True, 'signed LOI')"
expect_eq "sqlite: the history row" \
	"$(sql "SELECT from_stage || '|' || to_stage || '|' || forced || '|' || reason FROM stage_history WHERE contact_id = $CID")" \
	"lead|opportunity|1|signed LOI"
expect_match "sqlite: the actor is a user" "$(sql "SELECT actor FROM stage_history WHERE contact_id = $CID")" "^user:"

# ---- probabilities ----
prob() { sql "SELECT printf('%.4f', probability) || ' ' || probability_user FROM deals WHERE contact_id = (SELECT id FROM contacts WHERE email = '$1')"; }

# C (an opportunity): a user sets 0.8; moving to won keeps it.
run add email=$C probability=0.8
expect_eq "add probability: exit status" "$RC" 0
expect_eq "C: user probability stored" "$(prob $C)" "0.8000 1"
run move $C won
expect_eq "move C won: exit status" "$RC" 0
expect_eq "C: won keeps the user's 0.8" "$(prob $C)" "0.8000 1"
run show $C --format json
expect_eq "show C: deal probability 0.8, set by a user" \
	"$(printf '%s' "$OUT" | json '(d["deal"]["probability"], d["deal"]["probability_user"])')" "(0.8, True)"

# U: a lead whose user probability is set early keeps it through every move.
U=uma@forced.example
"$HEED" add email=$U value=2000 probability=80% >/dev/null || fail "add $U"
expect_eq "U: 80% stored as 0.8" "$(prob $U)" "0.8000 1"
for st in prospect opportunity won; do
	run move $U $st
	expect_eq "move U $st: exit status" "$RC" 0
	expect_eq "U after $st: probability still the user's" "$(prob $U)" "0.8000 1"
done

# D: a deal with no probability takes each stage's default.
D=dan@forced.example
"$HEED" add email=$D value=5000 currency=EUR >/dev/null || fail "add $D"
expect_eq "D: no probability yet" "$(sql "SELECT coalesce(probability, 'none') FROM deals WHERE contact_id = (SELECT id FROM contacts WHERE email = '$D')")" none
"$HEED" move $D prospect >/dev/null || fail "move D prospect"
"$HEED" move $D opportunity >/dev/null || fail "move D opportunity"
expect_eq "D in opportunity: the stage default" "$(prob $D)" "0.3000 0"
"$HEED" move $D won >/dev/null || fail "move D won"
expect_eq "D won: the stage default" "$(prob $D)" "1.0000 0"

# L: lost sets 0 when nobody chose a probability.
L=lea@forced.example
"$HEED" add email=$L value=100 >/dev/null || fail "add $L"
"$HEED" move $L prospect >/dev/null && "$HEED" move $L opportunity >/dev/null && "$HEED" move $L lost >/dev/null ||
	fail "moves of L"
expect_eq "L lost: the stage default" "$(prob $L)" "0.0000 0"

# F: --force on a legal move says it was not needed; the history agrees.
F=fay@forced.example
"$HEED" add email=$F >/dev/null || fail "add $F"
run move $F prospect --force --reason "met at the fair"
expect_eq "legal move with --force: exit status" "$RC" 0
expect_match "legal move with --force: says it is not marked forced" "$OUT" \
	"lead → prospect \(a legal move: not marked forced; reason kept: met at the fair\)"
expect_eq "legal move with --force: history row not forced, reason kept" \
	"$(sql "SELECT forced || '|' || reason FROM stage_history h JOIN contacts c ON c.id = h.contact_id WHERE c.email = '$F'")" \
	"0|met at the fair"

finish
