"""A local SMTP server that keeps every message as a file under var/mail/ (for `make up` and tests)."""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller

from services.chassis.config import MAIL_PORT, VAR


class FileHandler:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / (name + ".tmp")
        recipients = ", ".join(envelope.rcpt_tos)
        tmp.write_bytes(f"X-Envelope-To: {recipients}\r\n".encode() + envelope.original_content)
        tmp.rename(self.folder / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def start(port: int, folder: Path, host: str = "127.0.0.1") -> Controller:
    controller = Controller(FileHandler(folder), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=MAIL_PORT)
    parser.add_argument("--dir", type=Path, default=VAR / "mail")
    args = parser.parse_args()
    controller = start(args.port, args.dir)
    print(f"mail catcher on 127.0.0.1:{args.port}, messages in {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":
    main()
