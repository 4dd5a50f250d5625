"""Corrections by reply, and our own receipts when they come back.

A coordinator answers a receipt with just the change:

- "Fråga 2: Påverkan 3" / "Fråga 2, Hot och våld: ny text. Påverkan: 3"
  (read by the extractor: a few template questions filled in again);
- "Påverkan på fråga 2 är 3", "fråga 2 ska vara 3, inte 4" (`phrased_ratings`);
- the receipt's table pasted back with one value changed
  ("2.  Hot och våld     3 (Oroande)", `table_ratings`).

Our receipts' own lines ("Så här uppfattade vi rapporten:", the table, "Det
här är ett automatiskt svar från ...") are never answers: `strip_receipt`
takes them out of the blocks before the extractor sees them.
"""

from __future__ import annotations

import re

from . import rating_summary
from .directory import fold
from .model import Block
from .questions import BY_NUMBER
from .ratings import Rating, parse_value
from .vocabulary import MONTH_NAMES

# The receipt's wording (outbox_templates/receipt.*.j2), folded.
_RECEIPT_MARKERS = re.compile(
    r"sa har uppfattade vi rapporten"
    r"|det har ar ett automatiskt svar fran"
    r"|tack for lagesbilden\. vi har tagit emot den"
    r"|skicka garna en rattad version som svar pa det har mejlet"
    r"|vi kunde inte lasa in nagon lagesbild ur det"
    r"|vi hittade ingen lagesbild i det, sa det lamnas till en handlaggare"
)
_RECEIPT_PROSE = re.compile(
    r"^(?:>\s*)*(?:hej!?|tack for (?:lagesbilden|ditt mejl)\b.*|den (?:kom in|ersatter)\b.*"
    r"|sa har uppfattade vi rapporten:?|att atgarda:?|vi hittade inga fel i rapporten\.?"
    r"|skicka garna en rattad version.*|det har ar ett automatiskt svar fran.*|fraga|paverkan|fraga paverkan"
    r"|med vanlig halsning|lansstyrelsen\b.*|- .*)$"
)
_TITLES = {q.number: fold(q.title) for q in BY_NUMBER.values()}
# "2.  Hot och våld                          3 (Oroande)"; the rating may sit in the next cell.
_TABLE_ROW = re.compile(r"^(?:>\s*)*(?P<n>[1-7])\.\s+(?P<title>[a-z/ ,]+?)"
                        r"(?:\s{2,}|\s*\t\s*|\s+(?=[0-9–-]|saknas|gr|gul|ro))(?P<rating>.*)$")
_TABLE_ROW_ALONE = re.compile(r"^(?:>\s*)*(?P<n>[1-7])\.\s+(?P<title>[a-z/ ,]+?)\s*$")
_MAX_ROW = 200  # a receipt table row is short; longer lines are not looked at
_RATING_CELL = re.compile(r"^\s*(?:[1-5](?:\s*\([a-z]+\))?|gront|gult|rott|saknas(?: i rapporten)?|–|-)\s*$")


_RECEIPT_ITSELF = re.compile(r"det har ar ett automatiskt svar\b|tack for lagesbilden\. vi har tagit emot den"
                             r"|vi hittade ingen lagesbild i det, sa det lamnas till en handlaggare")


def is_receipt(blocks: list[Block]) -> bool:
    """True when `blocks` hold a whole receipt or reply of ours (its greeting or its closing line)."""
    return any(_RECEIPT_ITSELF.search(fold(b.text)) for b in blocks if b.text)


def mentions_receipt(blocks: list[Block]) -> bool:
    """True when `blocks` hold one of our receipts' sentences."""
    return any(_RECEIPT_MARKERS.search(fold(b.text)) for b in blocks if b.text)


def _table_row(blocks: list[Block], i: int) -> tuple[int, str, int] | None:
    """(question, rating text, blocks used) for a receipt table row at `i`."""
    if len(blocks[i].text) > _MAX_ROW:
        return None
    folded = fold(blocks[i].text.strip())
    m = _TABLE_ROW.match(folded)
    if m and m.group("title").strip() == _TITLES[int(m.group("n"))] and _RATING_CELL.match(m.group("rating")):
        return int(m.group("n")), m.group("rating").strip(), 1
    m = _TABLE_ROW_ALONE.match(folded)
    if m and m.group("title").strip() == _TITLES[int(m.group("n"))] and i + 1 < len(blocks):
        following = re.sub(r"^(?:>\s*)+", "", fold(blocks[i + 1].text.strip())[:_MAX_ROW])
        if _RATING_CELL.match(following):
            return int(m.group("n")), following, 2
    return None


def strip_receipt(blocks: list[Block]) -> tuple[list[Block], dict[int, str]]:
    """Remove a receipt's table and wording; return (the other blocks, {question: rating text}).

    Table rows are recognised by their exact shape (number, the template's
    title, a rating or "saknas"), wherever they stand; the receipt's prose
    only when the blocks mention a receipt at all.
    """
    receipt = mentions_receipt(blocks)
    kept: list[Block] = []
    table: dict[int, str] = {}
    summary = False  # past the title of the report's own table of ratings: its rows are the report's
    i = 0
    while i < len(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        summary = summary or (not receipt and rating_summary.starts(blocks[i], following))
        row = None if summary else _table_row(blocks, i)
        if row is not None:
            table.setdefault(row[0], row[1])
            i += row[2]
            continue
        if receipt and _RECEIPT_PROSE.match(fold(blocks[i].text.strip())):
            i += 1
            continue
        kept.append(blocks[i])
        i += 1
    return kept, table


def table_rating(text: str) -> Rating | None:
    """The rating of a receipt table cell ("3 (Oroande)", "Gult"); None for "saknas" and "–"."""
    if text.startswith(("saknas", "–", "-")):
        return None
    parsed = parse_value(text)
    return parsed if parsed is not None and parsed.invalid is None else None


_QUESTION = r"fr[aå]ga\s*(?:nr\.?\s*)?(?P<n>[1-7])"
_VALUE = r"(?P<v>[1-5]|gront|gult|rott|gron|gul|rod|normalt|avvikande|oroande|allvarligt|kritiskt)"
_PHRASES = (
    # "Påverkan på fråga 2 är 3", "påverkansgraden för fråga 2 ska vara 3"
    re.compile(r"paverkan(?:sgrad(?:en)?)?\s+(?:pa|for|i)\s+" + _QUESTION
               + r"\s*(?:ar|blir|:|=|ska(?:ll)? vara|ska(?:ll)? andras till|andras till)\s*" + _VALUE + r"\b"),
    # "fråga 2 ska vara 3, inte 4", "fråga 2 har påverkan 3", "fråga 2 ändras till 3"
    re.compile(_QUESTION + r"\s*(?:ska(?:ll)?|bor)\s+(?:vara|ha|bli|andras till)\s+(?:paverkan\s*)?" + _VALUE + r"\b"),
    re.compile(_QUESTION + r"\s*(?:har|far|ska ha)\s+paverkan(?:sgrad(?:en)?)?\s*:?\s*" + _VALUE + r"\b"),
    re.compile(_QUESTION + r"\s*(?:andras|rattas)\s+till\s+(?:paverkan\s*)?" + _VALUE + r"\b"),
    # "Fråga 2: 3", "fråga 2 = Gult" alone on a line
    re.compile(r"^\s*" + _QUESTION + r"\s*[:=\-–]\s*(?:paverkan\s*)?" + _VALUE + r"(?:\s*\([a-z]+\))?\s*[.!]?\s*$"),
    # "Hej! Fråga 2: Påverkan 3" in a sentence (a line starting with "Fråga 2:" is a heading)
    re.compile(r"(?<=[!.,;] )" + _QUESTION + r"\s*[:,.\-–]?\s*paverkan(?:sgrad(?:en)?)?\s*[:=]?\s*" + _VALUE + r"\b"),
)
_MAX_LINE = 400


def phrased_ratings(blocks: list[Block]) -> tuple[dict[int, Rating], list[Block]]:
    """Ratings changed in prose: ({question: rating}, the blocks without those lines).

    The first mention of each question wins.
    """
    found: dict[int, Rating] = {}
    rest: list[Block] = []
    for block in blocks:
        folded = fold(block.text[:_MAX_LINE])
        hit = False
        for pattern in _PHRASES:
            for m in pattern.finditer(folded):
                number = int(m.group("n"))
                rating = parse_value(m.group("v"))
                if rating is not None and rating.invalid is None and BY_NUMBER[number].rated:
                    found.setdefault(number, rating)
                    hit = True
        if not hit:
            rest.append(block)
    return found, rest


_COUNTED_FOR = re.compile(r"raknat den for [^,\n]{1,40}, (" + "|".join(MONTH_NAMES) + r") (20\d\d)\b")


def receipt_period(blocks: list[Block]) -> str | None:
    """YYYY-MM of the month a quoted receipt of ours counted ("... räknat den för Mora, oktober 2026.")."""
    for block in blocks[:2000]:
        m = _COUNTED_FOR.search(fold(block.text[:_MAX_LINE]))
        if m:
            return f"{m.group(2)}-{MONTH_NAMES.index(m.group(1)) + 1:02d}"
    return None
