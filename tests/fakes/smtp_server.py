#!/usr/bin/python3
"""A real SMTP server for tests: Debian's aiosmtpd (python3-aiosmtpd) on 127.0.0.1.

Started by a C++ test (tests/fakes/smtp_fake.cpp). It listens on a free port, prints
"READY <port>" on stdout once it accepts connections, and stops when its stdin closes (so a
test that dies never leaves it running). Each accepted message is written, before the server
answers 250 to it, as <outdir>/<n>.eml (the bytes as received, dot-stuffing undone) and
<outdir>/<n>.json: the envelope, the login used, and the message as Python's email package
reads it (headers decoded per RFC 2047, parts decoded), an implementation independent of ours.

Modes: starttls (STARTTLS offered and required before MAIL), implicit (TLS from the first
byte), plain (no TLS at all). With --user/--password, AUTH is required before MAIL.
With --port it listens on that port, to bring a stopped server back where it was.
"""

import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def summarise(raw: bytes) -> dict:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = {}
    for part in msg.walk():
        if part.is_multipart():
            continue
        parts[part.get_content_type()] = part.get_content()
    return {
        "headers": [[k, str(v)] for k, v in msg.items()],
        "defects": [type(d).__name__ for d in msg.defects],
        "content_type": msg.get_content_type(),
        "parts": parts,
    }


class Handler:
    def __init__(self, outdir: str):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.outdir, str(self.count))
        raw = envelope.original_content or b""
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": (session.auth_data.login.decode()
                      if isinstance(session.auth_data, LoginPassword) else None),
            "tls": session.ssl is not None or server.implicit_tls,
            "message": summarise(raw),
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False)
        # The .json appears last: a reader that sees it sees a complete message.
        os.rename(base + ".eml.tmp", base + ".eml")
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Message accepted for delivery"


class Server(SMTP):
    implicit_tls = False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["starttls", "implicit", "plain"], required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--port", type=int, default=0,
                    help="port to listen on (0: any free one), to bring a stopped server back")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--mechanisms", default="PLAIN,LOGIN",
                    help="AUTH mechanisms offered, from PLAIN and LOGIN")
    ap.add_argument("--echo-credentials", action="store_true",
                    help="a hostile server: quote the credentials it got in its 535 reply")
    args = ap.parse_args()
    # aiosmtpd warns about AUTH without STARTTLS (implicit TLS is TLS too) and deprecations.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    tls = None
    if args.mode != "plain":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == args.user
              and auth_data.password.decode() == args.password)
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        if args.echo_credentials and isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False,
                              message="535 5.7.8 bad credentials %s/%s" % (
                                  auth_data.login.decode(errors="replace"),
                                  auth_data.password.decode(errors="replace")))
        return AuthResult(success=False, handled=False)

    offered = {m.strip().upper() for m in args.mechanisms.split(",") if m.strip()}
    exclude = [m for m in ("PLAIN", "LOGIN") if m not in offered]
    handler = Handler(args.outdir)

    def factory():
        server = Server(
            handler,
            hostname="smtp.test",
            tls_context=tls if args.mode == "starttls" else None,
            require_starttls=args.mode == "starttls",
            auth_required=bool(args.user),
            # Implicit TLS is TLS, but aiosmtpd only knows about STARTTLS.
            auth_require_tls=args.mode == "starttls",
            authenticator=authenticator if args.user else None,
            auth_exclude_mechanism=exclude,
        )
        server.implicit_tls = args.mode == "implicit"
        return server

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=args.port, ssl=tls if args.mode == "implicit" else None))
    port = server.sockets[0].getsockname()[1]

    stop = loop.create_future()

    def on_stdin():
        if not os.read(sys.stdin.fileno(), 4096) and not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    print("READY %d" % port, flush=True)
    loop.run_until_complete(stop)
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
