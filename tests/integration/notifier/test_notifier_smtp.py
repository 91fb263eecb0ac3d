"""The notifier's SMTP dialogue (smtplib) against a scripted server on loopback."""

from __future__ import annotations

import smtplib
import socket
import threading

import pytest

from services.notifier.mailer import deliver


class ScriptedServer(threading.Thread):
    """Answers 250 to every command but those containing a key of `refuse` (in any case),
    which get its value; records each command and what each recv() brought."""

    def __init__(self, extensions=("PIPELINING", "8BITMIME"), refuse=None, lenient=False):
        super().__init__(daemon=True)
        self.extensions, self.refuse, self.lenient = extensions, refuse or {}, lenient
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.chunks: list[bytes] = []
        self.commands: list[str] = []
        self.messages: list[bytes] = []
        self.start()

    def run(self):
        conn, _ = self.listener.accept()
        with conn:
            conn.sendall(b"220 scripted ESMTP\r\n")
            buffer, data, recipients = b"", None, 0
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                self.chunks.append(chunk)
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    if data is not None:
                        if line == b".":
                            self.messages.append(data)
                            data = None
                            conn.sendall(b"250 stored\r\n")
                        else:
                            data += (line[1:] if line.startswith(b"..") else line) + b"\r\n"
                        continue
                    verb = line.split(b" ", 1)[0].split(b":", 1)[0].upper().decode()
                    self.commands.append(line.decode("utf-8"))
                    if verb == "EHLO":
                        lines = ["scripted", *self.extensions]
                        conn.sendall("".join(f"250{'-' if i < len(lines) - 1 else ' '}{x}\r\n"
                                             for i, x in enumerate(lines)).encode())
                    elif refusal := next((v for k, v in self.refuse.items()
                                          if k.lower() in line.decode("utf-8").lower()), None):
                        conn.sendall(refusal.encode() + b"\r\n")
                    elif verb == "DATA" and not recipients and not self.lenient:
                        conn.sendall(b"554 5.5.1 no valid recipients\r\n")
                    elif verb == "DATA":
                        data, recipients = b"", 0
                        conn.sendall(b"354 go ahead\r\n")
                    elif verb == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        recipients += verb == "RCPT"
                        recipients *= verb != "RSET"
                        conn.sendall(b"250 ok\r\n")


MESSAGE = b"Subject: x\r\n\r\nligne\r\n.commence par un point\r\n"


def _client(server) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", server.port, timeout=5)


def test_one_connection_carries_several_messages_each_to_its_one_recipient():
    server = ScriptedServer()
    client = _client(server)
    deliver(client, "agent@example.fr", MESSAGE)
    deliver(client, "autre@example.fr", MESSAGE)
    client.quit()
    server.join(5)
    assert server.commands[0].lower().startswith("ehlo ")
    assert [c.split(":")[0].upper() for c in server.commands[1:]] == [
        "MAIL FROM", "RCPT TO", "DATA", "MAIL FROM", "RCPT TO", "DATA", "QUIT"]
    assert server.commands[2].upper() == "RCPT TO:<AGENT@EXAMPLE.FR>"
    assert server.messages == [MESSAGE, MESSAGE]  # dot-stuffed on the way, restored on arrival


def test_a_refused_recipient_raises_and_leaves_the_connection_usable():
    server = ScriptedServer(refuse={"inconnu@": "550 5.1.1 no such user"})
    client = _client(server)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(client, "inconnu@example.fr", MESSAGE)
    assert refused.value.recipients == {"inconnu@example.fr": (550, b"5.1.1 no such user")}
    deliver(client, "agent@example.fr", MESSAGE)  # the same connection, after its RSET
    client.quit()
    server.join(5)
    assert "RSET" in [c.upper() for c in server.commands] and server.messages == [MESSAGE]


def test_a_server_that_would_take_data_without_recipient_gets_none():
    server = ScriptedServer(refuse={"inconnu@": "550 5.1.1 no such user"}, lenient=True)
    client = _client(server)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        deliver(client, "inconnu@example.fr", MESSAGE)
    deliver(client, "agent@example.fr", MESSAGE)
    client.quit()
    server.join(5)
    assert server.messages == [MESSAGE]  # the message went only to the agent


def test_a_refused_sender_raises():
    server = ScriptedServer(refuse={"MAIL FROM": "451 4.3.0 try later"})
    client = _client(server)
    with pytest.raises(smtplib.SMTPSenderRefused):
        deliver(client, "agent@example.fr", MESSAGE)
    client.close()


def test_an_accented_address_asks_for_smtputf8_or_is_refused_before_sending():
    server = ScriptedServer(extensions=("PIPELINING", "SMTPUTF8"))
    client = _client(server)
    deliver(client, "andré@exemple.fr", MESSAGE)
    client.quit()
    server.join(5)
    commands = [c.lower() for c in server.commands]
    assert "mail from:<ne-pas-repondre@servicespublics.plus> smtputf8" in commands
    assert "rcpt to:<andré@exemple.fr>" in commands

    plain = ScriptedServer(extensions=("PIPELINING",))
    client = _client(plain)
    with pytest.raises(smtplib.SMTPNotSupportedError):
        deliver(client, "andré@exemple.fr", MESSAGE)
    client.close()
    assert not any(c.upper().startswith("MAIL") for c in plain.commands)


def test_without_pipelining_each_command_waits_for_its_answer():
    server = ScriptedServer(extensions=("8BITMIME",))
    client = _client(server)
    deliver(client, "agent@example.fr", MESSAGE)
    client.quit()
    server.join(5)
    assert server.messages == [MESSAGE]
    assert not any(b"RCPT TO" in c and b"MAIL FROM" in c for c in server.chunks)
