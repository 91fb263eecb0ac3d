"""« Ressources » for staff: operating guides and the FAQ, read from Markdown files, searchable.

The content is data (services/gateway/resources/): one file per guide in guides/ (its first line
`# Title`; a number in front of the file name sets the order and is not part of the address),
and faq.md where each `## ` heading is a question and what follows it the answer. Files are
read again when they change, so editing them needs no restart. Raw HTML in them is shown as
text, never rendered.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, render_template, request
from markdown_it import MarkdownIt
from markupsafe import Markup

from services.gateway.auth import login_required
from services.gateway.presenters import search_text

bp = Blueprint("resources", __name__, url_prefix="/agent/ressources")
FOLDER = Path(__file__).resolve().parents[1] / "resources"
EXCERPT = 220  # characters around the first match in a result
_ORDER_PREFIX = re.compile(r"^\d+[-_]")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def markdown() -> MarkdownIt:
    """CommonMark without raw HTML (written as text), plus tables."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Entry:
    """A guide or a question: its title, its HTML and its plain text (for the search)."""

    kind: str  # "guide" or "faq"
    slug: str
    title: str
    html: Markup
    text: str
    summary: str = ""

    def matches(self, words: list[str]) -> bool:
        haystack = folded(f"{self.title} {self.text}")
        return all(word in haystack for word in words)

    def excerpt(self, words: list[str]) -> str:
        """A passage of the text around the first word found, else its beginning."""
        folded_text = folded(self.text)
        starts = [folded_text.find(w) for w in words if folded_text.find(w) >= 0]
        start = max(0, min(starts) - EXCERPT // 3) if starts else 0
        end = start + EXCERPT
        words = self.text[start:end].split(" ")
        if start and len(words) > 1:  # whole words only: drop the ones cut at either end
            words = words[1:]
        if end < len(self.text) and len(words) > 1:
            words = words[:-1]
        passage = " ".join(words).strip()
        return ("… " if start else "") + passage + (" …" if end < len(self.text) else "")


def folded(text: str) -> str:
    """Lower case without accents, so « reorientation » finds « réorientation »."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def search_words(query: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", folded(query)) if w]


def _plain(tokens) -> str:
    """The words of parsed Markdown, without its markup."""
    words: list[str] = []
    for token in tokens:
        if token.children:
            words.append(_plain(token.children))
        elif token.type in ("text", "code_inline", "code_block", "fence"):
            words.append(token.content)
        elif token.type in ("softbreak", "hardbreak", "paragraph_close", "heading_close",
                            "list_item_close"):
            words.append(" ")
    return re.sub(r"\s+", " ", "".join(words)).strip()


def _split_title(source: str) -> tuple[str, str]:
    """(the first `# ` heading, the rest); no heading: ("", everything)."""
    lines = source.lstrip("\ufeff").splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                return line[2:].strip(), "\n".join(lines[i + 1:])
            break
    return "", source


def _entry(md: MarkdownIt, kind: str, slug: str, title: str, body: str) -> Entry:
    tokens = md.parse(body)
    text = _plain(tokens)
    first = next((t for t in tokens if t.type == "inline"), None)
    summary = _plain([first]) if first is not None else ""
    return Entry(kind, slug, title, Markup(md.renderer.render(tokens, md.options, {})), text,
                 summary)


def parse_guide(md: MarkdownIt, path: Path) -> Entry | None:
    slug = _ORDER_PREFIX.sub("", path.stem).lower()
    if not _SLUG.match(slug):  # it becomes an address: plain letters, digits and hyphens only
        return None
    title, body = _split_title(path.read_text(encoding="utf-8"))
    return _entry(md, "guide", slug, title or slug.replace("-", " ").capitalize(), body)


def parse_faq(md: MarkdownIt, source: str) -> list[Entry]:
    """Each `## ` heading and the text under it; what comes before the first one is left out."""
    entries, title, body = [], None, []
    in_fence = False
    for line in source.splitlines() + ["## "]:
        if line.startswith("```"):
            in_fence = not in_fence
        if line.startswith("## ") and not in_fence:
            if title:
                entries.append(_entry(md, "faq", f"question-{len(entries) + 1}", title,
                                      "\n".join(body)))
            title, body = line[3:].strip(), []
        elif title is not None:
            body.append(line)
    return entries


@dataclass(frozen=True)
class Library:
    guides: list[Entry]
    faq: list[Entry]

    def guide(self, slug: str) -> Entry | None:
        return next((g for g in self.guides if g.slug == slug), None)

    def search(self, query: str) -> list[Entry]:
        words = search_words(query)
        if not words:
            return []
        return [e for e in self.guides + self.faq if e.matches(words)]


_cache: dict[tuple, Library] = {}
_lock = threading.Lock()


def library(folder: Path | None = None) -> Library:
    """The guides and the FAQ, parsed again only when a file changed."""
    folder = FOLDER if folder is None else folder
    guide_paths = sorted((folder / "guides").glob("*.md"))
    faq_path = folder / "faq.md"
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                  for p in [*guide_paths, faq_path] if p.exists())
    with _lock:
        found = _cache.get(stamp)
        if found is None:
            md = markdown()
            guides = [g for g in (parse_guide(md, p) for p in guide_paths) if g is not None]
            faq = parse_faq(md, faq_path.read_text(encoding="utf-8")) if faq_path.exists() else []
            found = Library(guides, faq)
            _cache.clear()
            _cache[stamp] = found
    return found


@bp.get("")
@login_required
def index():
    q = search_text(request.args.get("q"))
    found = library()
    results = found.search(q) if q else []
    words = search_words(q)
    return render_template("resources/index.html", library=found, q=q, results=results,
                           words=words, searched=bool(q))


@bp.get("/<slug>")
@login_required
def guide(slug: str):
    found = library().guide(slug)
    if found is None:
        abort(404)
    return render_template("resources/guide.html", guide=found, library=library())
