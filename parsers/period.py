"""Which month a report covers: "oktober månad", "Lägesbild okt 2026", "2026-09"."""

from __future__ import annotations

import re
from datetime import date

from .directory import fold

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dec": 12,
}
_FULL = "|".join(MONTHS)
_ABBR = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
# "(\s*,)?\s*", not "\s*,?\s*": the same language, but the latter tries every split of a
# long run of spaces between its two "\s*" (100,000 spaces after a month took 34 s).
_YEAR = r"(?:(?:\s*,)?\s*(?P<year>20\d\d))?"
_NAMED = re.compile(rf"(?<![a-z])(?P<month>{_FULL})(?:manad|s)?(?![a-z]){_YEAR}")
_ABBREVIATED = re.compile(rf"(?<![a-z])(?P<month>{_ABBR})\.?(?![a-z]){_YEAR}")
_NUMERIC = re.compile(r"(?<!\d)(?P<year>20\d\d)[-_./ ]?(?P<month>0[1-9]|1[0-2])(?![\d])")
_NUMERIC_MY = re.compile(r"(?<![\d-])(?P<month>0?[1-9]|1[0-2])[/.-](?P<year>20\d\d)(?![\d])")


def find_month(text: str, *, abbreviations: bool = True) -> tuple[int, int | None] | None:
    """(month, year or None) of the first month named in `text`."""
    folded = fold(text)
    hits = []
    patterns = [(_NAMED, MONTHS), (_NUMERIC, None), (_NUMERIC_MY, None)]
    if abbreviations:
        patterns.append((_ABBREVIATED, ABBREVIATIONS))
    for pattern, names in patterns:
        m = pattern.search(folded)
        if m:
            month = names[m.group("month")] if names else int(m.group("month"))
            year = int(m.group("year")) if m.group("year") else None
            hits.append((m.start(), month, year))
    if not hits:
        return None
    _, month, year = min(hits)
    return month, year


def resolve_year(month: int, year: int | None, sent: date | None) -> str:
    """YYYY-MM; without a year, the latest such month not after the month sent."""
    if year is None:
        reference = sent or date.today()
        year = reference.year if month <= reference.month else reference.year - 1
    return f"{year:04d}-{month:02d}"


_WEEK = re.compile(r"(?<![a-z])(?:vecka|veckorna|v\.?)\s*(\d{1,2})(?:\s*(?:-|–|och|&|/)\s*(?:v\.?\s*)?(\d{1,2}))?(?!\d)")


def find_week_period(text: str, sent: date | None) -> str | None:
    """YYYY-MM for a biweekly report named by ISO weeks ("Lägesbild v. 44-45"): the month
    of the Thursday of the last week named, in the year it was sent."""
    m = _WEEK.search(fold(text))
    if not m:
        return None
    week = int(m.group(2) or m.group(1))
    year = (sent or date.today()).isocalendar()[0]
    if sent is not None and week > sent.isocalendar()[1] + 1:
        year -= 1  # "v. 52" sent in January
    try:
        thursday = date.fromisocalendar(year, week, 4)
    except ValueError:
        return None
    return f"{thursday.year:04d}-{thursday.month:02d}"
