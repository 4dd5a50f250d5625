"""Rating lines: "Påverkan: 3", "3 (Oroande)", "Gult", ticked boxes, shaded cells.

Three scales arrive in the same mailbox (README): numbers 1-5, the named
levels Normalt..Kritiskt (= 1..5) and the traffic light grön/gul/röd.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .directory import fold
from .scale_marks import mark_text
from .vocabulary import COLOR_NAMES

LEVELS = {"normal": 1, "avvikande": 2, "oroande": 3, "allvarlig": 4, "kritisk": 5}
COLORS = {"gron": "grön", "gront": "grön", "green": "grön",
          "gul": "gul", "gult": "gul", "yellow": "gul",
          "rod": "röd", "rott": "röd", "red": "röd"}
NUMBER_WORDS = {"ett": 1, "en": 1, "tva": 2, "tre": 3, "fyra": 4, "fem": 5}
TICKED = "☒☑■✓✔✗✘⊠▣"
UNTICKED = "☐□▢"

# A label that introduces a rating: "Påverkan:", "Påverkan 1-5:", "Påverkan¹:",
# "Sammanställd bedömning:", "Bedömning:", "Nivå:", "Påverkansgrad:".
_LABEL = re.compile(
    r"^\s*(?:[\-–•*·▪◦]\s*)?(?:(?:sammanstalld|samlad|bedomd|uppskattad|total)\s+)?"
    r"(?:(?:grad|niva)\s+(?:av|pa)\s+)?"
    r"(?:paverkan(?:sgrad|sniva)?|paverkningsgrad|allvarlighetsgrad|riskniva"
    r"|bedomning(?:\s+av\s+paverkan(?:sgrad)?)?|niva|betyg|gradering|skattning)"
    r"(?:[12*](?=\s*:))?"  # a footnote mark: "Påverkan¹:" folds to "paverkan1:"
    r"(?:\s*\(?\s*(?:(?:pa\s+)?(?:en\s+)?skala(?:n)?\s*)?1\s*[-–—]\s*5\s*\)?)?"
    r"(?:\s*\([^():]{0,40}\)(?=\s*:))?"  # the scale explained: "Påverkan (1 = låg, 5 = hög):"
    r"[12*]?\s*(?::|=|-|–)?\s*",
)
_SCALE_WORD = r"(?:gron|gront|gul|gult|rod|rott|normalt?|avvikande|oroande|allvarligt?|kritiskt?)"
_BETWEEN = re.compile(rf"\b{_SCALE_WORD}\s*(?:/|-|–|till|eller)\s*{_SCALE_WORD}\b")
_ENCLOSED = re.compile(r"^[(\[]\s*([1-5])\s*[)\]]$")
_SCALE_PLACEHOLDER = re.compile(r"^\(?\s*1\s*[-–—]\s*5\s*\)?\s*$")


@dataclass(frozen=True, slots=True)
class Rating:
    score: int | None = None
    color: str | None = None
    invalid: str | None = None  # the offending text when a rating was given but is not valid


def color_from_fill(fill: str | None) -> str | None:
    """Map a cell shading (RRGGBB) to the traffic light, or None if it is none of them."""
    if not fill or len(fill) != 6:
        return None
    try:
        r, g, b = (int(fill[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return None
    if r > 200 and g > 170 and b < 140:
        return "gul"
    if g > 100 and g > r + 40 and g > b + 30:
        return "grön"
    if r > 150 and r > g + 70 and r > b + 70:
        return "röd"
    return None


def split_label(text: str) -> tuple[bool, str]:
    """(True, value text) when `text` starts with a rating label."""
    folded = fold(text)
    m = _LABEL.match(folded)
    if not m or (m.end() < len(folded) and folded[m.end() - 1].isalpha() and folded[m.end()].isalpha()):
        return False, text
    value = text[m.end():] if len(folded) == len(text) else folded[m.end():]
    return True, value.strip().lstrip("*_").strip()  # "*Påverkan:* 3": Thunderbird's bold as text


_BRACKET_BOXES = ((re.compile(r"[\[(]\s*[xX✓]\s*[\])]"), "☒"), (re.compile(r"\[\s*\]|\(\s\)"), "☐"))


# Radio buttons drawn as circles before the options: "⚪ Grön ● Gul ⚪ Röd", "○ 2 ● 3".
_OPTION = r"(?=\s*(?:[1-5](?!\d)|gr[öo]n|gul|r[öo][dt]|normal|avvik|oroan|allvar|kritisk))"
_RADIO = ((re.compile(f"[●⚫◉⬤]{_OPTION}", re.IGNORECASE), "☒"), (re.compile(f"[⚪○◯]{_OPTION}", re.IGNORECASE), "☐"))
# Traffic lights as emoji (circles or squares); orange or other colours are none of them.
EMOJI_LIGHTS = {"🟢": "grön", "🟩": "grön", "🟡": "gul", "🟨": "gul", "🔴": "röd", "🟥": "röd"}
# A drop-down or text control left at Word's placeholder ("Välj ett objekt.", "Välj färg").
_PLACEHOLDER = re.compile(
    r"^[\[(<]?\s*(?:valj\b|klicka(?:\s+eller\s+tryck)?\s+har\b|tryck\s+har\b|ange\s+(?:en\s+)?"
    r"(?:siffra|niva|farg|varde)\b|choose\s+an\s+item|click(?:\s+or\s+tap)?\s+here|select\b)"
)


_CIRCLES = "●⚫◉⬤⚪○◯"


def _typed_boxes(value: str) -> str:
    """Checkboxes typed as text: "[X] 3" -> "☒ 3", "[ ] 2" -> "☐ 2", "⚪ Grön ● Gul" -> "☐ Grön ☒ Gul".

    One circle before one option ("⚪ Gult", "● 3") is a bullet, not a choice among several.
    """
    if sum(value.count(ch) for ch in _CIRCLES) == 1:
        value = value.strip().lstrip(_CIRCLES).strip()
    for pattern, glyph in _BRACKET_BOXES + _RADIO:
        value = pattern.sub(glyph, value)
    return mark_text(value)


_SCALE_ONLY = re.compile(r"(?:[1-5]|normalt?|avvikande|oroande|allvarligt?|kritiskt?|[\s|,;/\-–.()=:])+")


def _printed_scale(folded: str) -> bool:
    """The scale's numbers printed in a row ("1 2 3 4 5", "1 Normalt 2 Avvikande ..."): no choice made."""
    if not _SCALE_ONLY.fullmatch(folded):
        return False
    digits = re.findall(r"(?<![\d,.])[1-5](?![\d,.])", folded)
    return len(digits) >= 3 and len(set(digits)) == len(digits) and digits == sorted(digits)


_PRINTED_LIGHTS = re.compile(  # all three lights in a row, nothing chosen: "Grönt Gult Rött", "grön, gul eller röd"
    r"\s*gron[at]?[\s|,;/\-–.]+(?:eller\s+)?gul[at]?[\s|,;/\-–.]+(?:eller\s+)?ro(?:d|tt|da)\.?\s*")

_PRINTED_LEVELS = re.compile(  # the five levels in a row, nothing chosen: "Normalt Avvikande ... Kritiskt"
    r"\s*" + r"[\s|,;/\-–.]+(?:eller\s+)?".join(("normalt?", "avvikande", "oroande", "allvarligt?", "kritiskt?"))
    + r"\.?\s*")


def is_blank(value: str) -> bool:
    """A rating left as the template printed it: "1-5", "☐1 ☐2 ☐3 ☐4 ☐5", "1 2 3 4 5",
    all three lights "🟢 🟡 🔴" or "Grönt Gult Rött", the five levels "Normalt ... Kritiskt",
    or a drop-down's placeholder ("Välj ett objekt.", "Välj färg").
    """
    value = _typed_boxes(value.strip()).rstrip(".")
    if not value or _SCALE_PLACEHOLDER.match(value):
        return True
    folded = fold(value)
    if len(folded) <= 50 and _PLACEHOLDER.match(folded):
        return True
    boxes = _ticked_boxes(value)
    if boxes is not None:
        return not boxes
    lights = {EMOJI_LIGHTS[ch] for ch in value if ch in EMOJI_LIGHTS}
    if len(lights) == 3 and not re.search(r"[a-z]", folded):
        return True
    return _printed_scale(folded) or bool(_PRINTED_LIGHTS.fullmatch(folded) or _PRINTED_LEVELS.fullmatch(folded))


def _emoji_rating(value: str) -> Rating | None:
    """A traffic light given as emoji, alone or with its colour word ("🟡", "🔴 Rött")."""
    lights = {EMOJI_LIGHTS[ch] for ch in value if ch in EMOJI_LIGHTS}
    if not lights:
        return None
    words = {COLORS[w] for w in re.findall(r"[a-z]+", fold(value)) if w in COLORS}
    colors = lights | words
    if len(colors) == 1:
        return Rating(color=colors.pop())
    return Rating(invalid=value)


def parse_value(value: str) -> Rating | None:
    """Interpret the text after a rating label (or a bare cell).

    Returns None when there is nothing that looks like a rating at all,
    Rating(invalid=...) for a rating that is given but unusable ("7", "3-4").
    """
    value = _typed_boxes(value.strip()).rstrip(".")
    if (m := _ENCLOSED.match(value)) is not None:
        value = m.group(1)  # "(3)", "[4]"
    if is_blank(value):
        return None
    boxes = _ticked_boxes(value)
    if boxes is None and (lit := _emoji_rating(value)) is not None:
        return lit
    if boxes is not None:
        for light, word in EMOJI_LIGHTS.items():
            value = value.replace(light, COLOR_NAMES[word])
        boxes = _ticked_boxes(value)
    if boxes is not None:
        if len(boxes) == 1:
            return _from_token(boxes[0]) or Rating(invalid=value)
        return Rating(invalid=value) if boxes else None
    folded = fold(value)
    if (m := re.match(r"^niva\s+(?=\d)", folded)) is not None:  # "Påverkan: nivå 3"
        value, folded = value[m.end():], folded[m.end():]
    m = re.match(r"^([1-5])\s*(?:/|av)\s*(?:max\s+)?5\b", folded)
    if m:
        return Rating(score=int(m.group(1)))
    if re.match(r"^\d+\s*av\s*\d+\b", folded):
        return Rating(invalid=value)  # "2 av 3": not the scale of five
    m = re.match(r"^([a-z]+)\s+av\s+fem\b", folded)
    if m and m.group(1) in NUMBER_WORDS:
        return Rating(score=NUMBER_WORDS[m.group(1)])  # "fyra av fem"
    m = re.match(r"^(\d+)\s*(?:[-–—/→>]|->|till|eller)\s*(\d+)\b", folded)
    if m:
        return Rating(invalid=value)  # a range such as "3-4" is not one level
    m = re.match(r"^(\d+(?:[.,]\d+)?)", folded)
    if m:
        number = m.group(1)
        if not number.isdigit() or not 1 <= int(number) <= 5:
            return Rating(invalid=value)
        rest = folded[m.end():].strip(" .:-–()")
        named = _level_word(rest)
        if named is not None and named != int(number):
            return Rating(invalid=value)
        return Rating(score=int(number))
    if _BETWEEN.search(folded):
        return Rating(invalid=value)  # "Grön-gul", "Avvikande/Oroande": between two levels, not one
    if (m := re.fullmatch(r"[a-z]+(?:\s+[a-z]+)?\s*\(([1-5])\)", folded)) and _level_word(folded.split()[0]) is None:
        return Rating(score=int(m.group(1)))  # "Låg (1)", "Mycket hög (5)": the number decides
    first = re.match(r"[a-z]+", folded)
    if first:
        word = first.group(0)
        if word in COLORS:
            return Rating(color=COLORS[word])
        level = _level_word(word)
        if level is not None:
            digit = re.match(r"[a-z]+\s*[(:–-]?\s*(\d+)\)?$", folded)  # "Oroande (3)"
            if digit and int(digit.group(1)) != level:
                return Rating(invalid=value)
            return Rating(score=level)
        if word in NUMBER_WORDS and re.fullmatch(r"[a-z]+\s*(?:\(.*\))?", folded):
            return Rating(score=NUMBER_WORDS[word])  # "Påverkan: tre"
    return None


def parse_bare(text: str) -> Rating | None:
    """A rating standing alone (a table cell or a line with only "3", "Gult", ☒ 3)."""
    stripped = _typed_boxes(text.strip())
    folded = fold(stripped).rstrip(".")
    if not folded:
        return None
    if re.fullmatch(r"\d", folded) or (_ticked_boxes(stripped) is not None):
        return parse_value(stripped)
    if any(ch in EMOJI_LIGHTS for ch in stripped) and len(stripped) <= 24:
        return parse_value(stripped)
    if re.fullmatch(r"\d\s*\(?[a-z]+\)?|\d\s*(?:/|av)\s*5|[a-z]+\s*\(\d\)", folded):
        return parse_value(stripped)
    if re.fullmatch(r"[a-z]+", folded) and (folded in COLORS or _level_word(folded) is not None):
        return parse_value(stripped)
    return None


def is_unticked_only(text: str) -> bool:
    """Checkbox options with none ticked ("☐ 1 ☐ 2 ☐ 3"): template noise, not text."""
    return _ticked_boxes(text) == [] and bool(re.fullmatch(rf"[\s{UNTICKED}\d,;/a-zA-ZåäöÅÄÖ()]*", text))


def _level_word(word: str) -> int | None:
    for stem, level in LEVELS.items():
        if word.startswith(stem) and len(word) <= len(stem) + 3:
            return level
    return None


def _from_token(token: str) -> Rating | None:
    token = token.strip()
    folded = fold(token)
    m = re.match(r"^(\d)\b", folded)
    if m:
        n = int(m.group(1))
        return Rating(score=n) if 1 <= n <= 5 else None
    word = re.match(r"[a-z]+", folded)
    if word:
        if word.group(0) in COLORS:
            return Rating(color=COLORS[word.group(0)])
        level = _level_word(word.group(0))
        if level:
            return Rating(score=level)
    return None


def _ticked_boxes(value: str) -> list[str] | None:
    """Labels of ticked boxes in a row of checkboxes, or None if there are no boxes.

    "☐1 ☐2 ☒3 ☐4 ☐5" -> ["3"]; "1☐ 2☒ 3☐" (label before box) -> ["2"].
    """
    if not any(ch in TICKED or ch in UNTICKED for ch in value):
        return None
    boxes = TICKED + UNTICKED
    parts = re.split(f"([{boxes}])", value)
    # parts: [before, box, after, box, after, ...]
    labels_after = [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    after_has_labels = all(re.search(r"\w", after) for _, after in labels_after)
    ticked = []
    for i in range(1, len(parts) - 1, 2):
        box = parts[i]
        label = parts[i + 1] if after_has_labels else parts[i - 1]
        if box in TICKED:
            ticked.append(label.strip(" ,;/"))
    return ticked
