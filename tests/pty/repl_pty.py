#!/usr/bin/python3
"""Drive heed's REPL through a real pseudo-terminal (stdlib only: pty, os, select).

    repl_pty.py SCENARIO      scenarios: session ctrlc history history_store reload
                              pager nocolor

The environment gives HEED (the binary), HEED_DB (a store filled by `heed demo`),
HEED_PLUGINS and T (a scratch folder). Each scenario checks what it says and exits
non-zero with FAIL lines on stderr when a check fails.
"""
import fcntl
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time

HEED = os.environ["HEED"]
T = os.environ["T"]
DB = os.environ["HEED_DB"]
FAILS = []
PROMPT = re.compile(rb"heed>(?:\x1b\[0m)? ")
MORE = re.compile(rb"  \.\.\.(?:\x1b\[0m)? ")


def check(what, ok, detail=""):
    if not ok:
        FAILS.append(what)
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)
    else:
        print("ok: %s" % what)


class Repl:
    """One heed process on a pty: send keys, wait for patterns."""

    def __init__(self, args=(), env=None, cols=200):
        e = dict(os.environ)
        e.pop("PAGER", None)
        e.update(env or {})
        e.setdefault("TERM", "xterm")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(HEED, [HEED] + list(args), e)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, cols, 0, 0))
        self.out = b""  # everything read so far
        self.mark = 0   # expect() searches from here

    def send(self, text):
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def read_some(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return None  # the child closed the terminal
        if not data:
            return None
        self.out += data
        return True

    def expect(self, pattern, timeout=10.0):
        """Wait for pattern (bytes regex) after the mark; returns the match or None."""
        rx = re.compile(pattern) if isinstance(pattern, bytes) else pattern
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.out, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0 or self.read_some(left) is None:
                m = rx.search(self.out, self.mark)
                if m:
                    self.mark = m.end()
                return m

    def since(self, start):
        return self.out[start:].decode("utf-8", "replace")

    def run(self, line, timeout=10.0):
        """Type line + Enter; return the text printed up to the next prompt."""
        start = len(self.out)
        self.mark = start
        self.send(line + "\r")
        m = self.expect(PROMPT, timeout)
        text = self.out[start:m.start()] if m else self.out[start:]
        text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", text)  # colours, bracketed paste
        return text.decode("utf-8", "replace"), m is not None

    def wait(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.read_some(0.05):
                    pass
                return os.waitstatus_to_exitcode(status)
            self.read_some(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return None


def db_rows(sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def db_rows_pragma(table):
    return db_rows("SELECT * FROM pragma_table_info('%s')" % table)


def store_digest():
    return subprocess.run(["sqlite3", DB, ".dump"], capture_output=True, check=True).stdout


# ---- scenarios ----

def scenario_session():
    r = Repl()
    check("prompt", r.expect(PROMPT) is not None, r.since(0))
    # .find with filters: the rows the store holds, best score first
    want = [e for (e,) in db_rows(
        "SELECT email FROM contacts WHERE stage = 'prospect' AND score >= 50"
        " ORDER BY score DESC, id LIMIT 20")]
    out, ok = r.run(".find stage=prospect min-score=50")
    got = re.findall(r"\S+@\S+", out)
    check(".find returns the expected rows", ok and got == want and len(want) > 0,
          "got %s want %s" % (got, want))
    # .why EMAIL: every criterion of the next stage, as the CLI lists them
    email, stage = db_rows("SELECT email, stage FROM contacts WHERE stage = 'lead' ORDER BY id LIMIT 1")[0]
    cli = subprocess.run([HEED, "why", email, "--format", "json"], capture_output=True, text=True)
    names = re.findall(r'"check":\s*"([^"]+)"', cli.stdout)
    out, ok = r.run(".why " + email)
    check(".why shows the criteria", ok and names and all(n in out for n in names),
          "criteria %s in %r" % (names, out))
    # a Lua function typed over three lines, then called
    r.mark = len(r.out)
    r.send("function twice(x)\r")
    check("continuation prompt after the first line", r.expect(MORE, 5) is not None, r.since(r.mark))
    r.send("  return x * 2\r")
    check("continuation prompt after the second line", r.expect(MORE, 5) is not None,
          r.since(r.mark))
    out, ok = r.run("end")
    out, ok = r.run("twice(21)")
    check("a three-line function can be called", ok and out.strip().endswith("42"), repr(out))
    # = heed.count{stage='lead'}
    (leads,) = db_rows("SELECT count(*) FROM contacts WHERE stage = 'lead'")[0]
    out, ok = r.run("= heed.count{stage='lead'}")
    check("= heed.count{stage='lead'} prints the count", ok and out.strip().endswith(str(leads)),
          "%r want %d" % (out, leads))
    # Tab after .pi completes to .pipeline
    start = len(r.out)
    r.mark = start
    r.send(".pi\t")
    check("Tab completes .pi to .pipeline", r.expect(rb"\.pipeline", 5) is not None, r.since(start))
    r.send("\r")
    check(".pipeline runs after completion", r.expect(rb"forecast", 5) is not None, r.since(start))
    r.expect(PROMPT)
    # Tab after .show and the first letters of an email completes the email
    emails = [e for (e,) in db_rows("SELECT email FROM contacts WHERE email IS NOT NULL ORDER BY id")]
    target = emails[len(emails) // 2]
    n = next(k for k in range(3, len(target) + 1)
             if sum(1 for e in emails if e.startswith(target[:k])) == 1)
    start = len(r.out)
    r.mark = start
    r.send(".show " + target[:n] + "\t")
    check("Tab completes an email after .show",
          r.expect(re.escape(target.encode()), 5) is not None, "%s from %r" % (target, r.since(start)))
    r.send("\r")
    check(".show runs on the completed email", r.expect(rb"contact \d+", 5) is not None, r.since(start))
    r.expect(PROMPT)
    # more completion: stage names, fields, plugin names, Lua globals and fields
    for typed, want in ((".find stage=pro", rb"stage=prospect"), (".find min-", rb"min-score="),
                        (".reload qua", rb"qualify"),
                        ("string.up", rb"string\.upper\("), (".list --stage opp", rb"opportunity")):
        start = len(r.out)
        r.mark = start
        r.send(typed + "\t")
        check("Tab completes %r" % typed, r.expect(want, 5) is not None, r.since(start))
        r.send("\x03")
        r.expect(PROMPT)
    # heed's functions complete to the name only: the docs call them with a table, heed.count{…}
    for typed, name in (("heed.co", "count"), ("heed.fi", "find")):
        start = len(r.out)
        r.mark = start
        r.send(typed + "\t")
        m = r.expect(re.compile(rb"heed\." + name.encode() + rb"(.?)"), 5)
        r.read_some(0.3)
        done = r.since(start)
        check("Tab completes %r to heed.%s without a parenthesis" % (typed, name),
              m is not None and "heed.%s(" % name not in done, done)
        out, ok = r.run("{stage='lead'}" if name == "count" else "")
        if name == "count":
            (leads,) = db_rows("SELECT count(*) FROM contacts WHERE stage = 'lead'")[0]
            check("the completed heed.count{stage='lead'} runs", ok and str(leads) in out, repr(out))
    r.send("\x04")
    check("Ctrl-D exits 0", r.wait() == 0)


def scenario_ctrlc():
    before = store_digest()
    r = Repl()
    r.expect(PROMPT)
    slow = {
        "a slow SQL query": ".sql WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
                            " SELECT count(*) FROM n",
        "a slow Lua loop": "local n = 0; while true do n = n + 1 end",
        "Lua calling the store in a loop": "while true do heed.find{stage='lead'} end",
    }
    for what, line in slow.items():
        start = len(r.out)
        r.mark = start
        r.send(line + "\r")
        time.sleep(0.7)  # let it run
        check("%s is still running" % what, PROMPT.search(r.out, start + len(line)) is None,
              r.since(start))
        t0 = time.monotonic()
        r.send("\x03")
        m = r.expect(PROMPT, 5)
        took = time.monotonic() - t0
        check("Ctrl-C stops %s in under 1 s (%.3f s)" % (what, took), m is not None and took < 1.0,
              r.since(start))
        said = r.out[start:m.start() if m else len(r.out)].count(b"interrupted")
        check("Ctrl-C on %s says interrupted once (%d)" % (what, said), said == 1, r.since(start))
        out, ok = r.run("= 6 * 7")
        check("the REPL answers after stopping %s" % what, ok and "42" in out, repr(out))
    # at the prompt, Ctrl-C drops the typed line and an unfinished chunk
    r.send("function half(x)\r")
    r.expect(MORE, 5)
    r.send("  return x")
    r.send("\x03")
    check("Ctrl-C at the continuation prompt gives a fresh prompt", r.expect(PROMPT, 2) is not None)
    out, ok = r.run("= 7 * 6")
    check("the dropped chunk is gone", ok and out.strip().endswith("42") and "error" not in out,
          repr(out))
    r.send("\x04")
    check("Ctrl-D exits 0", r.wait() == 0)
    check("the store is unchanged", store_digest() == before)


def scenario_ctrlc_write():
    """Ctrl-C during a write command (an import, a full rescore) at several
    moments: the command stops and says so, and the import leaves the store as
    it was, whether the signal lands inside a statement or between two."""
    big = os.path.join(os.environ["T"], "big.csv")
    before = store_digest()
    contacts = db_rows("SELECT count(*) FROM contacts")[0][0]
    r = Repl()
    r.expect(PROMPT)
    for delay in (0.05, 0.15, 0.4):
        start = len(r.out)
        r.send(".import %s --map bench\r" % big)
        time.sleep(delay)
        r.send("\x03")
        m = r.expect(PROMPT, 20)
        said = r.out[start:m.start() if m else len(r.out)]
        check("import stopped after %.2f s: back at the prompt" % delay, m is not None, r.since(start))
        check("import stopped after %.2f s: says interrupted" % delay, b"interrupted" in said, repr(said))
        check("import stopped after %.2f s: not reported as imported" % delay,
              re.search(rb"(^|\n)imported ", said) is None and b"rolled back" in said, repr(said))
        check("import stopped after %.2f s: the store is unchanged" % delay, store_digest() == before)
    out, ok = r.run(".import %s --map bench" % big, 120)
    check("the import runs when left alone", ok and "imported" in out, repr(out))
    for delay in (0.02, 0.2):
        start = len(r.out)
        r.send(".score --all\r")
        time.sleep(delay)
        r.send("\x03")
        m = r.expect(PROMPT, 20)
        said = r.out[start:m.start() if m else len(r.out)]
        check("score --all stopped after %.2f s: says interrupted" % delay, b"interrupted" in said,
              repr(said))
        check("score --all stopped after %.2f s: does not say it scored" % delay, b"scored" not in said,
              repr(said))
    out, ok = r.run(".count")
    check("the REPL answers after the interrupts", ok, repr(out))
    r.send("\x04")
    check("Ctrl-D exits 0", r.wait() == 0)
    check("only the import left alone added contacts",
          db_rows("SELECT count(*) FROM contacts")[0][0] == contacts + 150000)
    check("the (stage, score) index is there",
          db_rows("SELECT count(*) FROM sqlite_master WHERE name = 'contacts_stage_score'")[0][0] == 1)


def scenario_history():
    hist = os.path.join(T, "history")
    env = {"HEED_HISTORY": hist}
    r = Repl(env=env)
    r.expect(PROMPT)
    r.run(".pipeline")
    r.run("= 40 + 2")
    r.send("\x04")
    check("Ctrl-D exits with status 0", r.wait() == 0)
    text = open(hist, encoding="utf-8").read() if os.path.exists(hist) else ""
    check("the history file holds the session's lines",
          ".pipeline" in text and "= 40 + 2" in text, repr(text))
    r = Repl(env=env)
    r.expect(PROMPT)
    start = len(r.out)
    r.mark = start
    r.send("\x1b[A")
    check("Up recalls the last line", r.expect(rb"= 40 \+ 2", 5) is not None, r.since(start))
    r.send("\r")
    check("the recalled line runs", r.expect(rb"42\r?\n", 5) is not None, r.since(start))
    r.expect(PROMPT)
    r.send("\x1b[A\x1b[A")
    check("Up twice recalls the line before", r.expect(rb"\.pipeline", 5) is not None, r.since(start))
    r.send("\x03")
    r.expect(PROMPT)
    r.send("\x04")
    check("second session exits 0", r.wait() == 0)


def scenario_reload():
    plugdir = os.environ["HEED_PLUGINS"]
    bonus = os.path.join(plugdir, "bonus.lua")

    def write(points):
        with open(bonus, "w", encoding="utf-8") as f:
            f.write('return { name = "bonus", version = "1.0.%d", api = 1,\n'
                    '  score = function(c, add) add("bonus", %d, "test") end }\n' % (points, points))

    write(5)
    (cid,) = db_rows("SELECT id FROM contacts ORDER BY id LIMIT 1")[0]
    r = Repl()
    r.expect(PROMPT)
    query = "= heed.score(%d)" % cid
    out1, _ = r.run(query)
    write(50)
    out2, _ = r.run(query)
    n1 = re.search(r"^([\d.]+)", out1.strip().splitlines()[-1])
    n2 = re.search(r"^([\d.]+)", out2.strip().splitlines()[-1])
    check("the same query gives a new result after the edit",
          n1 and n2 and abs(float(n2.group(1)) - float(n1.group(1)) - 45) < 1e-6,
          "%r then %r" % (out1, out2))
    check("the REPL says it reloaded", re.search(r"reload", out2) and "bonus" in out2, repr(out2))
    out3, _ = r.run(query)
    check("no reload line when nothing changed", "reload" not in out3, repr(out3))
    r.send("\x04")
    r.wait()


def scenario_pager():
    (n,) = db_rows("SELECT count(*) FROM contacts")[0]
    r = Repl()  # 60 rows, PAGER unset
    r.expect(PROMPT)
    out, ok = r.run(".list --limit 0")
    lines = [x for x in out.splitlines() if x.strip()][1:]  # without the echoed command
    m = re.search(r"… (\d+) more lines", out)
    check("a long result is cut to the screen", ok and len(lines) < 60 and m is not None,
          "%d lines" % len(lines))
    check("the cut says how many lines are left out",
          m is not None and int(m.group(1)) + len(lines) - 1 == n + 1, "%d shown, %r" % (len(lines), lines[-1:]))
    r.send("\x04")
    r.wait()
    r = Repl(cols=70)  # narrow: table cells are cut so rows fit
    r.expect(PROMPT)
    out, ok = r.run(".list --limit 5")
    rows = [x for x in out.splitlines() if x.strip()][1:]
    width = max(len(x.rstrip("\r")) for x in rows) if rows else 999
    check("table rows are cut to the terminal's width (%d <= 70)" % width,
          ok and len(rows) == 6 and width <= 70 and "…" in out, repr(rows[:2]))
    # an empty result: the full column names, not cut, no line wider than the terminal
    out, ok = r.run(".sql SELECT * FROM contacts WHERE 0")
    lines = [x.rstrip("\r") for x in out.splitlines()][1:]
    cols = [c for (_, c, *_x) in db_rows_pragma("contacts")]
    check("an empty .sql result names every column in full",
          ok and all(re.search(r"(^|\s)%s(\s|$)" % c, "\n".join(lines)) for c in cols)
          and "…" not in out and "(no rows)" in out, repr(lines))
    check("an empty .sql result fits the terminal",
          ok and max(len(x) for x in lines) <= 70, repr(lines))
    r.send("\x04")
    r.wait()
    r = Repl(env={"PAGER": "cat -n"})
    r.expect(PROMPT)
    out, ok = r.run(".list --limit 0")
    check("a long result goes through $PAGER", ok and re.search(r"^\s*%d\t" % (n + 1), out, re.M)
          is not None and "more lines" not in out, out[-200:])
    out, ok = r.run(".pipeline")
    check("a short one does not", ok and not re.search(r"^\s*1\t", out, re.M), out[:200])
    r.send("\x04")
    r.wait()


def scenario_history_store():
    """HEED_HISTORY naming the store: refused at the start, the store is kept."""
    before = store_digest()
    r = Repl(env={"HEED_HISTORY": DB})
    check("prompt", r.expect(PROMPT) is not None, r.since(0))
    check("says the history is not kept",
          re.search(rb"history: refusing to write .*: it is the store", r.out) is not None, r.since(0))
    r.run(".pipeline")
    r.send("\x04")
    check("Ctrl-D exits with status 0", r.wait() == 0)
    try:
        after = store_digest()
    except subprocess.CalledProcessError as e:
        after = e.stderr
    check("the store is unchanged", after == before, repr(after[:200]))


def scenario_nocolor():
    for env, what in (({"NO_COLOR": "1"}, "NO_COLOR"), ({}, "colour terminal")):
        r = Repl(env=env)
        r.expect(PROMPT)
        r.run(".pipeline")
        r.run(".bogus")
        r.run("= heed.count()")
        r.send("\x04")
        r.wait()
        esc = b"\x1b" in r.out
        if env:
            check("no escape codes with NO_COLOR", not esc, repr(r.out[:300]))
        else:
            check("colours on a terminal without NO_COLOR", esc, repr(r.out[:300]))


if __name__ == "__main__":
    globals()["scenario_" + sys.argv[1]]()
    print("%s: %d failed" % (sys.argv[1], len(FAILS)))
    sys.exit(1 if FAILS else 0)
