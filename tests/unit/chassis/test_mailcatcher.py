"""The local mail catcher: the SMTP it speaks and the files it writes (over loopback sockets)."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

import pytest

from services.chassis import mailcatcher


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "mail"


@pytest.fixture
def catcher(folder):
    server = mailcatcher.start(0, folder)
    yield server
    server.stop()


def stored(folder) -> list[bytes]:
    assert not list(folder.glob("*.tmp"))
    return [p.read_bytes() for p in sorted(folder.glob("*.eml"))]  # names begin with time_ns


class Raw:
    """A client that writes bytes as given and reads whole replies."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # 1-byte writes stay apart
        self.file = self.sock.makefile("rb")
        assert self.replies(1) == ["220"]

    def replies(self, n: int) -> list[str]:
        """The codes of the next n replies (a multi-line reply counts once)."""
        codes = []
        while len(codes) < n:
            line = self.file.readline()
            assert line, "connection closed"
            if line[3:4] != b"-":
                codes.append(line[:3].decode())
        return codes

    def send(self, data: bytes, chunk: int | None = None) -> None:
        for i in range(0, len(data), chunk or len(data)):
            self.sock.sendall(data[i:i + (chunk or len(data))])

    def close(self):
        self.file.close()
        self.sock.close()


def test_smtplib_sends_two_messages_on_one_connection(catcher, folder):
    first = ("Subject: Accueil\r\nTo: agent@a.fr\r\n\r\nÉtienne a répondu : « merci ».\r\n"
             ".point en début de ligne\r\n..deux points\r\nfin\r\n").encode()
    second = EmailMessage()
    second["Subject"], second["To"] = "Réponse", "jérôme@exemple.fr"
    second.set_content("Bonjour Jérôme,\n.une ligne qui commence par un point\n")
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=5) as client:
        assert client.sendmail("robot@spp.fr", ["agent@a.fr", "chef@a.fr"], first) == {}
        assert client.does_esmtp and client.has_extn("size") and client.has_extn("8bitmime")
        assert client.noop()[0] == 250
        # A non-ASCII address makes smtplib add SMTPUTF8 and BODY=8BITMIME to MAIL FROM.
        assert client.send_message(second, from_addr="robot@spp.fr") == {}
    one, two = stored(folder)
    assert one == b"X-Envelope-To: agent@a.fr, chef@a.fr\r\n" + first
    head, body = two.split(b"\r\n", 1)
    assert head == "X-Envelope-To: jérôme@exemple.fr".encode()
    assert body == second.as_bytes(policy=second.policy.clone(linesep="\r\n", utf8=True))


def test_helo_without_ehlo(catcher, folder):
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=5) as client:
        assert client.helo("client")[0] == 250
        client.sendmail("a@x.fr", "b@y.fr", b"Subject: hi\r\n\r\nhello\r\n")
    assert stored(folder) == [b"X-Envelope-To: b@y.fr\r\nSubject: hi\r\n\r\nhello\r\n"]


def test_pipelined_commands_and_a_message_split_into_single_bytes(catcher, folder):
    client = Raw(catcher.port)
    client.send(b"ehlo client\r\nMAIL FROM:<a@x.fr> SIZE=60 BODY=8BITMIME\r\n"
                b"rcpt to:<b@y.fr>\r\nRCPT TO:<c@y.fr>\r\nDATA\r\n")
    assert client.replies(5) == ["250", "250", "250", "250", "354"]
    message = "..first line had two dots\r\nSubject: à\r\n\r\nline\r\n..\r\nend\r\n".encode()
    client.send(message + b".\r\nNOOP\r\nQUIT\r\n", chunk=1)
    assert client.replies(3) == ["250", "250", "221"]
    client.close()
    unstuffed = ".first line had two dots\r\nSubject: à\r\n\r\nline\r\n.\r\nend\r\n".encode()
    assert stored(folder) == [b"X-Envelope-To: b@y.fr, c@y.fr\r\n" + unstuffed]


def test_rset_clears_the_envelope(catcher, folder):
    client = Raw(catcher.port)
    client.send(b"EHLO c\r\nMAIL FROM:<a@x.fr>\r\nRCPT TO:<old@y.fr>\r\nRSET\r\nDATA\r\n")
    assert client.replies(5) == ["250", "250", "250", "250", "503"]
    client.send(b"MAIL FROM:<>\r\nRCPT TO:<new@y.fr>\r\nDATA\r\nhi\r\n.\r\n")
    assert client.replies(4) == ["250", "250", "354", "250"]
    client.close()
    assert stored(folder) == [b"X-Envelope-To: new@y.fr\r\nhi\r\n"]


def test_bad_sequences_and_unknown_commands_are_refused(catcher, folder):
    client = Raw(catcher.port)
    client.send(b"DATA\r\nRCPT TO:<b@y.fr>\r\nMAIL FROM:<a@x.fr>\r\nDATA\r\nMAIL FROM:<a@x.fr>\r\n"
                b"RCPT TO:<>\r\nMAIL\r\nVRFY b\r\nBOGUS\r\n\r\nNOOP\r\n")
    assert client.replies(11) == ["503", "503", "250", "503", "503", "501", "503", "502", "500",
                                  "500", "250"]
    client.close()
    assert stored(folder) == []


def test_bare_newlines_are_accepted(catcher, folder):
    client = Raw(catcher.port)
    client.send(b"HELO c\nMAIL FROM:<a@x.fr>\nRCPT TO:<b@y.fr>\nDATA\nSubject: x\n\n..dot\nbody\n.\nQUIT\n")
    assert client.replies(6) == ["250", "250", "250", "354", "250", "221"]
    client.close()
    assert stored(folder) == [b"X-Envelope-To: b@y.fr\r\nSubject: x\n\n.dot\nbody\n"]


def test_a_line_too_long_or_a_message_too_big_gets_a_5xx(catcher, folder, monkeypatch):
    client = Raw(catcher.port)
    for chunk in (1000, 7000, None):  # the line's end alone or with the next command, anywhere
        client.send(b"NOOP " + b"x" * 10_000 + b"\r\nNOOP\r\n", chunk=chunk)
        assert client.replies(2) == ["500", "250"]  # one answer for the long line, then as usual

    monkeypatch.setattr(mailcatcher, "MAX_SIZE", 1000)
    client.send(b"MAIL FROM:<a@x.fr>\r\nRCPT TO:<b@y.fr>\r\nDATA\r\n")
    assert client.replies(3) == ["250", "250", "354"]
    client.send(b"y" * 700 + b"\r\n", chunk=50)
    client.send(b"y" * 700 + b"\r\n.\r\nMAIL FROM:<a@x.fr>\r\nRCPT TO:<b@y.fr>\r\nDATA\r\nsmall\r\n.\r\n")
    assert client.replies(5) == ["552", "250", "250", "354", "250"]
    client.close()
    assert stored(folder) == [b"X-Envelope-To: b@y.fr\r\nsmall\r\n"]


def test_aiosmtpd_handler_writes_the_same_file(tmp_path, catcher, folder):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    controller = Controller(mailcatcher.FileHandler(tmp_path / "aiosmtpd"), hostname="127.0.0.1", port=free)
    controller.start()
    message = "Subject: é\r\n\r\n..point\r\nfin\r\n".encode()
    try:
        for port in (catcher.port, free):
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                client.sendmail("a@x.fr", ["b@y.fr", "c@y.fr"], message)
    finally:
        controller.stop()
    assert stored(folder) == stored(tmp_path / "aiosmtpd") == [
        b"X-Envelope-To: b@y.fr, c@y.fr\r\n" + message]
