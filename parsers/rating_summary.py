"""Ratings gathered in a table after the answers.

Some reports put every rating in one table at the end, "Sammanfattning av
bedömningar" with the columns Fråga | Påverkan. The rows belong to their
questions; the table is neither answer text nor a new template, so its
question titles fire no signal. Readers give the table cell by cell (Word,
HTML) or line by line ("1. Ordningsstörningar och otrygghet: 3", a PDF's
text layer); both are read here, row by row: a question, then its rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .directory import fold
from .model import Block
from .questions import match_heading
from .ratings import Rating, color_from_fill, is_blank, parse_bare, parse_value, split_label

_PER_QUESTION = r"(?:\s+(?:per|for|av)\s+(?:fraga|fragorna|fragor|omrade|omraden)(?:\s+1\s*[-–]\s*[67])?)?\s*:?$"
_TITLE = re.compile(
    r"^(?:\d+[.)]?\s*)?(?:sammanfattning|sammanstallning|oversikt|summering)(?:\s+(?:av|over|for))?"
    r"(?:\s+(?:alla|de|samtliga|manadens))?[\s:–-]+"
    r"(?:bedomningar(?:na)?|paverkan(?:sgrad(?:er(?:na)?)?)?|betyg(?:en)?|nivaer(?:na)?|skattningar(?:na)?"
    r"|graderingar(?:na)?)" + _PER_QUESTION
    + r"|^(?:\d+[.)]?\s*)?(?:bedomningar(?:na)?|paverkansgrader(?:na)?|skattningar(?:na)?|graderingar(?:na)?)"
    + _PER_QUESTION
)
_COLUMN = re.compile(r"^(?:fraga|fragor|nr|#|omrade|rubrik|kategori|fragestallning)$")
_RATING_COLUMN = re.compile(r"^(?:paverkan(?:sgrad)?|bedomning|betyg|niva|skattning|gradering)\b.{0,12}$")
_NO_RATING = re.compile(r"^(?:[-–—/x]|ej\s+\w+|inte\s+\w+|saknas|ingen|n/?a|--)$")
_TAIL = re.compile(r"^(.*?)[\s:|–—-]+((?:\S+\s*){1,3})$")
MAX_SKIPPED = 20  # characters of a cell that is neither question nor rating (a comment column)


def starts(block: Block, following: Block | None, after_answers: bool = True) -> bool:
    """Whether the summary table starts at `block` (its title, or the header cells Fråga | Påverkan).

    Header cells alone count only `after_answers`: before them they head the
    template's own table (Fråga | Påverkan | Kommentar).
    """
    folded = fold(block.text).strip().rstrip(":")
    if len(folded) <= 80 and _TITLE.match(folded):
        return True
    return bool(after_answers and block.cell and following is not None and following.cell and _COLUMN.match(folded)
                and _RATING_COLUMN.match(fold(following.text).strip()))


@dataclass
class SummaryTable:
    """Reads the rows of a summary table, one block at a time."""

    ratings: dict[int, Rating] = field(default_factory=dict)
    pending: int | None = None  # the question of the row being read
    seen: set[int] = field(default_factory=set)  # questions named in the table
    rated_last: bool = False  # the block before was a row's rating
    repeated: bool = False  # the table ended at a question it had named already

    def feed(self, block: Block, following: Block | None = None) -> bool:
        """Take `block` if it belongs to the table; False where the table has ended.

        `following` is the next block: a number cell followed by its question's
        title is the row's number, not the rating of the row before.
        """
        text = block.text.strip().strip("|").strip()  # "| 2. Hot och våld | 3 |" (a table typed as text)
        if not text:
            if self.pending is not None and block.fill and (color := color_from_fill(block.fill)):
                self._rate(Rating(color=color))  # a cell showing the light by its shading only
            return True
        folded = fold(text).rstrip(":").strip()
        if _COLUMN.match(folded) or _RATING_COLUMN.match(folded) and split_label(text)[1] == "":
            return True  # the column titles
        heading = match_heading(text)
        if heading is not None and heading.number in self.seen:
            self.repeated = True
            return False  # the questions again: the answers follow a table printed first
        if heading is None and (m := _TAIL.match(text)):
            head = match_heading(m.group(1))
            if head is not None and not head.rest and self._rating(m.group(2)) is not None:
                if head.number in self.seen:
                    self.repeated = True
                    return False
                self.seen.add(head.number)
                self.pending = head.number
                self._rate(self._rating(m.group(2)))
                return True
        if heading is not None:
            self.seen.add(heading.number)
            self.pending = heading.number
            rest = heading.rest.strip("|:–- \t")
            if rest and (rating := self._rating(rest)) is not None:
                self._rate(rating)
            return True
        if re.fullmatch(r"[1-7][.)]?", text) and block.cell and (
                self.pending is None or text[0] in "67" or _titled(following, int(text[0]))):
            if int(text[0]) in self.seen:
                self.repeated = True
                return False
            self.pending = int(text[0])
            return True  # a question number in its own cell ("Nr | Fråga | Påverkan")
        if self.pending is not None and is_blank(text):
            self.pending = None  # left as the template printed it: no rating for that row
            return True
        if self.pending is not None:
            rating = self._rating(text)
            if rating is not None:
                self._rate(rating)
                return True
        comment = block.cell and self.pending is None and self.rated_last  # a comment column after the rating
        self.rated_last = False
        return comment or len(text) <= MAX_SKIPPED or bool(_NO_RATING.match(folded))

    def _rating(self, text: str) -> Rating | None:
        is_label, value = split_label(text)
        if is_label:
            return parse_value(value) or (Rating(invalid=value) if value and not is_blank(value) else None)
        if is_blank(text):
            return None
        return parse_bare(text)

    def _rate(self, rating: Rating | None) -> None:
        if rating is not None and self.pending is not None:
            self.ratings.setdefault(self.pending, rating)
            self.pending = None
            self.rated_last = True


def _titled(block: Block | None, number: int) -> bool:
    """Whether `block` is the title of question `number`, without a number of its own."""
    heading = match_heading(block.text.strip()) if block is not None and block.text else None
    return heading is not None and heading.number == number and not heading.explicit
