"""Split a mail body into the sender's own text and the quoted remainder.

Works on blocks from any reader. HTML quotes arrive as "> "-prefixed lines
(see `parsers.html_reader`), so plain text and HTML are handled alike.

The remainder starts at the first quote marker:
- a line starting with ">";
- a separator: "-----Original Message-----", "-----Ursprungligt meddelande-----",
  "---------- Forwarded message ---------", "-------- Vidarebefordrat
  meddelande --------", "Begin forwarded message:";
- a header block: "Från:/From:" and, in the lines right after it, a date
  ("Skickat:/Datum:/Sent:/Date:"), "Till:/To:" (or "Kopia:/Cc:") and
  "Ämne:/Subject:", optionally preceded by Outlook's "____" rule;
- an attribution line ("Den 3 nov. 2026 kl. 10:12 skrev Anna <a@x.se>:",
  "On Tue, 3 Nov 2026 at 10:12, X wrote:"): ends in ":", says skrev/wrote,
  starts like a date or holds an address, and holds a time or an address;
  also when wrapped over two lines.
A lone "Från: skolan ..." in a report is not a marker: the whole header
shape is required.
"""

from __future__ import annotations

import re

from parsers.model import Block

_QUOTED = re.compile(r"^\s*>(?!=?\s*\d)")
_ONE_LEVEL = re.compile(r"^\s*> ?")
_SEPARATOR = re.compile(
    r"^-{2,}\s*(original message|ursprungligt meddelande|originalmeddelande"
    r"|ursprüngliche nachricht|message d'origine|forwarded message"
    r"|vidarebefordrat (meddelande|brev)|weitergeleitete nachricht"
    r"|message transféré)\s*-{2,}$"
    r"|^(begin forwarded message|början (på|av) vidarebefordrat (meddelande|brev))\s*:$",
    re.I,
)
_RULE = re.compile(r"^_{10,}$")
_HEADER = re.compile(r"^\*?([^\W\d_][\w -]{0,20}?)\*?\s*:(?:\s|$)")
_KEYS = {
    "from": {"från", "from", "von", "de", "fra"},
    "date": {"skickat", "datum", "sent", "date", "gesendet", "envoyé", "sendt", "dato"},
    "to": {"till", "to", "an", "à", "til", "kopia", "cc", "kopie"},
    "subject": {"ämne", "subject", "betreff", "objet", "emne"},
    "other": {"bifogade filer", "bifogat", "attachments", "importance", "prioritet",
              "svara till", "reply-to", "bcc", "hemlig kopia"},
}
_ALL_KEYS = set().union(*_KEYS.values())
_WROTE = re.compile(r"\b(skrev|wrote|schrieb|a écrit|skreiv|kirjoitti|escribió)\b", re.I)
_OPENER = re.compile(
    r"^(den|on|am|le|el|op|\d+|(mån|tis|ons|tor|fre|lör|sön|mon|tue|wed|thu|fri|sat|sun)\w*)\b",
    re.I,
)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_MAX_ATTRIBUTION = 300
_HEADER_WINDOW = 8
_MAX_FORWARD_DEPTH = 5


def split_reply(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """Return (own text, quoted or forwarded remainder from the first marker on)."""
    texts = [b.text.strip() for b in blocks]
    for index in range(len(blocks)):
        if _starts_quote(texts, index):
            if index > 0 and _RULE.match(texts[index - 1]):
                index -= 1
            return blocks[:index], blocks[index:]
    return list(blocks), []


def strip_quote_prefix(blocks: list[Block], levels: int = 1) -> list[Block]:
    """Remove up to `levels` leading "> " quote levels from each block.

    Blocks left empty by the removal are dropped unless they are shaded cells.
    """
    result = []
    for block in blocks:
        text = block.text
        for _ in range(levels):
            text = _ONE_LEVEL.sub("", text, count=1)
        if text.strip() or block.fill or text == block.text:
            result.append(Block(text, cell=block.cell, fill=block.fill))
    return result


def forwarded_body(remainder: list[Block]) -> list[Block]:
    """Return the forwarded message's own text from a `split_reply` remainder.

    Removes one quote level, the separator/attribution line and the header
    block, then cuts what the forwarded message quotes in turn. A forward of
    a forward (empty own text) is followed down a few levels.
    """
    body = remainder
    for _ in range(_MAX_FORWARD_DEPTH):
        body = _drop_header(strip_quote_prefix(body))
        own, rest = split_reply(body)
        if own or not rest:
            return own
        body = rest
    return []


def _drop_header(blocks: list[Block]) -> list[Block]:
    texts = [b.text.strip() for b in blocks]
    index = 0
    while index < len(texts):
        text = texts[index]
        if not text or _RULE.match(text) or _SEPARATOR.match(text) or _header_key(text):
            index += 1
        elif (length := _attribution_length(texts, index)) and index < 3:
            index += length
        else:
            break
    return blocks[index:]


def _starts_quote(texts: list[str], index: int) -> bool:
    text = texts[index]
    return bool(
        _QUOTED.match(text)
        or _SEPARATOR.match(text)
        or _is_header_block(texts, index)
        or _attribution_length(texts, index)
    )


def _header_key(text: str) -> str | None:
    match = _HEADER.match(text)
    if match and match.group(1).strip().lower() in _ALL_KEYS:
        return match.group(1).strip().lower()
    return None


def _is_header_block(texts: list[str], index: int) -> bool:
    """True when a run of mail header lines starts at `index` (From first)."""
    first = _header_key(texts[index])
    if first not in _KEYS["from"] and first not in _KEYS["subject"]:
        return False
    found: set[str] = set()
    strays = 0
    for text in texts[index : index + _HEADER_WINDOW]:
        if not text:
            continue
        key = _header_key(text)
        if key is None:
            strays += 1  # a wrapped "Till:" line may continue on the next line
            if strays > 1:
                break
            continue
        strays = 0
        found.update(kind for kind, names in _KEYS.items() if key in names)
    return {"from", "date", "to", "subject"} <= found


def _attribution_length(texts: list[str], index: int) -> int:
    """1 or 2 when an "... skrev:"/"... wrote:" line starts at `index`, else 0."""
    one = texts[index]
    if _is_attribution(one):
        return 1
    if index + 1 < len(texts) and not one.endswith(":") and _OPENER.match(one):
        if _is_attribution(f"{one} {texts[index + 1]}"):
            return 2
    return 0


def _is_attribution(text: str) -> bool:
    """ "Den 3 nov. 2026 kl. 10:12 skrev Anna <anna@x.se>:", "On ..., X wrote:"."""
    if len(text) > _MAX_ATTRIBUTION or not text.endswith(":") or not _WROTE.search(text):
        return False
    address = _ADDRESS.search(text) is not None
    return (_OPENER.match(text) is not None or address) and (address or bool(_TIME.search(text)))
