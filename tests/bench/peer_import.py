#!/usr/bin/env python3
"""peer_import.py: the Python import peer of the heed benchmark.

Reads the benchmark CSV with the csv module and inserts every row with
sqlite3 executemany into a 12-column table with a UNIQUE email, in one
transaction, in a fresh database (WAL). DDL is shared with the sqlite3 shell
peer in run.py, so both peers build the same table.

usage: peer_import.py CSV DB     (DB must not exist yet)
"""

import csv
import os
import sqlite3
import sys

# The peers' table: the CSV's columns, email unique. Used by run.py too.
DDL = """\
CREATE TABLE contacts(
  email TEXT NOT NULL, first_name TEXT, last_name TEXT, company TEXT, title TEXT,
  industry TEXT, employees INTEGER, country TEXT, source TEXT, visits INTEGER,
  time_on_site INTEGER, created_at TEXT);
CREATE UNIQUE INDEX contacts_email ON contacts(email);
"""

INSERT = "INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: peer_import.py CSV DB")
    path, db = sys.argv[1], sys.argv[2]
    if os.path.exists(db):
        sys.exit(f"peer_import.py: {db} exists; the peer imports into a fresh database")
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(DDL)
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)  # header
        con.execute("BEGIN")
        con.executemany(INSERT, rows)
        con.execute("COMMIT")
    con.close()


if __name__ == "__main__":
    main()
