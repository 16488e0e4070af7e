#!/usr/bin/env bash
# concurrency: two `heed advance --all` processes racing over the same 300
# qualifying leads give each contact exactly one move per step: no duplicated
# history row, as many history rows as printed moves, every lead at least a
# prospect, and both processes exit 0. Three races, each on a fresh store.
. "$(dirname "$0")/lib.sh"

# Plugins: the shipped criteria and score, plus a test-only import map.
export HEED_PLUGINS="$T/plugins"
mkdir -p "$HEED_PLUGINS"
cp "$SRC/plugins/qualify.lua" "$SRC/plugins/score.lua" "$HEED_PLUGINS/" || exit 1
cat >"$HEED_PLUGINS/racemap.lua" <<'EOF'
-- racemap: test-only map. Every row is a lead that passes qualify.lua's
-- prospect checks (ICP org, a need, a CFO, engagement on two days, one two-way);
-- rows with want=opportunity also carry a demo request and a full deal.
return {
  name = "racemap", version = "0.0.1", api = 1,
  map = {
    source = "race",
    fields = {
      external_id = "id", email = "email", title = "title",
      ["org.name"] = "company", ["org.industry"] = "industry",
      ["org.employees"] = "employees", ["org.country"] = "country",
      ["attrs.need"] = "need",
      ["deal.value"] = "value", ["deal.close_date"] = "close",
      ["deal.decision_makers"] = "decides",
    },
    row = function(row)
      local acts = {
        { kind = "visit", at = row.visit_at },
        { kind = "reply", at = row.reply_at },
      }
      if row.want == "opportunity" then
        acts[#acts + 1] = { kind = "demo_request", at = row.reply_at }
      end
      return { activities = acts }
    end,
  },
}
EOF

N=300
python3 - "$T/race.csv" "$N" <<'EOF'
import csv, sys
n = int(sys.argv[2])
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "email", "title", "company", "industry", "employees", "country", "need",
                "visit_at", "reply_at", "want", "value", "close", "decides"])
    for i in range(1, n + 1):
        opp = i % 10 == 0
        w.writerow(["r%03d" % i, "buyer%03d@race%d.example" % (i, i % 7), "CFO",
                    "Race Org %d" % (i % 7), "software", 200 + i, "DE", "slow quoting",
                    "2026-11-%02d" % (1 + i % 20), "2026-11-25T10:00:00Z",
                    "opportunity" if opp else "prospect",
                    "%d" % (1000 * i) if opp else "", "2027-01-31" if opp else "",
                    "the CFO signs" if opp else ""])
EOF
NOPP=$((N / 10))

for round in 1 2 3; do
	export HEED_DB="$T/race$round.db"
	run import "$T/race.csv" --map racemap
	expect_eq "round $round: import exit status" "$RC" 0
	expect_eq "round $round: $N leads" "$(sql "SELECT count(*) FROM contacts WHERE stage = 'lead'")" $N
	# Each lead qualifies (checked on a sample before the race).
	run advance r007 --dry-run
	expect_match "round $round: r007 would move to prospect" "$OUT" "would move [0-9]+ buyer007@race0\.example: lead → prospect"

	"$HEED" advance --all >"$T/a$round.out" 2>"$T/a$round.err" &
	p1=$!
	"$HEED" advance --all >"$T/b$round.out" 2>"$T/b$round.err" &
	p2=$!
	wait $p1
	rc1=$?
	wait $p2
	rc2=$?
	expect_eq "round $round: first advance exit status" "$rc1" 0
	expect_eq "round $round: second advance exit status" "$rc2" 0
	expect_eq "round $round: stderr of both" "$(cat "$T/a$round.err" "$T/b$round.err")" ""

	moves=$(cat "$T/a$round.out" "$T/b$round.out" | grep -cE '^[0-9]+ [^ ]+: [a-z]+ → [a-z]+ ')
	expect_eq "round $round: duplicated (contact, from, to) history rows" \
		"$(sql 'SELECT contact_id || ":" || from_stage || ">" || to_stage FROM stage_history GROUP BY contact_id, from_stage, to_stage HAVING count(*) > 1')" ""
	expect_eq "round $round: history rows == printed moves" "$(sql 'SELECT count(*) FROM stage_history')" "$moves"
	expect_eq "round $round: history rows" "$moves" $((N + NOPP))
	expect_eq "round $round: every contact has exactly one lead → prospect row" \
		"$(sql "SELECT count(*) FROM (SELECT contact_id FROM stage_history WHERE from_stage = 'lead' AND to_stage = 'prospect' GROUP BY contact_id HAVING count(*) = 1)")" $N
	expect_eq "round $round: history rows by step" \
		"$(sql "SELECT group_concat(x, ' ') FROM (SELECT from_stage || '>' || to_stage || '=' || count(*) AS x FROM stage_history GROUP BY from_stage, to_stage ORDER BY 1)")" \
		"lead>prospect=$N prospect>opportunity=$NOPP"
	expect_eq "round $round: stages" \
		"$(sql "SELECT group_concat(x, ' ') FROM (SELECT stage || '=' || count(*) AS x FROM contacts GROUP BY stage ORDER BY 1)")" \
		"opportunity=$NOPP prospect=$((N - NOPP))"
	expect_eq "round $round: opportunities are the ones that qualify for it" \
		"$(sql "SELECT count(*) FROM contacts WHERE stage = 'opportunity' AND CAST(substr(external_id, 2) AS INTEGER) % 10 = 0")" $NOPP
	expect_eq "round $round: each move's stint starts where the last ended" \
		"$(sql "SELECT count(*) FROM stage_history h JOIN stage_history g ON g.contact_id = h.contact_id AND g.from_stage = h.to_stage WHERE g.from_since <> h.at")" 0
	a=$(grep -cE ' → ' "$T/a$round.out")
	b=$(grep -cE ' → ' "$T/b$round.out")
	echo "round $round: the two processes moved $a and $b"
done

finish
