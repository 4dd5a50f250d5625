"""The formatting of HTML text that can mark one option of a printed scale.

Municipalities paste the Word template into an HTML mail body and answer
"Påverkan: 1 2 3 4 5" by marking one number: a yellow highlight
(`background:yellow;mso-highlight:yellow`, `background-color:rgb(255,255,0)`,
`<mark>`), bold (`<b>`, `<strong>`, `font-weight:700`), underline (`<u>`,
`text-decoration:underline`), a border, or a colour (`color:red`,
`<font color=...>`). The reader keeps a `Format` per open element (each
computed once from its parent's, so the walk stays linear) and, at the end of
a line, `line_parts` turns the formats of its pieces into the marks that
`parsers.scale_marks.mark_line` reads.

Colours are compared, not judged: a colour is a mark when it differs from
the colour most of the line's options have (a line in Outlook's dark blue
with one number in red marks that number), and no mark at all when every
option has its own colour (a legend, "Grönt Gult Rött" each in its colour).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from parsers.scale_marks import Part, option

_BOLD_TAGS = frozenset({"b", "strong"})
_UNDERLINE_TAGS = frozenset({"u", "ins"})
_BORDER_LINE = re.compile(r"\b(?:solid|dashed|dotted|double|groove|ridge|inset|outset)\b")
_BORDER_KEYS = ("border", "border-top", "border-bottom", "border-left", "border-right", "border-style")
_TOKEN = re.compile(r"\S+")
_INK = "000000"  # the text colour when none is given
_PAPER = "FFFFFF"  # the background when none is given


@dataclass(frozen=True, slots=True)
class Format:
    """What the text inside an element looks like, as far as marking a choice goes."""

    bold: bool = False
    underline: bool = False
    border: bool = False
    colour: str = _INK
    background: str = _PAPER


PLAIN = Format()


def inherit(parent: Format, tag: str, attrs: dict[str, str], style: dict[str, str], colour,
            inline: bool = True) -> Format:
    """The format inside an element: its parent's, changed by its tag and inline style.

    `colour` maps a CSS/HTML colour to "RRGGBB" (or None when it is none). A
    border counts on inline elements only (a box drawn round a number); a
    paragraph's or cell's border goes round the whole line. Returns `parent`
    itself when nothing changes, the common case.
    """
    changes: dict[str, Any] = {}
    if tag in _BOLD_TAGS:
        changes["bold"] = True
    elif tag in _UNDERLINE_TAGS:
        changes["underline"] = True
    elif tag == "mark":
        changes["background"] = "FFFF00"
    elif tag == "font" and (value := colour(attrs.get("color"))):
        changes["colour"] = value
    if "bgcolor" in attrs and (value := colour(attrs["bgcolor"])):  # <td bgcolor="#FFFF00">
        changes["background"] = value
    if not style:
        return _changed(parent, changes)
    if (weight := _bold(style.get("font-weight"))) is not None:
        changes["bold"] = weight
    decoration = style.get("text-decoration-line", style.get("text-decoration"))
    if decoration is not None:
        changes["underline"] = "underline" in decoration.lower()
    if inline and (border := _border(style)) is not None:
        changes["border"] = border
    if "color" in style and (value := colour(style["color"])):
        changes["colour"] = value
    for key in ("background-color", "background", "mso-highlight"):
        if key in style:
            if value := colour(style[key]):
                changes["background"] = value
                break
            if key != "background":  # "background:url(...)" may still come with a colour below
                break
    return _changed(parent, changes)


def _changed(parent: Format, changes: dict[str, Any]) -> Format:
    if not changes:
        return parent
    get = changes.get
    child = Format(get("bold", parent.bold), get("underline", parent.underline), get("border", parent.border),
                   get("colour", parent.colour), get("background", parent.background))
    return parent if child == parent else child


def _bold(value: str | None) -> bool | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value in ("bold", "bolder"):
        return True
    if value in ("normal", "lighter"):
        return False
    return int(value) >= 600 if value.isdigit() else None


def _border(style: dict[str, str]) -> bool | None:
    found = None
    for key in _BORDER_KEYS:
        if key in style:
            value = style[key].lower()
            if _BORDER_LINE.search(value) and "none" not in value:
                return True
            found = False
    return found


def line_parts(parts: list[tuple[str, Format]], base: Format = PLAIN) -> list[Part]:
    """The pieces of one line with their marks ("bold", "colour:FF0000", ...) for `mark_line`.

    `base` is the format of the block the line is in: a colour or background
    other than the block's is a mark.
    """
    formats = [fmt for text, fmt in parts for token in _TOKEN.findall(text) if option(token) is not None]
    colour = _usual([f.colour for f in formats], base.colour)
    background = _usual([f.background for f in formats], base.background)
    result = []
    for text, fmt in parts:
        marks = []
        if fmt.bold:
            marks.append("bold")
        if fmt.underline:
            marks.append("underline")
        if fmt.border:
            marks.append("border")
        if colour is not None and fmt.colour != colour:
            marks.append("colour:" + fmt.colour)
        if background is not None and fmt.background != background:
            marks.append("background:" + fmt.background)
        result.append((text, frozenset(marks)))
    return result


def _usual(values: list[str], base: str) -> str | None:
    """The value of an unmarked option: the block's, or that of all options but one.

    None when there is no telling: every option in its own colour is a legend.
    All numbers but one in Outlook's blue (each in its own span) and that one
    in red leave the red one marked; the odd one out is never guessed on the
    three lights, where two marked of three is a real answer (an invalid one),
    nor when it has the block's own colour (a span that ended early).
    """
    if not values or (len(values) >= 3 and len(set(values)) == len(values)):
        return None
    counts = Counter(values)
    if len(values) >= 4 and len(counts) == 2 and base not in counts:
        (usual, many), _ = counts.most_common()
        if many == len(values) - 1:
            return usual
    return base
