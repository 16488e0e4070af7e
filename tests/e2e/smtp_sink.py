"""smtp_sink: a local SMTP server for heed's email tests (aiosmtpd, run with
Debian's /usr/bin/python3). Listens on 127.0.0.1 on a free port, writes the
port to PORTFILE once it accepts connections, and saves each message it
accepts as OUTDIR/N.eml (the bytes as received, after the envelope line
'X-Envelope: FROM -> RCPTS'). MODE: ok (accept), reject (550 to RCPT),
reject-data (554 after DATA), defer (451 to RCPT), auth (require AUTH PLAIN
as user heed / secret), starttls (require STARTTLS with the certificate and key
in the files SINK_CERT and SINK_KEY name), smtps (TLS from the first byte, same
files). Stops on SIGTERM.

usage: smtp_sink.py PORTFILE OUTDIR [MODE]"""
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir, mode):
        self.outdir, self.mode, self.n = outdir, mode, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "reject":
            return "550 5.1.1 <%s>: Recipient address rejected: mailbox unavailable" % address
        if self.mode == "defer":
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "reject-data":
            return "554 5.7.1 message refused: policy violation"
        self.n += 1
        path = os.path.join(self.outdir, "%d.eml" % self.n)
        with open(path + ".tmp", "wb") as f:
            f.write(("X-Envelope: %s -> %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"heed" and auth_data.password == b"secret"
    return AuthResult(success=ok, handled=False)


def main():
    portfile, outdir = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "ok"
    os.makedirs(outdir, exist_ok=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    kw = {}
    if mode == "auth":
        kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    if mode in ("starttls", "smtps"):
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.environ["SINK_CERT"], os.environ["SINK_KEY"])
        kw = dict(tls_context=ctx, require_starttls=True) if mode == "starttls" else dict(ssl_context=ctx)
    ctl = Controller(Sink(outdir, mode), hostname="127.0.0.1", port=port, **kw)
    ctl.start()
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.pause()


if __name__ == "__main__":
    main()
