"""The one way an uploaded file's type is decided: from its first bytes, never from its name or the type the
browser claims (a renamed HTML page must not become "image/png"). Used by hiring's résumés and documents'
attachments; each caller says which types it accepts.

Scriptable types (SVG, HTML, XML) are recognised so that they can be refused by name: an SVG image can carry
script that runs when the file is opened from our origin."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection

from .errors import RuleViolation

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
SVG = "image/svg+xml"
HTML = "text/html"
ZIP = "application/zip"

# Words for messages ("must be a PNG, a PDF or ...").
NAMES = {
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    GIF: "a GIF image",
    WEBP: "a WebP image",
    PDF: "a PDF",
    DOCX: "a Word document (DOCX)",
    TEXT: "plain text",
    MARKDOWN: "Markdown",
    SVG: "an SVG image",
    HTML: "an HTML page",
}
# Types that can run script when opened from our origin: refused with their own reason wherever they are not allowed.
SCRIPTABLE = frozenset({SVG, HTML})


def detect(content: bytes, filename: str = "") -> str:
    """The type the content is, from its magic bytes: one of the constants above, or "" when it is none of them.
    Text is UTF-8 without control characters; it is SVG or HTML when it starts (after whitespace, a BOM, an XML
    declaration or comments) with an `<svg` or `<html`/`<!doctype html` tag."""
    head = content[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            names = []
        return DOCX if any(n.startswith("word/") for n in names) else ZIP
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if _markup(text, "svg"):
        return SVG
    if _markup(text, "html") or _markup(text, "!doctype html"):
        return HTML
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return ""
    return MARKDOWN if filename.lower().endswith((".md", ".markdown")) else TEXT


def sniff(
    content: bytes, filename: str, allowed: Collection[str], *, field: str = "file", noun: str = "the file"
) -> str:
    """The content's type when it is one of `allowed`; otherwise RuleViolation naming `field` that says what is
    accepted (and, for SVG or HTML, that such files can carry script). `noun` names the file in the message."""
    found = detect(content, filename)
    if found in allowed:
        return found
    # Markdown is plain text with a name ending in .md: the message names plain text once.
    accepted = _words([NAMES.get(t, t) for t in allowed if t != MARKDOWN or TEXT not in allowed])
    if found in SCRIPTABLE:
        raise RuleViolation(
            f"{noun} is {NAMES[found]}, which can carry script, and is refused; it must be {accepted}", field=field
        )
    if found == ZIP and DOCX in allowed:
        raise RuleViolation(f"{noun} is a zip file but not a Word document", field=field)
    raise RuleViolation(f"{noun} must be {accepted}", field=field)


def _markup(text: str, tag: str) -> bool:
    rest = text.lstrip("\ufeff \t\r\n").lower()
    while rest.startswith(("<?xml", "<!--")) or (
        rest.startswith("<!doctype") and not rest.startswith("<!doctype html")
    ):
        end = rest.find("-->") + 3 if rest.startswith("<!--") else rest.find(">") + 1
        if end <= 0:
            return False
        rest = rest[end:].lstrip(" \t\r\n")
    return rest.startswith(f"<{tag}") and (len(rest) == len(tag) + 1 or not rest[len(tag) + 1].isalnum())


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
