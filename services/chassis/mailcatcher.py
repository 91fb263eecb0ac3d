"""A local SMTP server that keeps every message as a file under var/mail/ (for `make up` and tests).

aiosmtpd speaks the SMTP; `FileHandler` stores each message before the 250 reply, so a message
the sender was told was accepted is on disk.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from services.chassis.config import MAIL_PORT, VAR

MAX_SIZE = 32 * 1024 * 1024  # aiosmtpd's default limit, read when a catcher is created


def store(folder: Path, recipients: list[str], content: bytes) -> Path:
    """One message as `<time_ns>-<8 hex>.eml`: an X-Envelope-To line, then the bytes received."""
    path = folder / f"{time.time_ns()}-{os.urandom(4).hex()}.eml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(f"X-Envelope-To: {', '.join(recipients)}\r\n".encode() + content)
    tmp.rename(path)  # readers never see half a message
    return path


class FileHandler:
    """aiosmtpd handler: each message becomes a file in `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        try:
            store(self.folder, envelope.rcpt_tos, envelope.original_content)
        except OSError:
            return "451 Could not store the message"
        return "250 Message accepted for delivery"


class MailCatcher(Controller):
    """aiosmtpd's threaded controller on `host:port` (port 0: a free one, then in `.port`)."""

    def __init__(self, port: int, folder: Path, host: str = "127.0.0.1"):
        # A fixed server name: aiosmtpd would otherwise look up the host's FQDN per connection.
        super().__init__(FileHandler(folder), hostname=host, port=port, server_hostname="mailcatcher",
                         data_size_limit=MAX_SIZE, enable_SMTPUTF8=True)

    def _trigger_server(self):
        # The controller checks the server by connecting to self.port: make it the bound one.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def start(port: int, folder: Path, host: str = "127.0.0.1") -> MailCatcher:
    """A catcher already accepting connections (its event loop in a daemon thread)."""
    catcher = MailCatcher(port, folder, host)
    catcher.start()
    return catcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=MAIL_PORT)
    parser.add_argument("--dir", type=Path, default=VAR / "mail")
    args = parser.parse_args()
    catcher = start(args.port, args.dir)
    try:
        print(f"mail catcher on 127.0.0.1:{catcher.port}, messages in {args.dir}", flush=True)
        threading.Event().wait()  # Ctrl-C (or SIGTERM from `make up`) ends it
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()


if __name__ == "__main__":
    main()
