#!/usr/bin/env python3
"""repl.py: the REPL benchmark (run through tests/bench/repl.sh; not a CTest test).

1. The index behind `.find`: imports the contacts CSV into a fresh store with each
   candidate index on contacts (none; the partial (stage, score) index heed ships,
   which score --all rebuilds once at its end; the same index kept up row by row;
   a full (stage, score) index kept up) and times the import and `score --all`,
   so the cost of the index shows next to the issue 2 targets.
2. `.find FILTERS` on the scored store: one REPL session runs each query RUNS times
   with `.timer on` (the time the REPL reports is the command's own: dispatch,
   query, printing) and the medians are set against the 50 ms target and against
   the sqlite3 shell running the same SQL on the same store without the index.

The generated contacts are all leads; 10% are made prospects and 2% opportunities
with a direct UPDATE (benchmark fixture only), so the stage filter has work to do.
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

VARIANTS = {
    "none": "DROP INDEX IF EXISTS contacts_stage_score",
    # what migration 2 creates; score --all drops it and builds it again at the end
    "partial, shipped": None,
    # the same index under another name: score --all updates it row by row
    "partial, kept up": "DROP INDEX IF EXISTS contacts_stage_score;"
                        " CREATE INDEX rank_kept ON contacts(stage, score) WHERE score IS NOT NULL",
    "full, kept up": "DROP INDEX IF EXISTS contacts_stage_score;"
                     " CREATE INDEX rank_full ON contacts(stage, score)",
}
QUERIES = ["stage=prospect min-score=50", "stage=lead min-score=50",
           "stage=opportunity min-score=80", "min-score=50", "stage=prospect"]
TARGET_MS = 50.0


def timed(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("repl.py: %s failed: %s" % (" ".join(cmd), p.stderr[-500:]))
    return time.monotonic() - t0


def fresh_store(a, path, variant):
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(path + ext):
            os.remove(path + ext)
    subprocess.run([a.heed, "--db", path, "init"], check=True, stdout=subprocess.DEVNULL)
    if VARIANTS[variant]:
        con = sqlite3.connect(path)
        con.executescript(VARIANTS[variant])
        con.close()


def phase_index(a):
    print("index cost: %d import run(s) and %d score --all run(s) (scores reset first) per"
          " variant, then one rerun that changes nothing; medians, ratios against no index; %s"
          % (a.runs, a.score_runs, a.csv), flush=True)
    base = {}
    for variant in VARIANTS:
        db = os.path.join(a.dir, "idx.db")
        imp, sco = [], []
        for _ in range(a.runs):
            fresh_store(a, db, variant)
            imp.append(timed([a.heed, "--db", db, "--plugins", a.plugins, "import", a.csv,
                              "--map", "bench"]))
        for _ in range(a.score_runs):
            # every run scores every contact, as after an import (run.py does the same)
            con = sqlite3.connect(db)
            con.execute("UPDATE contacts SET score = NULL, score_parts = NULL")
            con.commit()
            con.close()
            sco.append(timed([a.heed, "--db", db, "--plugins", a.plugins, "score", "--all"]))
        # and once more with nothing to change: a nightly rerun
        same = timed([a.heed, "--db", db, "--plugins", a.plugins, "score", "--all"])
        m = (statistics.median(imp), statistics.median(sco), same)
        base.setdefault("none", m)
        print("  %-18s import %6.2f s (%.2fx)   score --all %6.2f s (%.2fx)   rerun %5.2f s (%.2fx)"
              % (variant, m[0], m[0] / base["none"][0], m[1], m[1] / base["none"][1],
                 m[2], m[2] / base["none"][2]), flush=True)


def make_query_store(a):
    db = os.path.join(a.dir, "query.db")
    if os.path.exists(db) and os.path.exists(db + ".ok"):
        return db
    fresh_store(a, db, "partial, shipped")
    subprocess.run([a.heed, "--db", db, "--plugins", a.plugins, "import", a.csv, "--map", "bench"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([a.heed, "--db", db, "--plugins", a.plugins, "score", "--all"], check=True,
                   stdout=subprocess.DEVNULL)
    con = sqlite3.connect(db)
    con.executescript("UPDATE contacts SET stage = 'prospect' WHERE id % 10 = 3;"
                      " UPDATE contacts SET stage = 'opportunity' WHERE id % 50 = 7;"
                      " PRAGMA wal_checkpoint(TRUNCATE);")
    con.close()
    open(db + ".ok", "w").close()
    return db


def sql_of(q):
    f = dict(kv.split("=", 1) for kv in q.split())
    where = ["1"]
    if "stage" in f:
        where.append("stage = '%s'" % f["stage"])
    if "min-score" in f:
        where.append("score >= %s" % f["min-score"])
    return ("SELECT id, email, score FROM contacts WHERE %s ORDER BY score DESC, id LIMIT 20"
            % " AND ".join(where))


def phase_find(a):
    db = make_query_store(a)
    text = ".timer on\n" + "".join(".find %s\n" % q for q in QUERIES for _ in range(a.qruns))
    p = subprocess.run([a.heed, "--db", db, "--plugins", a.plugins, "repl"], input=text,
                       capture_output=True, text=True, check=True)
    times = [float(x) for x in re.findall(r"^time: ([\d.]+) ms$", p.stdout, re.M)]
    times = times[1:]  # the first is .timer on itself
    if len(times) != len(QUERIES) * a.qruns:
        sys.exit("repl.py: expected %d timings, got %d" % (len(QUERIES) * a.qruns, len(times)))
    # the peer: the sqlite3 shell, same SQL, on a copy of the store without the index
    peer_db = os.path.join(a.dir, "query-noindex.db")
    if not os.path.exists(peer_db):
        shutil.copyfile(db, peer_db)
        con = sqlite3.connect(peer_db)
        con.execute("DROP INDEX contacts_stage_score")
        con.close()
    print("\n.find on %s (%d runs each, median; target < %.0f ms)" % (db, a.qruns, TARGET_MS))
    print("  %-34s %10s %8s %16s %8s" % ("query", "heed REPL", "/target", "sqlite3, no index", "/sqlite3"))
    for i, q in enumerate(QUERIES):
        med = statistics.median(times[i * a.qruns:(i + 1) * a.qruns])
        shell = ".timer on\n" + (sql_of(q) + ";\n") * a.qruns
        s = subprocess.run(["sqlite3", peer_db], input=shell, capture_output=True, text=True)
        real = [float(x) * 1000 for x in re.findall(r"Run Time: real ([\d.]+)", s.stdout)]
        peer = statistics.median(real) if real else float("nan")
        print("  %-34s %8.2f ms %7.3fx %13.1f ms %7.3fx"
              % (".find " + q, med, med / TARGET_MS, peer, med / peer), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heed", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--runs", type=int, default=3, help="import runs per index variant")
    ap.add_argument("--score-runs", type=int, default=1)
    ap.add_argument("--qruns", type=int, default=11, help="runs of each .find")
    ap.add_argument("--only", choices=["index", "find"])
    a = ap.parse_args()
    if a.only != "find":
        phase_index(a)
    if a.only != "index":
        phase_find(a)


if __name__ == "__main__":
    main()
