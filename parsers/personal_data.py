"""Swedish personal identity numbers (personnummer) in report text.

A candidate is 6 or 8 digits of birth date, an optional "-" or "+", and 4
more digits; it counts only when the `personnummer` package accepts it
(valid date, or coordination number, and a correct Luhn check digit).
Diary numbers ("Dnr 2026-1234"), dates and phone numbers do not.
"""

from __future__ import annotations

import re

from personnummer import personnummer

_CANDIDATE = re.compile(r"(?<![\d-])((?:19|20)?\d{6})\s?([-+]?)\s?(\d{4})(?![\d-])")


def _is_personal_number(m: re.Match) -> bool:
    if not m.group(2) and len(m.group(1)) == 6 and m.group(1).startswith("07"):
        return False  # 07xxxxxxxx without a dash is a Swedish mobile number
    candidate = f"{m.group(1)}{m.group(2) or '-'}{m.group(3)}"
    try:
        return bool(personnummer.valid(candidate))
    except Exception:  # noqa: BLE001 - the library raises on some malformed input
        return False


def find_personal_numbers(text: str) -> list[str]:
    return [m.group(0) for m in _CANDIDATE.finditer(text) if _is_personal_number(m)]


def mask(text: str) -> str:
    """Replace every personal identity number with its birth date and XXXX (one pass, linear)."""
    def masked(m: re.Match) -> str:
        number = m.group(0)
        return number[:-4] + "XXXX" if _is_personal_number(m) else number

    return _CANDIDATE.sub(masked, text)
