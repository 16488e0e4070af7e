#!/usr/bin/env python3
"""run.py: times heed against its peers and prints medians and target ratios.

Called by run.sh, which builds heed and generates the CSV. Three phases:

  import    heed import (fresh db each run) / sqlite3 shell .import / peer_import.py
  score     heed score --all / one SQL UPDATE in the sqlite3 shell / peer_score.py,
            all on heed's own store, scores reset before every timed run
  pipeline  heed pipeline on the scored store

Contenders run round-robin (one run of each per round) so that noise from a
shared machine spreads over all of them. Every score run is checked against a
reference computed by the SQL peer; a mismatch or a crash makes the exit
status 1. Missed targets are reported but do not change the exit status.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peer_import import DDL  # noqa: E402  (the peers' shared table)

TOLERANCE = 1e-9

# The bench rule as one UPDATE on heed's store (see plugins/bench.lua).
# attrs values imported from CSV are JSON strings: CAST them before MIN, or
# SQLite compares text with numbers and text always wins.
SCORE_SQL = """\
UPDATE contacts SET score =
  COALESCE((SELECT CASE o.industry WHEN 'software' THEN 20 WHEN 'finance' THEN 15
                                   WHEN 'health' THEN 10 ELSE 0 END
                 + CASE WHEN o.employees >= 250 THEN 15 WHEN o.employees >= 50 THEN 8 ELSE 0 END
            FROM organisations o WHERE o.id = contacts.org_id), 0)
  + CASE WHEN title IN ('CEO', 'CTO', 'VP Sales', 'Director') THEN 20 ELSE 0 END
  + COALESCE(MIN(CAST(json_extract(attrs, '$.visits') AS REAL), 20) * 1.5, 0)
  + COALESCE(MIN(CAST(json_extract(attrs, '$.time_on_site') AS REAL) / 60.0, 30), 0)
  + CASE WHEN json_extract(attrs, '$.lead_source') IN ('trial', 'referral') THEN 10 ELSE 0 END;
"""

# Columns the score peers rely on; checked before the score phase.
NEEDED = {
    "contacts": {"id", "title", "org_id", "attrs", "score", "score_parts"},
    "organisations": {"id", "industry", "employees"},
}

# (phase, heed contender, peer contender, target ratio heed/peer)
RATIO_TARGETS = [
    ("import", "heed", "sqlite3 shell", 1.0),
    ("import", "heed", "python", 0.6),
    ("score", "heed", "SQL UPDATE", 2.0),
    ("score", "heed", "python", 0.35),
]
RSS_TARGET_MB = 64
PIPELINE_TARGET_S = 0.5


def part_points(part):
    """The points of one stored score part: [plugin, name, points, reason], or
    the older {"plugin", "name", "points", "reason"} object."""
    return part[2] if isinstance(part, list) else part["points"]


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.join(args.dir, f"run-{args.n}")
        self.times = {}      # (phase, contender) -> [seconds]
        self.rss_kb = []     # peak RSS of each heed import
        self.failures = []   # human-readable crash / mismatch lines
        self.broken = set()  # (phase, contender) that crashed: not run again
        os.makedirs(self.work, exist_ok=True)

    # -- running things ---------------------------------------------------

    def heed(self, *argv):
        return [self.args.heed, "--db", self.store, "--plugins", self.args.plugins, *argv]

    def timed(self, phase, name, cmd, stdin_text=None, db=None):
        """Run cmd once and record its wall time under (phase, name).
        Returns True on success; a failure is recorded and the pair retired."""
        key = (phase, name)
        if key in self.broken:
            return False
        tag = f"{phase}-{name}".replace(" ", "_")
        out_path = os.path.join(self.work, tag + ".out")
        err_path = os.path.join(self.work, tag + ".err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            try:
                proc = subprocess.run(cmd, input=stdin_text.encode() if stdin_text else None,
                                      stdin=None if stdin_text else subprocess.DEVNULL,
                                      stdout=out, stderr=err, timeout=self.args.timeout)
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            elapsed = time.perf_counter() - start
        if rc != 0:
            self.fail(key, cmd, rc, err_path, out_path)
            return False
        self.times.setdefault(key, []).append(elapsed)
        if self.args.verbose:
            print(f"  {phase:8} {name:14} {elapsed:9.3f} s", flush=True)
        return True

    def fail(self, key, cmd, rc, err_path, out_path):
        if isinstance(rc, int) and rc < 0:
            try:
                rc = f"killed by {signal.Signals(-rc).name}"
            except ValueError:
                rc = f"killed by signal {-rc}"
        elif isinstance(rc, int):
            rc = f"exit status {rc}"
        tail = ""
        for path in (err_path, out_path):
            if path and os.path.exists(path) and os.path.getsize(path):
                with open(path, "rb") as f:
                    f.seek(max(0, os.path.getsize(path) - 1500))
                    tail += f.read().decode(errors="replace")
        msg = f"CRASH {key[0]}/{key[1]}: {rc}\n  command: {' '.join(map(str, cmd))}"
        if tail:
            msg += "\n  output (tail):\n    " + tail.strip().replace("\n", "\n    ")
        print(msg, flush=True)
        self.failures.append(f"{key[0]}/{key[1]}: {rc}")
        self.broken.add(key)

    def mismatch(self, what):
        print(f"MISMATCH {what}", flush=True)
        self.failures.append(f"MISMATCH {what}")

    # -- database helpers ---------------------------------------------------

    @staticmethod
    def remove_db(path):
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)

    @staticmethod
    def connect(path):
        return sqlite3.connect(path, isolation_level=None, timeout=60)

    def count(self, db, table):
        con = self.connect(db)
        try:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            con.close()

    def checkpoint(self, db):
        con = self.connect(db)
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()

    def reset_scores(self):
        """Clear every score so no contender benefits from unchanged rows."""
        con = self.connect(self.store)
        try:
            con.execute("UPDATE contacts SET score = NULL, score_parts = NULL")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()

    # -- phases ---------------------------------------------------------------

    def phase_import(self):
        a = self.args
        dbs = {name: os.path.join(self.work, f"import-{name.split()[0]}.db")
               for name in ("heed", "sqlite3 shell", "python")}
        rss_path = os.path.join(self.work, "import-heed.rss")
        shell_script = ("PRAGMA journal_mode=WAL;\n" + DDL
                        + f".import --csv --skip 1 '{a.csv}' contacts\n")
        contenders = [
            ("heed", lambda db: ["/usr/bin/time", "-f", "%M", "-o", rss_path, a.heed,
                                 "--db", db, "--plugins", a.plugins,
                                 "import", a.csv, "--map", "bench"], None),
            ("sqlite3 shell", lambda db: [a.sqlite3, db], shell_script),
            ("python", lambda db: [sys.executable, os.path.join(HERE, "peer_import.py"),
                                   a.csv, db], None),
        ]
        print(f"import: {a.runs} runs of each contender", flush=True)
        for r in range(a.runs):
            order = contenders[r % 3:] + contenders[:r % 3]
            for name, make_cmd, stdin_text in order:
                db = dbs[name]
                self.remove_db(db)
                if not self.timed("import", name, make_cmd(db), stdin_text):
                    continue
                if name == "heed":
                    with open(rss_path) as f:
                        self.rss_kb.append(int(f.read().split()[-1]))
                rows = self.count(db, "contacts")
                if rows != a.n:
                    self.mismatch(f"import/{name}: {rows} contacts in {db}, expected {a.n}")
                    self.broken.add(("import", name))
        for name, db in dbs.items():
            if name != "heed":
                self.remove_db(db)
        if ("import", "heed") in self.broken or not os.path.exists(dbs["heed"]):
            return False
        self.checkpoint(dbs["heed"])
        self.store = os.path.join(self.work, "store.db")
        self.remove_db(self.store)
        os.replace(dbs["heed"], self.store)
        self.remove_db(dbs["heed"])
        return True

    def check_schema(self):
        con = self.connect(self.store)
        try:
            for table, cols in NEEDED.items():
                have = {row[1] for row in con.execute(f"PRAGMA table_info({table})")}
                if not cols <= have:
                    self.mismatch(f"schema: {table} lacks {sorted(cols - have)} "
                                  f"(has {sorted(have)}); adapt run.py/peer_score.py")
                    return False
        finally:
            con.close()
        return True

    def snapshot_reference(self):
        """Score with the SQL peer (untimed, also warms the cache) and keep the
        result as the reference every timed run is compared with."""
        self.reset_scores()
        proc = subprocess.run([self.args.sqlite3, self.store], input=SCORE_SQL.encode(),
                              capture_output=True)
        if proc.returncode != 0:
            print(proc.stderr.decode(errors="replace"))
            self.mismatch("score: the reference SQL UPDATE failed")
            return False
        self.ref = os.path.join(self.work, "reference.db")
        self.remove_db(self.ref)
        con = self.connect(self.store)
        try:
            con.execute("ATTACH ? AS ref", (self.ref,))
            con.execute("CREATE TABLE ref.expect(id INTEGER PRIMARY KEY, score REAL)")
            con.execute("INSERT INTO ref.expect SELECT id, score FROM contacts")
            self.ref_sum = con.execute("SELECT total(score) FROM ref.expect").fetchone()[0]
        finally:
            con.close()
        return True

    def verify_scores(self, name, check_parts):
        """Compare every contact's score with the reference; MISMATCH if any differ."""
        con = self.connect(self.store)
        try:
            con.execute("ATTACH ? AS ref", (self.ref,))
            bad, worst = con.execute(
                """SELECT count(*), max(abs(coalesce(c.score, 1e300) - e.score))
                   FROM contacts c JOIN ref.expect e ON e.id = c.id
                   WHERE c.score IS NULL OR abs(c.score - e.score) > ?""",
                (TOLERANCE,)).fetchone()
            total = con.execute("SELECT total(score) FROM contacts").fetchone()[0]
            if bad:
                examples = con.execute(
                    """SELECT c.id, c.score, e.score, c.score_parts
                       FROM contacts c JOIN ref.expect e ON e.id = c.id
                       WHERE c.score IS NULL OR abs(c.score - e.score) > ? LIMIT 5""",
                    (TOLERANCE,)).fetchall()
                self.mismatch(f"score/{name}: {bad} contacts differ from the SQL rule "
                              f"(sum {total!r} vs {self.ref_sum!r}); e.g. (id, got, expected, parts):"
                              + "".join(f"\n    {ex!r}" for ex in examples))
                return False
            if check_parts:
                ids = [row[0] for row in con.execute("SELECT id FROM contacts")]
                sample = random.Random(7).sample(ids, min(300, len(ids)))
                for cid in sample:
                    score, parts = con.execute(
                        "SELECT score, score_parts FROM contacts WHERE id = ?", (cid,)).fetchone()
                    try:
                        points = sum(part_points(p) for p in json.loads(parts or "[]"))
                    except (ValueError, TypeError, KeyError, IndexError) as e:
                        self.mismatch(f"score/{name}: contact {cid} score_parts unreadable ({e}): {parts!r}")
                        return False
                    if abs(points - score) > TOLERANCE:
                        self.mismatch(f"score/{name}: contact {cid} parts add up to {points!r}, "
                                      f"score is {score!r}: {parts}")
                        return False
        finally:
            con.close()
        return True

    def phase_score(self):
        a = self.args
        if not self.check_schema() or not self.snapshot_reference():
            return False
        contenders = [
            ("heed", self.heed("score", "--all"), None),
            ("SQL UPDATE", [a.sqlite3, self.store], SCORE_SQL),
            ("python", [sys.executable, os.path.join(HERE, "peer_score.py"), self.store], None),
        ]
        print(f"score: {a.runs} runs of each contender "
              f"(reference sum of scores {self.ref_sum:.6f})", flush=True)
        verified = set()
        for r in range(a.runs):
            order = contenders[r % 3:] + contenders[:r % 3]
            for name, cmd, stdin_text in order:
                if ("score", name) in self.broken:
                    continue
                self.reset_scores()
                if self.timed("score", name, cmd, stdin_text):
                    # Every run is checked; score_parts of heed's first run too.
                    if not self.verify_scores(name, name == "heed" and name not in verified):
                        self.broken.add(("score", name))
                    verified.add(name)
        # Leave heed's scores in the store for the pipeline phase.
        if ("score", "heed") not in self.broken:
            self.reset_scores()
            subprocess.run(self.heed("score", "--all"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return True

    def phase_pipeline(self):
        a = self.args
        print(f"pipeline: {a.runs} runs", flush=True)
        self.checkpoint(self.store)
        for _ in range(a.runs):
            self.timed("pipeline", "heed", self.heed("pipeline"))

    # -- report ---------------------------------------------------------------

    def median(self, phase, name):
        t = self.times.get((phase, name))
        return statistics.median(t) if t else None

    def report(self):
        a = self.args
        print()
        print(f"heed benchmark: N={a.n}, {a.runs} runs each, medians (min..max) in seconds")
        print(f"{'phase':9} {'contender':14} {'median':>9} {'min':>9} {'max':>9}  runs")
        for (phase, name), t in self.times.items():
            print(f"{phase:9} {name:14} {statistics.median(t):9.3f} {min(t):9.3f} "
                  f"{max(t):9.3f}  {len(t)}")
        if self.rss_kb:
            print(f"{'import':9} {'heed peak RSS':14} {statistics.median(self.rss_kb) / 1024:8.1f}M"
                  f" {min(self.rss_kb) / 1024:8.1f}M {max(self.rss_kb) / 1024:8.1f}M  {len(self.rss_kb)}")
        print()
        print("targets (heed / peer, medians):")

        def line(label, value, target, unit=""):
            if value is None:
                print(f"  {label:34} {'n/a':>8}   target <= {target}{unit}  NOT MEASURED")
            else:
                verdict = "PASS" if value <= target else "MISS"
                print(f"  {label:34} {value:8.3f}{unit}  target <= {target}{unit}  {verdict}")

        for phase, mine, peer, target in RATIO_TARGETS:
            m, p = self.median(phase, mine), self.median(phase, peer)
            ratio = m / p if m is not None and p else None
            line(f"{phase}: heed / {peer}", ratio, target, "x")
        rss = max(self.rss_kb) / 1024 if self.rss_kb else None
        line("import: heed peak RSS (max, MB)", rss, RSS_TARGET_MB, " MB")
        line("pipeline: heed wall time (s)", self.median("pipeline", "heed"),
             PIPELINE_TARGET_S, " s")
        if self.failures:
            print()
            print("FAILED:")
            for f in self.failures:
                print("  " + f.splitlines()[0])


def main():
    ap = argparse.ArgumentParser(description="Time heed against its peers.")
    ap.add_argument("--heed", required=True, help="the heed binary")
    ap.add_argument("--csv", required=True, help="contacts CSV made by gen.py")
    ap.add_argument("--n", type=int, required=True, help="contacts in the CSV")
    ap.add_argument("--dir", required=True, help="work directory for databases")
    ap.add_argument("--plugins", default=os.path.join(HERE, "plugins"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sqlite3", default=shutil.which("sqlite3") or "sqlite3")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--only", choices=["import", "score", "pipeline"],
                    help="stop after this phase (import is always run)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = ap.parse_args()
    for path in (args.heed, args.csv):
        if not os.path.exists(path):
            sys.exit(f"run.py: {path} not found")
    args.csv, args.heed = os.path.abspath(args.csv), os.path.abspath(args.heed)
    args.plugins = os.path.abspath(args.plugins)

    load = os.getloadavg()[0]
    print(f"heed bench: {args.heed}; sqlite3 {sqlite3.sqlite_version} (python module); "
          f"{os.cpu_count()} cpus, load {load:.2f}", flush=True)
    b = Bench(args)
    if b.phase_import() and args.only != "import":
        b.phase_score()
        if args.only != "score":
            b.phase_pipeline()
    b.report()
    sys.exit(1 if b.failures else 0)


if __name__ == "__main__":
    main()
