"""Which month a report covers: "oktober månad", "Lägesbild okt 2026", "2026-09"."""

from __future__ import annotations

import re
from datetime import date

from .directory import fold
from .vocabulary import ENGLISH_MONTH_NAMES, MONTH_ABBREVIATIONS, MONTH_NAMES

MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
ABBREVIATIONS = {name: number for number, name in enumerate(MONTH_ABBREVIATIONS, start=1) if name not in MONTHS}
ABBREVIATIONS["sept"] = 9
ENGLISH = {name: number for number, name in enumerate(ENGLISH_MONTH_NAMES, start=1) if name and name not in MONTHS}
_FULL = "|".join([*MONTHS, *ENGLISH])
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
    patterns = [(_NAMED, MONTHS | ENGLISH), (_NUMERIC, None), (_NUMERIC_MY, None)]
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


def resolve_year(month: int, year: int | None, sent: date | None, today: date) -> str:
    """YYYY-MM; without a year, the latest such month not after the month sent (else `today`'s)."""
    if year is None:
        reference = sent or today
        year = reference.year if month <= reference.month else reference.year - 1
    return f"{year:04d}-{month:02d}"


_WEEK = re.compile(
    r"(?<![a-z])(?:vecka|veckorna|v\.?)\s*(\d{1,2})(?:\s*(?:-|–|och|&|/)\s*(?:v\.?\s*)?(\d{1,2}))?(?!\d)")


def find_week_period(text: str, sent: date | None, today: date) -> str | None:
    """YYYY-MM for a biweekly report named by ISO weeks ("Lägesbild v. 44-45"): the month
    of the Thursday of the last week named, in the year it was sent (else `today`'s year)."""
    m = _WEEK.search(fold(text))
    if not m:
        return None
    week = int(m.group(2) or m.group(1))
    year, this_week, _ = (sent or today).isocalendar()
    if week > this_week + 1:
        year -= 1  # "v. 52" sent in January
    try:
        thursday = date.fromisocalendar(year, week, 4)
    except ValueError:
        return None
    return f"{thursday.year:04d}-{thursday.month:02d}"


_FULL_DATE = re.compile(r"(?<!\d)(?:20\d\d-\d\d-\d\d|\d{1,2}[/.]\d{1,2}[/.](?:20)?\d\d)(?!\d)")
_DAY_MONTH = re.compile(rf"(?<![\d])\d{{1,2}}(?::?e)?\s*(?:{_FULL}|{_ABBR})(?![a-z])")
_DATE_LABEL = re.compile(r"^\s*(?:datum|skickat|date|sent|upprattad|uppdaterad|senast|inlamnad|deadline)\b")


def find_named_month(text: str) -> tuple[int, int | None] | None:
    """The month a subject or file name names, never a date's: "Lägesbild Mora 2026-11-05" names none."""
    return find_month(_FULL_DATE.sub(" ", text))


_ISO_DATE = re.compile(r"(?<!\d)(20\d\d)-(0[1-9]|1[0-2])-\d\d(?!\d)")


def _range_month(folded: str) -> tuple[int, int | None] | None:
    """ "Period: 2026-10-01 – 2026-10-31": two or more dates, all in one month, name that month."""
    dates = {(int(m.group(2)), int(m.group(1))) for m in _ISO_DATE.finditer(folded[:300])}
    count = len(_ISO_DATE.findall(folded[:300]))
    return dates.pop() if count >= 2 and len(dates) == 1 else None


def find_heading_month(lines: list[str]) -> tuple[int, int | None] | None:
    """(month, year or None) named by a document's title lines, where dates are not periods.

    "Sociala risker, november månad", "Lägesbild oktober 2026", "2026-10" count;
    "Datum: 2026-11-03", "Mora 3 november 2026" (a day and a month) do not.
    """
    for line in lines:
        folded = fold(line)
        if _DATE_LABEL.match(folded):
            continue
        cleaned = _DAY_MONTH.sub(" ", _FULL_DATE.sub(" ", folded))
        found = find_month(cleaned, abbreviations=False) or _range_month(folded)
        if found:
            return found
    return None


def month_label(period: str) -> str:
    """'2026-10' -> 'oktober 2026'."""
    year, month = period.split("-")
    name = next(n for n, number in MONTHS.items() if number == int(month))
    return f"{name} {year}"
