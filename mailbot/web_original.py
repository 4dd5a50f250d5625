"""A held mail's original as the Granska page shows it: headers, text and attachments (pure, bounded).

The stored raw bytes are taken apart with `parsers.mime` (the standard
library's `email` package with the poll's limits on lines, parts and
nesting), so a hostile mail costs the page no more than it cost the poll.
Attachments are numbered in the order `collect_parts` finds them; the same
function serves the list and the download, so number n is always the same
file. Nothing here escapes HTML: the templates do (autoescape), and a file
is only ever sent as a download.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from parsers.html_reader import html_to_blocks
from parsers.mime import collect_parts, header, parse_bytes

MAX_TEXT_CHARS = 20_000  # of the mail's text shown on the page
LIST_DECODE_BYTES = 2 * 1024 * 1024  # a larger attachment is sized from its encoded text, not decoded, for the list
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class File:
    number: int  # 1-based: /granska/<ref>/bilaga/<number>
    name: str
    content_type: str
    size: int  # bytes
    estimated: bool  # sized from the encoded text (a large file, not decoded for the list)

    @property
    def size_text(self) -> str:
        return ("ca " if self.estimated else "") + size_words(self.size)


@dataclass(frozen=True)
class Original:
    sender: str
    to: str
    date: str
    subject: str
    text: str
    truncated: bool  # the text was cut at MAX_TEXT_CHARS
    from_html: bool  # the mail had no plain text: this is the HTML part's visible text
    files: tuple[File, ...]
    attached_mails: int  # forwarded mails inside (message/rfc822): in the original .eml


def read_original(raw: bytes) -> Original:
    msg = parse_bytes(raw)
    parts = collect_parts(msg, max_bytes=LIST_DECODE_BYTES)
    from_html = not any(t.strip() for t in parts.plain) and bool(parts.html)
    if from_html:
        text = "\n\n".join("\n".join(b.text for b in html_to_blocks(h)) for h in parts.html)
    else:
        text = "\n\n".join(t.strip("\n") for t in parts.plain)
    files = tuple(
        File(n, _display_name(a.filename, n), a.content_type, a.oversize or len(a.data), bool(a.oversize))
        for n, a in enumerate(parts.attachments, start=1))
    return Original(
        sender=header(msg, "From"), to=header(msg, "To"), date=header(msg, "Date"), subject=header(msg, "Subject"),
        text=text[:MAX_TEXT_CHARS], truncated=len(text) > MAX_TEXT_CHARS, from_html=from_html, files=files,
        attached_mails=len(parts.forwarded))


def attachment(raw: bytes, number: int) -> tuple[str, bytes] | None:
    """(file name, decoded bytes) of attachment `number` (1-based), or None when there is no such part."""
    if number < 1:
        return None
    found = collect_parts(parse_bytes(raw)).attachments
    if number > len(found):
        return None
    part = found[number - 1]
    return _display_name(part.filename, number), part.data


def _display_name(filename: str | None, number: int) -> str:
    name = "".join(c for c in (filename or "") if unicodedata.category(c)[0] != "C").strip()
    return name[:MAX_NAME_CHARS] or f"bilaga-{number}"


def content_disposition(filename: str) -> str:
    """`attachment` with a plain ASCII file name and the real one per RFC 5987 (`filename*`)."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._")[:100] or "bilaga"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def size_words(size: int) -> str:
    """'512 byte', '12 kB', '3,4 MB' (Swedish decimal comma)."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
