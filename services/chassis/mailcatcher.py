"""A local SMTP server that keeps every message as a file under var/mail/ (for `make up` and tests).

Written directly on asyncio.Protocol: aiosmtpd cost about 0.7 ms of CPU a message, which showed in
the pipeline benchmark. It speaks the plain SMTP that smtplib and common clients use; `FileHandler`
remains for tests that need aiosmtpd's AUTH or STARTTLS, and both store through `store()`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import threading
import time
from pathlib import Path

from services.chassis.config import MAIL_PORT, VAR

MAX_SIZE = 32 * 1024 * 1024  # aiosmtpd's default limit
MAX_LINE = 4096  # commands are at most 512 bytes (RFC 5321)
END = re.compile(rb"\n\.\r?\n")  # the lone dot line; bare \n accepted from lenient clients
EHLO = f"250-mailcatcher\r\n250-SIZE {MAX_SIZE}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING"


def store(folder: Path, recipients: list[str], content: bytes) -> Path:
    """One message as `<time_ns>-<8 hex>.eml`: an X-Envelope-To line, then the bytes received."""
    path = folder / f"{time.time_ns()}-{os.urandom(4).hex()}.eml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(f"X-Envelope-To: {', '.join(recipients)}\r\n".encode() + content)
    tmp.rename(path)  # readers never see half a message
    return path


class FileHandler:
    """aiosmtpd handler, for tests that need its AUTH or STARTTLS support."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        store(self.folder, envelope.rcpt_tos, envelope.original_content)
        return "250 Message accepted for delivery"


def _address(arg: str, prefix: str) -> str | None:
    """The address in `FROM:<a@b> SIZE=10`; parameters are ignored, brackets optional."""
    if not arg.upper().startswith(prefix):
        return None
    rest = arg[len(prefix):].strip()
    if rest.startswith("<"):
        return rest[1:rest.find(">")] if ">" in rest else None
    return rest.split()[0] if rest else None


class Session(asyncio.Protocol):
    def __init__(self, folder: Path, connections: set):
        self.folder, self.connections = folder, connections
        self.buf = bytearray()
        self.in_data = self.too_big = self.overlong = self.quitting = False
        self.scan = 0  # where to look for the end of DATA next, so that no byte is scanned twice
        self.reset()

    def reset(self) -> None:
        self.sender: str | None = None
        self.recipients: list[str] = []

    def connection_made(self, transport):
        self.transport = transport
        self.connections.add(transport)
        transport.write(b"220 mailcatcher ESMTP\r\n")

    def connection_lost(self, exc):
        self.connections.discard(self.transport)

    def data_received(self, chunk: bytes) -> None:
        self.buf += chunk
        replies = []
        while not self.quitting:
            if self.in_data:
                if (reply := self.message()) is None:
                    break
            elif (end := self.buf.find(b"\n")) >= 0:
                line = self.buf[:end].rstrip(b"\r").decode("utf-8", "replace")
                del self.buf[:end + 1]
                reply = "500 Line too long" if self.overlong or end > MAX_LINE else self.command(line)
                self.overlong = False
            else:
                if len(self.buf) > MAX_LINE:  # refused when its end comes; no need to keep it
                    self.overlong = True
                    del self.buf[:]
                break
            replies.append(reply + "\r\n")
        # One write (one system call) for the replies to all the pipelined commands.
        if replies:
            self.transport.write("".join(replies).encode())
        if self.quitting:
            self.transport.close()

    def message(self) -> str | None:
        """After DATA: the reply once the lone dot line has arrived, else None."""
        found = END.search(self.buf, self.scan)
        if not found:
            if len(self.buf) > MAX_SIZE:  # keep reading to the end, but not the bytes
                self.too_big = True
                del self.buf[:-3]
            self.scan = max(0, len(self.buf) - 3)  # an end line may start in the last 3 bytes
            return None
        # The buffer began with "\n" (see DATA), so every line, the first one too, follows a "\n".
        content = bytes(self.buf[:found.start() + 1]).replace(b"\n.", b"\n")[1:]
        del self.buf[:found.end()]
        recipients, too_big = self.recipients, self.too_big or len(content) > MAX_SIZE
        self.in_data = self.too_big = False
        self.reset()
        if too_big:
            return "552 Message exceeds the size limit"
        try:
            store(self.folder, recipients, content)
        except OSError:
            return "451 Could not store the message"
        return "250 Message accepted for delivery"

    def command(self, line: str) -> str:
        verb, _, arg = line.strip().partition(" ")
        match verb.upper():
            case "EHLO" | "HELO" as hello:
                self.reset()
                return EHLO if hello == "EHLO" else "250 mailcatcher"
            case "MAIL":
                if self.sender is not None:
                    return "503 Nested MAIL command"
                self.sender = _address(arg.strip(), "FROM:")
                return "501 Syntax: MAIL FROM:<address>" if self.sender is None else "250 OK"
            case "RCPT":
                if self.sender is None:
                    return "503 Need MAIL command"
                if not (address := _address(arg.strip(), "TO:")):
                    return "501 Syntax: RCPT TO:<address>"
                self.recipients.append(address)
                return "250 OK"
            case "DATA":
                if not self.recipients:
                    return "503 Need RCPT command"
                self.in_data, self.scan = True, 0
                self.buf[:0] = b"\n"  # so that a first line "." also reads as "\n.\r\n"
                return "354 End data with <CR><LF>.<CR><LF>"
            case "RSET":
                self.reset()
                return "250 OK"
            case "NOOP":
                return "250 OK"
            case "QUIT":
                self.quitting = True
                return "221 Bye"
            case "VRFY" | "EXPN" | "HELP" | "AUTH" | "STARTTLS":
                return "502 Command not implemented"
        return "500 Command not recognized"


class MailCatcher:
    """The listening socket and its event loop; `start()` runs the loop in a daemon thread."""

    def __init__(self, port: int, folder: Path, host: str = "127.0.0.1"):
        folder.mkdir(parents=True, exist_ok=True)
        self.connections: set[asyncio.Transport] = set()
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(self.loop.create_server(
            lambda: Session(folder, self.connections), host, port))  # bound before start() returns
        self.port = self.server.sockets[0].getsockname()[1]  # the one chosen when given port 0
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        """From another thread than the loop's: close every connection and the loop."""
        def close():
            self.server.close()
            for transport in list(self.connections):
                transport.abort()
            self.loop.call_soon(self.loop.stop)  # after the transports' own close callbacks

        self.loop.call_soon_threadsafe(close)
        if self.thread is not None:
            self.thread.join()
        self.loop.close()


def start(port: int, folder: Path, host: str = "127.0.0.1") -> MailCatcher:
    catcher = MailCatcher(port, folder, host)
    catcher.thread = threading.Thread(target=catcher.loop.run_forever, name="mailcatcher", daemon=True)
    catcher.thread.start()
    return catcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=MAIL_PORT)
    parser.add_argument("--dir", type=Path, default=VAR / "mail")
    args = parser.parse_args()
    catcher = MailCatcher(args.port, args.dir)
    print(f"mail catcher on 127.0.0.1:{catcher.port}, messages in {args.dir}", flush=True)
    try:
        catcher.loop.run_forever()  # in the foreground: Ctrl-C (or SIGTERM from `make up`) ends it
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
