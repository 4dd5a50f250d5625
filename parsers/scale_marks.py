"""A printed scale "1 2 3 4 5" (or "Grönt Gult Rött", "Normalt … Kritiskt") with the choice marked by formatting.

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
_PUNCT = "()[].,:;|"
# The options of the two scales printed in a row: the numbers, and the traffic light.
SCALES = {"numbers": SCALE, "lights": ("grön", "gul", "röd"),
          "levels": ("normalt", "avvikande", "oroande", "allvarligt", "kritiskt")}
_LIGHT_WORDS = {"gron": "grön", "gront": "grön", "gul": "gul", "gult": "gul", "rod": "röd", "rott": "röd",
                "green": "grön", "yellow": "gul", "red": "röd", "🟢": "grön", "🟡": "gul", "🔴": "röd"}
_LEVEL_WORDS = {"normal": "normalt", "normalt": "normalt", "avvikande": "avvikande", "oroande": "oroande",
                "allvarlig": "allvarligt", "allvarligt": "allvarligt", "kritisk": "kritiskt", "kritiskt": "kritiskt"}
_FOLD = str.maketrans("åäöÅÄÖ", "aaoaao")
# What may stand between the options: separators, and the level names after the numbers.
_BETWEEN = re.compile(r"[|/,;–-]|\(?(?:normalt?|avvikande|oroande|allvarligt?|kritiskt?)\)?[.,;]?", re.IGNORECASE)


def option(token: str) -> tuple[str, str] | None:
    """(scale, option) for a token that is one of a printed scale's options: "3" -> ("numbers", "3")."""
    if (m := _NUMBER.fullmatch(token)) is not None:
        return "numbers", m.group(1)
    folded = token.strip(_PUNCT).lower().translate(_FOLD)
    if (word := _LIGHT_WORDS.get(folded)) is not None:
        return "lights", word
    level = _LEVEL_WORDS.get(folded)
    return ("levels", level) if level else None


def chosen(marks: list[frozenset[str]]) -> set[int]:
    """Indexes of the marked options: any mark that some but not all of them carry."""
    result: set[int] = set()
    for kind in set().union(*marks):
        having = {i for i, kinds in enumerate(marks) if kind in kinds}
        if len(having) < len(marks):
            result |= having
    return result


def boxed(texts: list[str], marked: set[int]) -> list[str]:
    """Each option with its box: "3" -> "☒3", "Gult" -> "☒ Gult"."""
    out = []
    for i, text in enumerate(texts):
        box = TICKED if i in marked else UNTICKED
        out.append(f"{box}{text}" if text.isdigit() else f"{box} {text}")
    return out


def boxes(marked: set[int], texts: list[str] | None = None) -> str:
    return " ".join(boxed(texts or list(SCALE), marked))


def mark_line(parts: list[Part]) -> str | None:
    """The line with its scale as checkboxes, or None when it is no scale line.

    `parts` are the pieces of one line with the marks of each ("bold",
    "highlight", "shade", ...); an empty piece marked CIRCLE stands where a
    circle shape was anchored and marks the option right after it (or the last
    option right before it); anchored anywhere else, the circle's place on the
    page is unknown and the line reads as several marked (invalid), never a guess.
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
    found = [(k, option(token[2])) for k, token in enumerate(tokens)]
    for scale, values in SCALES.items():
        options = [k for k, o in found if o is not None and o[0] == scale]
        if [found[k][1][1] for k in options] == list(values):  # type: ignore[index]
            break
    else:
        return None
    if any(not _BETWEEN.fullmatch(tokens[k][2]) for k in range(options[0], options[-1] + 1) if k not in options):
        return None  # words between the options: prose, not a scale
    line = "".join(text for text, _ in parts)
    if len(line) - (tokens[options[-1]][1] - tokens[options[0]][0]) > MAX_LABEL:
        return None
    unplaced = False  # a circle anchored away from every option: where it is drawn is not known
    for position in circles:
        if position in options:
            tokens[position][3].add(CIRCLE)  # anchored right before the option it goes round
        elif position - 1 in options and (position == len(tokens) or position - 1 == options[-1]):
            tokens[position - 1][3].add(CIRCLE)  # right after the last option
        else:
            unplaced = True
    marked = chosen([_option_marks(tokens, found, k, scale) for k in options])
    if unplaced:
        marked = set(range(len(options)))  # never a guess: read as several marked
    texts = [found[k][1][1] if scale == "numbers" else tokens[k][2] for k in options]  # type: ignore[index]
    for i, k in reversed(list(enumerate(options))):
        start, end = tokens[k][0], tokens[k][1]
        line = line[:start] + boxed(texts, marked)[i] + line[end:]
    return line


def _option_marks(tokens: list, found: list, k: int, scale: str) -> frozenset[str]:
    """The marks of option k; a number's level word right after it ("3 Oroande") is part of the option."""
    marks = set(tokens[k][3])
    after = found[k + 1][1] if k + 1 < len(found) else None
    if scale == "numbers" and after is not None and after[0] == "levels":
        marks |= tokens[k + 1][3]
    return frozenset(marks)


def mark_text(text: str) -> str:
    """Plain text with circled digits in a scale ("1 2 ③ 4 5") as checkboxes; else as it is."""
    if not any(ch in CIRCLED for ch in text):
        return text
    return mark_line([(text, frozenset())]) or text
