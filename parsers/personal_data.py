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


def find_personal_numbers(text: str) -> list[str]:
    found = []
    for m in _CANDIDATE.finditer(text):
        if not m.group(2) and len(m.group(1)) == 6 and m.group(1).startswith("07"):
            continue  # 07xxxxxxxx without a dash is a Swedish mobile number
        candidate = f"{m.group(1)}{m.group(2) or '-'}{m.group(3)}"
        try:
            if personnummer.valid(candidate):
                found.append(m.group(0))
        except Exception:  # noqa: BLE001 - the library raises on some malformed input
            continue
    return found


_MASK_BY_REPLACE = 50  # distinct numbers masked wherever they occur; more: where they were found


def mask(text: str) -> str:
    """Replace every personal identity number with its birth date and XXXX.

    Linear in the text: each distinct number is replaced once, and a text with
    thousands of them (hostile) is masked in one pass over the matches.
    """
    numbers = dict.fromkeys(find_personal_numbers(text))
    if len(numbers) <= _MASK_BY_REPLACE:
        for number in numbers:
            text = text.replace(number, _masked(number))
        return text
    return _CANDIDATE.sub(lambda m: _masked(m.group(0)) if m.group(0) in numbers else m.group(0), text)


def _masked(number: str) -> str:
    return re.sub(r"\d{4}$", "XXXX", number)
