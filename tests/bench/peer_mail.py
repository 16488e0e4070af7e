#!/usr/bin/env python3
"""peer_mail.py: the peer for tests/bench/mail.sh. Does by hand, in Python,
what `heed mail --stage lead nurture_day0 --key K` then `heed outbox --send`
do with the file transport: for every lead, check do_not_contact and the
latest unsubscribe/bounce/subscribe event, fill the template's placeholders,
build the message (email.message), insert it into an outbox table under its
key in its own transaction; then, for each queued message, record the
hand-over, write the .eml (temporary file, fsync, rename) and record it sent.

usage: peer_mail.py STORE OUTDIR"""
import email.message
import email.policy
import email.utils
import hashlib
import os
import re
import sqlite3
import sys
import time

SUBJECT = "Welcome, {{first_name|there}}"
BODY = ("Hi {{first_name|there}},\n\nthanks for your interest. Here is what teams like"
        " {{org.name|yours}} usually look at first: how leads are qualified and routed."
        "\n\n--\nThe sales team\n(Reply \"stop\" and we will not write again.)\n")
PH = re.compile(r"\{\{\s*([^}|]+?)\s*(?:\|([^}]*))?\}\}")


def fill(text, fields):
    return PH.sub(lambda m: str(fields.get(m.group(1)) or (m.group(2) or "")), text)


def main():
    store, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    db = sqlite3.connect(store, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS peer_outbox(id INTEGER PRIMARY KEY, key TEXT UNIQUE, contact_id INTEGER,"
               " rcpt TEXT, message TEXT, status TEXT, attempts INTEGER DEFAULT 0, created_at INTEGER,"
               " handed_at INTEGER, done_at INTEGER)")
    now = int(time.time())
    leads = db.execute("SELECT c.id, c.email, c.first_name, o.name, c.do_not_contact FROM contacts c"
                       " LEFT JOIN organisations o ON o.id = c.org_id WHERE c.stage = 'lead' ORDER BY c.id").fetchall()
    for cid, addr, first, org, dnc in leads:
        key = "peer:%d" % cid
        if db.execute("SELECT 1 FROM peer_outbox WHERE key = ?", (key,)).fetchone():
            continue
        last = db.execute("SELECT kind FROM activities WHERE contact_id = ? AND kind IN"
                          " ('unsubscribe', 'bounce', 'subscribe') ORDER BY at DESC LIMIT 1", (cid,)).fetchone()
        if dnc or not addr or (last and last[0] != "subscribe"):
            continue
        fields = {"first_name": first, "org.name": org}
        m = email.message.EmailMessage(policy=email.policy.SMTP)
        m["Date"] = email.utils.formatdate(now, usegmt=False)
        m["From"] = "heed@localhost"
        m["To"] = addr
        m["Subject"] = fill(SUBJECT, fields)
        m["Message-ID"] = "<peer.%s@localhost>" % hashlib.sha1(key.encode()).hexdigest()[:16]
        m["List-Unsubscribe"] = "<mailto:heed@localhost?subject=unsubscribe%%20%d>" % cid
        m.set_content(fill(BODY, fields))
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO peer_outbox(key, contact_id, rcpt, message, status, created_at)"
                   " VALUES (?, ?, ?, ?, 'queued', ?)", (key, cid, addr, m.as_string(), now))
        db.execute("COMMIT")
    for mid, text in db.execute("SELECT id, message FROM peer_outbox WHERE status = 'queued' ORDER BY id").fetchall():
        cur = db.execute("UPDATE peer_outbox SET status = 'sending', attempts = attempts + 1, handed_at = ?"
                         " WHERE id = ? AND status = 'queued'", (now, mid))
        if cur.rowcount != 1:
            continue
        tmp, dst = os.path.join(outdir, ".%08d.tmp" % mid), os.path.join(outdir, "%08d.eml" % mid)
        with open(tmp, "wb") as f:
            f.write(text.encode())
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, dst)
        db.execute("UPDATE peer_outbox SET status = 'sent', done_at = ? WHERE id = ?", (now, mid))


if __name__ == "__main__":
    main()
