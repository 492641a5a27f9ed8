"""A real SMTP server for the notification tests (aiosmtpd, from PyPI): it takes every
message on 127.0.0.1 and writes each one, as received, to a numbered .eml file in the
folder given as its argument. It prints its port on the first line, then serves until
its standard input closes (the test ends)."""

import socket
import sys
from pathlib import Path

from aiosmtpd.controller import Controller


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


def main():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
