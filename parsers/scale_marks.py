"""A printed scale "1 2 3 4 5" with the chosen number marked by formatting.

Word users often answer "Påverkan: 1 2 3 4 5" by highlighting, shading,
bolding or drawing a circle around one number. The readers know the
formatting of each piece of text; this module turns a marked scale into the
checkbox form the rating parser reads ("☐1 ☐2 ☒3 ☐4 ☐5"), so that a marked
number is read as a ticked box, none marked as no rating and several marked
as an invalid one. A mark that every number carries (a bold line) is style,
not a choice.
"""

from __future__ import annotations

import re

TICKED = "☒"
UNTICKED = "☐"
SCALE = ("1", "2", "3", "4", "5")
CIRCLE = "circle"  # a shape drawn around a number (marks the number next to it)
MAX_LABEL = 40  # characters of other text on a scale line ("Påverkan (1-5):")

# Circled digits typed as characters: "1 2 ③ 4 5".
CIRCLED = {chr(base + i): str(i + 1) for base in (0x2460, 0x2776, 0x2780, 0x278A) for i in range(5)}

Part = tuple[str, frozenset[str]]
_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"[(\[]?([1-5])[)\].,:;|]?")


def chosen(marks: list[frozenset[str]]) -> set[int]:
    """Indexes of the marked numbers: any mark that some but not all of them carry."""
    result: set[int] = set()
    for kind in set().union(*marks):
        having = {i for i, kinds in enumerate(marks) if kind in kinds}
        if len(having) < len(marks):
            result |= having
    return result


def boxes(marked: set[int]) -> str:
    return " ".join(f"{TICKED if i in marked else UNTICKED}{n}" for i, n in enumerate(SCALE))


def mark_line(parts: list[Part]) -> str | None:
    """The line with its scale as checkboxes, or None when it is no scale line.

    `parts` are the pieces of one line with the marks of each ("bold",
    "highlight", "shade", ...); an empty piece marked CIRCLE stands where a
    circle shape was anchored and marks the number after it (else before it).
    """
    tokens: list[tuple[int, int, str, set[str]]] = []  # start, end, text, marks in the joined line
    circles: list[int] = []  # token positions a circle stands before
    offset = 0
    for text, kinds in parts:
        if CIRCLE in kinds and not text.strip():
            circles.append(len(tokens))
        for m in _TOKEN.finditer(text):
            token, marks = m.group(0), set(kinds)
            if len(token) == 1 and token in CIRCLED:
                token, marks = CIRCLED[token], marks | {CIRCLE}
            tokens.append((offset + m.start(), offset + m.end(), token, marks))
        offset += len(text)
    numbers = [k for k, token in enumerate(tokens) if _NUMBER.fullmatch(token[2])]
    if [_NUMBER.fullmatch(tokens[k][2]).group(1) for k in numbers] != list(SCALE):  # type: ignore[union-attr]
        return None
    if numbers[-1] - numbers[0] != 4 and any(
            not re.fullmatch(r"[|/,;–-]", tokens[k][2]) for k in range(numbers[0], numbers[-1] + 1)
            if k not in numbers):
        return None  # words between the numbers: prose, not a scale
    line = "".join(text for text, _ in parts)
    if len(line) - (tokens[numbers[-1]][1] - tokens[numbers[0]][0]) > MAX_LABEL:
        return None
    for position in circles:
        after = [k for k in numbers if k >= position]
        before = [k for k in numbers if k < position]
        target = after[0] if after and (after[0] == position or not before) else (before[-1] if before else None)
        if target is not None:
            tokens[target][3].add(CIRCLE)
    marked = chosen([frozenset(tokens[k][3]) for k in numbers])
    start, end = tokens[numbers[0]][0], tokens[numbers[-1]][1]
    return line[:start] + boxes(marked) + line[end:]


def mark_text(text: str) -> str:
    """Plain text with circled digits in a scale ("1 2 ③ 4 5") as checkboxes; else as it is."""
    if not any(ch in CIRCLED for ch in text):
        return text
    return mark_line([(text, frozenset())]) or text
