"""Personal data in what the staff are about to publish (an agent's response): moderation's
screening of it, shown to its writer, who removes the passages or confirms that they may be
published (the office's own public contacts, say). Nothing is masked for her: the staff's text
is not moderated, its writer decides, knowingly."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.gateway.auth import clients, current_user
from services.gateway.calls import calling
from services.gateway.labels import FLAG_KINDS

# The checkbox of the forms that publish: ticked, the writer has read the passages shown.
CONFIRM = "publication_confirmee"
PARTS = {"body": "la réponse", "closing": "la formule de politesse", "signature": "la signature",
         "title": "le titre", "description": "la description"}


@dataclass
class PrivacyCheck:
    """The passages found; `unavailable` when the screening could not run (then the writer
    confirms having read her text again)."""

    passages: list[dict] = field(default_factory=list)
    unavailable: bool = False

    def __bool__(self) -> bool:
        return bool(self.passages) or self.unavailable


def confirmed(form) -> bool:
    return form.get(CONFIRM) == "oui"


def check(texts: dict[str, str]) -> PrivacyCheck:
    """The passages of `texts` (by part: body, closing, signature…) that look like personal data."""
    texts = {name: text for name, text in texts.items() if text}
    if not texts:
        return PrivacyCheck()
    answer: dict = {}
    with calling() as call:
        answer = clients()["moderation"].post("/screening", json={"texts": texts},
                                              token=current_user().token)
    if call.failed:
        return PrivacyCheck(unavailable=True)
    passages = []
    for part in answer.get("texts") or []:
        text = texts.get(part.get("name"), "")
        for flag in part.get("flags") or []:
            start, end = flag.get("start"), flag.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                passages.append({"part": PARTS.get(part["name"], part["name"]),
                                 "kind": FLAG_KINDS.get(flag.get("kind"), FLAG_KINDS["other"]),
                                 "text": text[start:end]})
    return PrivacyCheck(passages)
