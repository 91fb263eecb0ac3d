"""The local mail catcher (aiosmtpd and a file handler): the files it writes, over loopback sockets."""

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


def test_data_without_a_recipient_is_refused_and_nothing_stored(catcher, folder):
    client = Raw(catcher.port)
    client.send(b"EHLO c\r\nDATA\r\nMAIL FROM:<a@x.fr>\r\nDATA\r\nNOOP\r\n")
    assert client.replies(5) == ["250", "503", "250", "503", "250"]
    client.close()
    assert stored(folder) == []


def test_a_line_too_long_or_a_message_too_big_gets_a_5xx(folder, monkeypatch):
    monkeypatch.setattr(mailcatcher, "MAX_SIZE", 1000)  # read when the catcher is created
    catcher = mailcatcher.start(0, folder)
    try:
        client = Raw(catcher.port)
        client.send(b"EHLO c\r\nNOOP " + b"x" * 10_000 + b"\r\nNOOP\r\n", chunk=1000)
        assert client.replies(3) == ["250", "500", "250"]
        client.send(b"MAIL FROM:<a@x.fr>\r\nRCPT TO:<b@y.fr>\r\nDATA\r\n")
        assert client.replies(3) == ["250", "250", "354"]
        client.send(b"y" * 700 + b"\r\n", chunk=50)
        client.send(b"y" * 700 + b"\r\n.\r\nMAIL FROM:<a@x.fr>\r\nRCPT TO:<b@y.fr>\r\nDATA\r\nsmall\r\n.\r\n")
        assert client.replies(5) == ["552", "250", "250", "354", "250"]
        client.close()
    finally:
        catcher.stop()
    assert stored(folder) == [b"X-Envelope-To: b@y.fr\r\nsmall\r\n"]


def test_a_message_not_stored_is_not_accepted(catcher, folder, monkeypatch):
    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mailcatcher, "store", full)
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("a@x.fr", ["b@y.fr"], b"Subject: x\r\n\r\nhello\r\n")
    assert refused.value.smtp_code == 451
    assert stored(folder) == []


def test_a_stopped_catcher_frees_its_port_for_the_next(tmp_path, folder):
    first = mailcatcher.start(0, folder)
    port = first.port
    first.stop()
    again = mailcatcher.start(port, tmp_path / "again")
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail("a@x.fr", ["b@y.fr"], b"Subject: x\r\n\r\nhello\r\n")
    finally:
        again.stop()
    assert stored(tmp_path / "again") == [b"X-Envelope-To: b@y.fr\r\nSubject: x\r\n\r\nhello\r\n"]
