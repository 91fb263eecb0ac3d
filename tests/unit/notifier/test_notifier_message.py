"""The MIME message (the `email` package, headers parsed once) reads back, through the standard
parser, as what was queued."""

import email
from email import policy
from types import SimpleNamespace

import pytest

from services.notifier import mailer
from services.notifier.domain import EmailKind


def _parsed(subject: str, text: str, html: str, address: str = "agent@example.org"):
    row = SimpleNamespace(id="0b8f3c1e-5d0a-4b1e-9c55-2f1d7f3a9e10", address=address,
                          kind="to_process", subject=subject, body_text=text, body_html=html)
    raw = mailer.build_message(row)
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b""), "SMTP lines end in CRLF only"
    assert max(len(line) for line in lines) <= 998
    return email.message_from_bytes(raw, policy=policy.default)


def _content(message, subtype: str) -> str:
    return message.get_body((subtype,)).get_content().replace("\r\n", "\n")


@pytest.mark.parametrize(("subject", "text", "html"), [
    ("Sujet simple", "Bonjour\nligne deux\n", "<p>x</p>"),
    ("Réponse à « votre expérience » très longue " * 6,
     "é" * 200 + "\n.un point en tête\nespaces en fin   \nFrom ici\n= égal\n\n\nfin",
     '<a href="http://x/a?b=c&d=e">lien ' + "x" * 300 + "</a>\n"),
    ("ascii subject that is rather long " * 8, "\r\nfins de ligne\r\nWindows\r\n", ""),
    ("a€" * 31 + "😀" * 23 + "é", "multi-octets", "<p>x</p>"),  # characters across word ends
    # What reads as an encoded word in a title stays the usager's text, with or without accents.
    ("Réponse =?utf-8?q?Faux_sujet?= à lire", "x", "y"),
    ("Reponse =?utf-8?q?Faux_sujet?= a lire", "x", "y"),
])
def test_message_reads_back_as_queued(subject, text, html):
    message = _parsed(subject, text, html)
    assert message["Subject"] == " ".join(subject.split())
    assert message["To"] == "agent@example.org"
    assert message["Message-ID"] == "<0b8f3c1e-5d0a-4b1e-9c55-2f1d7f3a9e10@servicespublics.plus>"
    assert message.get_content_type() == "multipart/alternative"
    assert _content(message, "plain") == text.replace("\r\n", "\n")
    assert _content(message, "html") == html
    assert not message.defects and not any(part.defects for part in message.walk())


def test_encoded_subject_words_stay_within_rfc_2047_length():
    raw = mailer.build_message(SimpleNamespace(id="1", address="a@b.fr", kind="to_process",
                                               subject="Réponse « " + "😀é€" * 40, body_text="x",
                                               body_html="y"))
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject = head.split("Subject: ", 1)[1].split("\r\nMessage-ID", 1)[0]
    words = subject.split("\r\n ")
    assert len(words) > 3 and all(len(w) <= 75 and w.startswith("=?utf-8?b?") for w in words)


def test_no_line_break_reaches_the_headers():
    message = _parsed("Titre\r\nBcc: intrus@example.org", "x", "y", address="a@b.fr\r\nBcc: c@d.fr")
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_a_rendered_mail_keeps_its_link_readable():
    subject, text, html = mailer.render(EmailKind.TO_PROCESS, name="Agent Dupont",
                                        title="Accueil à la CAF", link="http://gw/agent/x/1")
    raw = mailer.build_message(SimpleNamespace(id="1", address="a@b.fr", kind="to_process",
                                               subject=subject, body_text=text, body_html=html))
    assert b"http://gw/agent/x/1" in raw  # quoted-printable, not base64: links stay greppable
    assert _content(email.message_from_bytes(raw, policy=policy.default), "plain") == text


def test_what_a_usager_writes_cannot_end_a_part():
    """A title or text copying a boundary line (a usager sees them in the e-mails she gets) stays
    text: quoted-printable writes every « = » of the parts as « =3D »."""
    trap = "\n--==spp-0123456789abcdef0123456789abcdef==\nContent-Type: text/html\n\n<script>x</script>\n"
    message = _parsed("Sujet", "avant" + trap + "après", "<p>avant</p>" + trap)
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert _content(message, "plain") == "avant" + trap + "après"
    assert "==spp-0123456789abcdef" not in message.get_boundary()
