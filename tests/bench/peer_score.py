#!/usr/bin/env python3
"""peer_score.py: the Python score peer of the heed benchmark.

Reads every contact of a heed store with its organisation's industry and head
count and its attrs (JSON), computes the bench rule (see plugins/bench.lua) in
Python, and writes the scores back with executemany in one transaction.

usage: peer_score.py DB
"""

import json
import sqlite3
import sys

INDUSTRY = {"software": 20, "finance": 15, "health": 10}
SENIOR = {"CEO", "CTO", "VP Sales", "Director"}
WARM = {"trial", "referral"}

SELECT = """SELECT c.id, c.title, o.industry, o.employees, c.attrs
            FROM contacts c LEFT JOIN organisations o ON o.id = c.org_id"""
UPDATE = "UPDATE contacts SET score = ? WHERE id = ?"


def number(v):
    """An attrs value (string or number from JSON) as a float; None if not numeric."""
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def rule(title, industry, employees, attrs):
    """The bench score of one contact; attrs is the decoded attrs object."""
    total = 0.0
    total += INDUSTRY.get(industry, 0)
    if employees is not None:
        if employees >= 250:
            total += 15
        elif employees >= 50:
            total += 8
    if title in SENIOR:
        total += 20
    visits = number(attrs.get("visits"))
    if visits is not None:
        total += min(visits, 20) * 1.5
    seconds = number(attrs.get("time_on_site"))
    if seconds is not None:
        total += min(seconds / 60, 30)
    if attrs.get("lead_source") in WARM:
        total += 10
    return total


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peer_score.py DB")
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    loads = json.loads
    updates = []
    for cid, title, industry, employees, attrs in con.execute(SELECT):
        updates.append((rule(title, industry, employees, loads(attrs) if attrs else {}), cid))
    con.execute("BEGIN")
    con.executemany(UPDATE, updates)
    con.execute("COMMIT")
    con.close()


if __name__ == "__main__":
    main()
