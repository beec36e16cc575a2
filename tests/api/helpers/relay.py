"""A real SMTP server (aiosmtpd) for delivery tests, told by the recipient's address how to
misbehave, logging every accepted message as one JSON line (Message-ID, recipients, size).

Recipients whose local part starts with:
  bounce   550 at RCPT (a hard bounce)
  defer    451 after DATA, the first --defer-times times a Message-ID is seen
  always   451 after DATA, every time
  drop     the connection closed after DATA, before any reply, the first time per Message-ID
  stall    no reply after DATA for --stall-secs, the first time per Message-ID; then 250 and
           the message counted as delivered if the client still waits (a sender without a
           reply timeout gets it through on the first attempt)
Anything else is accepted with 250.

--one-per-connection closes each connection right after a message is accepted (a relay that
takes one message per connection, or drops idle ones); --down-after N makes the relay exit
right after accepting its N-th message (a relay that goes down in the middle of a run).

--tls CERT KEY with --mode starttls|tls offers STARTTLS or speaks TLS from the first byte;
--auth USER:PASS requires that login (over TLS). --save DIR keeps each accepted message.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.I | re.M)


class Handler:
    def __init__(self, args):
        self.args = args
        self.seen = {}
        self.lock = threading.Lock()
        self.log = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if getattr(self, "down", False):
            await asyncio.sleep(30)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("bounce"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        m = MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        mid = m.group(1).decode() if m else ""
        local = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos else ""
        with self.lock:
            tries = self.seen.get(mid, 0) + 1
            self.seen[mid] = tries
        if local.startswith("always"):
            return "451 4.3.0 Try again later"
        if local.startswith("defer") and tries <= self.args.defer_times:
            return "451 4.7.1 Greylisted, try again later"
        if local.startswith("drop") and tries == 1:
            server.transport.close()
            return "421 closing"
        if local.startswith("stall") and tries == 1:
            await asyncio.sleep(self.args.stall_secs)
            if server.transport is None or server.transport.is_closing():
                return "451 4.4.2 Too slow"
        with self.lock:
            self.count += 1
            n = self.count
        line = json.dumps({"message_id": mid, "rcpt": envelope.rcpt_tos, "size": len(content)})
        os.write(self.log, (line + "\n").encode())
        if self.args.save:
            with open(os.path.join(self.args.save, "%06d.eml" % n), "wb") as f:
                f.write(content)
        loop = asyncio.get_running_loop()
        if self.args.one_per_connection:
            loop.call_later(0.05, server.transport.close)
        if self.args.down_after and n >= self.args.down_after:
            # Gone before the next message: its MAIL gets no answer, then the connection and
            # the listening socket close with the process.
            self.down = True
            loop.call_later(0.1, os._exit, 0)
        return "250 2.0.0 Ok: queued as %06d" % n


def authenticator(expected):
    user, password = expected.split(":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd then answers 535 itself (its default waits silently).
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--save")
    p.add_argument("--defer-times", type=int, default=1)
    p.add_argument("--stall-secs", type=float, default=30)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--mode", choices=["starttls", "tls"], default="starttls")
    p.add_argument("--auth")
    p.add_argument("--one-per-connection", action="store_true")
    p.add_argument("--down-after", type=int, default=0)
    args = p.parse_args()
    kwargs = {}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.mode == "tls":
            kwargs["ssl_context"] = ctx
        else:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = True
    if args.auth:
        kwargs["authenticator"] = authenticator(args.auth)
        kwargs["auth_required"] = True
        # aiosmtpd counts only STARTTLS as TLS; with implicit TLS the whole session is.
        kwargs["auth_require_tls"] = args.mode == "starttls"
    controller = Controller(Handler(args), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
