"""A real SMTP server for the notification tests (aiosmtpd, from PyPI): it takes every
message on 127.0.0.1 and writes each one, as received, to a numbered .eml file in the
folder given as its argument. It prints its port on the first line, then serves until
its standard input closes (the test ends).

With three more arguments, CERT KEY USER:PASSWORD, it is a submission server as an
agency's relay is: STARTTLS with that certificate before anything else, then AUTH with
that user and password before any mail."""

import socket
import ssl
import sys
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = self.folder / f"{self.count:04d}.eml"
        tmp = name.with_suffix(".tmp")
        head = "X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        tmp.write_bytes(head.encode() + envelope.original_content)
        tmp.rename(name)
        return "250 Message accepted for delivery"


class Login:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {}
    if len(sys.argv) == 5:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[2], sys.argv[3])
        user, password = sys.argv[4].split(":", 1)
        options = dict(
            tls_context=tls,
            require_starttls=True,
            authenticator=Login(user, password),
            auth_required=True,
            auth_require_tls=True,
        )
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(port, flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
