"""Turn an HTML mail body (Outlook/Word, Gmail, Thunderbird) into blocks.

Tokenized by lxml's HTML parser (libxml2), linear in its input; the
standard library's `html.parser` is quadratic on unclosed comments and tags
(500 kB of "<div x" took minutes). The tree is walked once and fed to an
event reader (start tag, text, end tag, comment), so Outlook's conditional
comments ("<![if !supportLists]>", which libxml2 reports as comments) still
mark list bullets. libxml2 nests at most 256 levels deep.

Quoting convention: every line that belongs to quoted or forwarded material
is prefixed with "> " once per quote level ("> > " two levels deep), exactly
as plain-text mail quotes, so that `parsers.quoting` treats HTML and plain
text alike. Quoted material is:

- `<blockquote>` (except the margin-only blockquote that Gmail and Apple Mail
  use for "indent": `style="...border:none..."` without `type="cite"`);
- Gmail's `<div class="gmail_quote">` (its inner `blockquote.gmail_quote`
  adds no second level), Thunderbird's `<div class="moz-cite-prefix">` and
  `<div class="moz-forward-container">`, Yahoo's `<div class="yahoo_quoted">`;
- Outlook's reply/forward header and everything after it to the end of the
  document: `<div id="divRplyFwdMsg">` (Outlook on the web, new Outlook), or
  a `border-top` div (`style="border:none;border-top:solid #E1E1E1 1.0pt..."`,
  Outlook desktop) whose first line starts with "Från:"/"From:".

A printed scale answered by formatting one option ("Påverkan: 1 2 3 4 5"
with the 3 highlighted, bold, underlined or red; a row of cells "1" .. "5"
with one shaded) is read as checkboxes, "☐1 ☐2 ☒3 ☐4 ☐5": each open element
carries the format of the text inside it (`parsers.html_marks`), each line's
pieces keep theirs, and `parsers.scale_marks` decides what is marked.

Thunderbird's forward header table (`table.moz-email-headers-table`) is read
as plain "Ämne: ..." lines, not as table cells. At most `_MAX_DEPTH` open
elements are tracked, so absurdly nested markup stays linear in time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from parsers.docx_reader import MAX_BLOCKS
from parsers.html_marks import PLAIN, Format, inherit, line_parts
from parsers.model import Block
from parsers.scale_marks import SCALES, boxes, chosen, mark_line, option

_SKIP = frozenset({"head", "style", "script", "title", "xml", "o:p", "template"})
_VOID = frozenset(
    {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr",
     "source", "embed", "param", "track"}
)
_BLOCK = frozenset(
    {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "blockquote", "ul", "ol", "dl", "dt", "dd", "pre", "hr", "section",
     "article", "header", "footer", "address", "center", "form", "fieldset",
     "caption", "thead", "tbody", "tfoot", "body", "html"}
)
_CELL = frozenset({"td", "th"})

_NAMED_COLOURS = {
    "black": "000000", "white": "FFFFFF", "red": "FF0000", "darkred": "8B0000",
    "green": "008000", "darkgreen": "006400", "lime": "00FF00",
    "limegreen": "32CD32", "lightgreen": "90EE90", "yellow": "FFFF00",
    "lightyellow": "FFFFE0", "gold": "FFD700", "orange": "FFA500",
    "orangered": "FF4500", "blue": "0000FF", "navy": "000080",
    "aqua": "00FFFF", "cyan": "00FFFF", "teal": "008080", "fuchsia": "FF00FF",
    "magenta": "FF00FF", "purple": "800080", "pink": "FFC0CB",
    "maroon": "800000", "olive": "808000", "silver": "C0C0C0",
    "gray": "808080", "grey": "808080", "lightgray": "D3D3D3",
    "lightgrey": "D3D3D3", "darkgray": "A9A9A9", "darkgrey": "A9A9A9",
}
_NO_COLOUR = frozenset({"transparent", "none", "inherit", "initial", "auto", "windowtext"})
_COLOUR_TOKEN = re.compile(r"#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|[a-z]+", re.I)
_OUTLOOK_FROM = re.compile(r"^\*?(från|from|von|de|fra)\*?\s*:", re.I)
_INDENT_BULLETS = frozenset({"·", "•", "§", "o", "-", "–", "Ø", "ü", "ï", "Ÿ", "v"})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WHITESPACE = re.compile(r"\s+")
_MAX_OPTION = 8  # characters of a cell that holds one option of a scale ("3", "Gult.")
_MAX_DEPTH = 100  # open elements tracked; deeper ones are read as plain inline text


def html_to_blocks(html: str) -> list[Block]:
    """Return the visible text of an HTML mail body as blocks in reading order."""
    reader = _Reader()
    root = _parse(html)
    if root is not None:
        _walk(root, reader)
    return reader.blocks()


def _parse(html: str):
    """The document's root element (lxml, recovering from any markup), or None when there is none."""
    data = html.encode("utf-8", "ignore").replace(b"\0", b"")  # lone surrogates dropped
    if not data.strip():
        return None
    parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=False, remove_pis=True,
                              encoding="utf-8", default_doctype=False)
    try:
        return etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _walk(root, reader: _Reader) -> None:
    """Feed the tree to the reader as start tag, text, children, end tag, tail, in document order."""
    for event, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if len(reader._lines) >= MAX_BLOCKS:
            return
        tag = node.tag
        if event == "comment":
            reader.handle_comment(node.text or "")
            if node.tail:
                reader.handle_data(node.tail)
        elif event == "pi" or not isinstance(tag, str):
            if node.tail:
                reader.handle_data(node.tail)
        elif event == "start":
            reader.handle_starttag(tag, list(node.attrib.items()))
            if node.text:
                reader.handle_data(node.text)
        else:
            reader.handle_endtag(tag)
            if node.tail:
                reader.handle_data(node.tail)


def parse_colour(value: str | None) -> str | None:
    """Map a CSS/HTML colour ("#92d050", "rgb(0,176,80)", "lime") to "RRGGBB"."""
    if not value:
        return None
    for token in _COLOUR_TOKEN.findall(value.strip().lower()):
        if token in _NO_COLOUR:
            return None
        if token.startswith("#"):
            digits = token[1:]
            if len(digits) in (3, 4):
                return "".join(c * 2 for c in digits[:3]).upper()
            if len(digits) in (6, 8):
                return digits[:6].upper()
            continue
        if token.startswith("rgb"):
            return _rgb(token)
        if token in _NAMED_COLOURS:
            return _NAMED_COLOURS[token]
    if re.fullmatch(r"[0-9a-f]{6}", value.strip(), re.I):  # bgcolor="92D050"
        return value.strip().upper()
    return None


def _rgb(token: str) -> str | None:
    parts = re.findall(r"[\d.]+%?", token)
    if len(parts) < 3 or (len(parts) > 3 and _number(parts[3], 1.0) == 0):
        return None
    channels = [_number(p, 255.0) for p in parts[:3]]
    return "".join(f"{max(0, min(255, round(c))):02X}" for c in channels)


def _number(text: str, full: float) -> float:
    try:
        return float(text[:-1]) * full / 100 if text.endswith("%") else float(text)
    except ValueError:
        return 0.0


def _style(attrs: dict[str, str]) -> dict[str, str]:
    """Parse an inline style attribute into {property: value}, lower-case keys."""
    result = {}
    for declaration in attrs.get("style", "").split(";"):
        name, _, value = declaration.partition(":")
        if value:
            result[name.strip().lower()] = value.strip()
    return result


def _fill(attrs: dict[str, str]) -> str | None:
    style = _style(attrs)
    for key in ("background-color", "background"):
        if key in style:
            return parse_colour(style[key])
    return parse_colour(attrs.get("bgcolor"))


@dataclass(slots=True)
class _Element:
    tag: str
    quote: bool = False
    hidden: bool = False
    gmail_container: bool = False
    headers_table: bool = False
    is_cell: bool = False
    fill: str | None = None
    first_line: int = 0  # index into lines when a cell opened
    ordered: bool = False
    counter: int = 0
    format: Format = PLAIN  # the formatting of the text inside (see parsers.html_marks)
    block_format: Format = PLAIN  # that of the nearest block (paragraph, cell) it is in: a line's base
    cells: list[tuple[int, int]] | None = None  # a row's cells so far: (first line, end line)


@dataclass(slots=True)
class _Line:
    text: str
    depth: int
    cell: bool
    fill: str | None
    format: Format | None = PLAIN  # of a short cell line's text; None when its pieces differ


class _Reader:
    def __init__(self) -> None:
        self._stack: list[_Element] = []
        self._quotes = 0  # open quote elements (quote depth)
        self._invisible = 0  # open skipped or hidden elements
        self._pres = 0  # open <pre> elements
        self._pieces: list[tuple[str, Format]] = []  # the current line's text, each piece with its format
        self._varied = False  # the current line's pieces differ in format (a choice may be marked)
        self._base = PLAIN  # the format of the block the current line is in
        self._lines: list[_Line] = []
        self._marker: list[str] | None = None  # Outlook list bullet being read
        self._prefix = ""  # list bullet waiting for the item's first text
        self._outlook_marks: list[tuple[int, bool]] = []  # (line index, certain)

    # -- results ---------------------------------------------------------

    def blocks(self) -> list[Block]:
        self._flush()
        start = self._outlook_quote_start()
        result = []
        for index, line in enumerate(self._lines[:MAX_BLOCKS]):
            depth = line.depth + (1 if start is not None and index >= start else 0)
            text = "> " * depth + line.text if line.text else line.text
            result.append(Block(text, cell=line.cell, fill=line.fill))
        return result

    def _outlook_quote_start(self) -> int | None:
        for index, certain in self._outlook_marks:
            if index < len(self._lines) and (
                certain or _OUTLOOK_FROM.match(self._lines[index].text)
            ):
                return index
        return None

    # -- events (from _walk) -----------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag in _CELL or tag == "tr":
            self._close_open(tag)
        elif tag == "li":
            self._close_open("li")
        if self._headers_table() and tag in _CELL:
            self._add(" ")
        elif tag in _BLOCK or tag in _CELL:
            self._flush()
        if tag in _VOID or len(self._stack) >= _MAX_DEPTH:
            return
        element = self._element(tag, attributes)
        if element.is_cell:
            element.first_line = len(self._lines)
        self._push(element)
        if tag == "li":
            self._prefix = self._bullet()

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag == "br":  # "</br>" is treated as <br> by browsers
            self._flush()
            return
        if not any(e.tag == tag for e in self._stack):
            return
        if tag in _BLOCK or tag in _CELL:
            if not (self._headers_table() and tag in _CELL):
                self._flush()
        while self._stack:
            element = self._pop()
            self._closed(element)
            if element.tag == tag:
                break
        if tag == "li":
            self._prefix = ""

    def handle_data(self, data: str) -> None:
        if self._ignored():
            return
        if self._marker is not None:
            self._marker.append(data)
        elif self._pres:
            first, *rest = data.split("\n")
            self._add(first)
            for part in rest:
                self._flush()
                self._add(part)
        else:
            self._add(data)

    def handle_comment(self, data: str) -> None:
        self._conditional(data)

    # -- helpers -----------------------------------------------------------

    def _conditional(self, data: str) -> None:
        """Outlook list bullets sit between "[if !supportLists]" and "[endif]"."""
        text = data.strip().lower()
        if text == "[if !supportlists]" or text == "if !supportlists":
            self._marker = []
        elif text in ("[endif]", "endif") and self._marker is not None:
            marker = _WHITESPACE.sub(" ", "".join(self._marker).replace("\xa0", " ")).strip()
            self._marker = None
            if marker:
                self._add("• " if marker in _INDENT_BULLETS else marker + " ")

    def _element(self, tag: str, attrs: dict[str, str]) -> _Element:
        style = _style(attrs)
        classes = attrs.get("class", "").lower().split()
        block = tag in _BLOCK or tag in _CELL
        element = _Element(tag, format=inherit(self._format(), tag, attrs, style, parse_colour, inline=not block))
        element.block_format = element.format if block else self._stack[-1].block_format if self._stack else PLAIN
        element.hidden = (
            style.get("display", "").lower() == "none"
            or style.get("mso-hide", "").lower() == "all"
            or "hidden" in attrs
        )
        if tag == "blockquote":
            element.quote = self._blockquote_is_quote(attrs, classes)
        elif tag == "div":
            element.gmail_container = "gmail_quote" in classes
            element.quote = element.gmail_container or bool(
                {"moz-cite-prefix", "moz-forward-container", "yahoo_quoted"} & set(classes)
            )
            if attrs.get("id", "").lower() == "divrplyfwdmsg":
                self._outlook_marks.append((len(self._lines), True))
            elif _is_outlook_header_border(style):
                self._outlook_marks.append((len(self._lines), False))
        elif tag == "table":
            element.headers_table = "moz-email-headers-table" in classes
        elif tag == "tr":
            element.fill = _fill(attrs)
            element.cells = []
        elif tag in _CELL and not self._headers_table():
            element.is_cell = True
            element.fill = _fill(attrs) or self._row_fill()
        elif tag == "ol":
            element.ordered = True
            element.counter = _int(attrs.get("start"), 1) - 1
        return element

    def _blockquote_is_quote(self, attrs: dict[str, str], classes: list[str]) -> bool:
        cited = attrs.get("type", "").lower() == "cite" or "gmail_quote" in classes
        if not cited and "border:none" in attrs.get("style", "").replace(" ", "").lower():
            return False  # Gmail / Apple Mail "indent"
        # Gmail's blockquote directly in its own div.gmail_quote adds no second level.
        nearest = next(
            (e for e in reversed(self._stack) if e.gmail_container or e.tag == "blockquote"), None
        )
        return not (nearest is not None and nearest.gmail_container and "gmail_quote" in classes)

    def _bullet(self) -> str:
        for element in reversed(self._stack[:-1]):
            if element.tag == "ol":
                element.counter += 1
                return f"{element.counter}. "
            if element.tag == "ul":
                break
        return "• "

    def _close_open(self, tag: str) -> None:
        """Implicitly close an open <td>/<tr>/<li> of the same table or list."""
        scope = {"td": "table", "th": "table", "tr": "table", "li": "ul ol"}[tag]
        siblings = ("td", "th") if tag in _CELL else (tag,)
        for index in range(len(self._stack) - 1, -1, -1):
            current = self._stack[index].tag
            if current in scope.split():
                return
            if current in siblings:
                self._flush()
                while len(self._stack) > index:
                    self._closed(self._pop())
                return

    def _closed(self, element: _Element) -> None:
        """An element was closed: a cell's text ends, a row of scale cells becomes one line."""
        if element.is_cell:
            self._flush()
            if len(self._lines) == element.first_line and element.fill:
                self._lines.append(_Line("", self._depth(), True, element.fill))
            row = next((e for e in reversed(self._stack) if e.tag in ("tr", "table")), None)
            if row is not None and row.cells is not None:
                row.cells.append((element.first_line, len(self._lines)))
        elif element.cells:
            self._scale_row(element.cells, element.format)

    def _scale_row(self, cells: list[tuple[int, int]], base: Format) -> None:
        """Cells "1" .. "5" (or Grönt | Gult | Rött) with one marked: one line of boxes.

        Read cell by cell, the first option would pass for the rating.
        """
        lines = self._lines
        for scale, values in SCALES.items():
            size = len(values)
            for k in range(len(cells) - size + 1):
                run = cells[k:k + size]
                if all(end == start + 1 and option(lines[start].text) == (scale, value)
                       and (i == 0 or start == run[i - 1][1])
                       for i, (value, (start, end)) in enumerate(zip(values, run, strict=True))):
                    self._merge_row(run[0][0], run[-1][1], base)
                    return

    def _merge_row(self, start: int, end: int, base: Format) -> None:
        cells = self._lines[start:end]
        marks = [m | ({"mixed"} if line.format is None else set())  # partly marked: counts as marked
                 for (_, m), line in zip(line_parts([(c.text, c.format or base) for c in cells], base), cells,
                                         strict=True)]
        text = boxes(chosen(marks), [c.text.strip(".") for c in cells])
        self._lines[start:end] = [_Line(text, cells[0].depth, True, None)]
        for index in range(len(self._outlook_marks) - 1, -1, -1):  # marks after the row move up
            line, certain = self._outlook_marks[index]
            if line <= start:
                break
            self._outlook_marks[index] = (max(start, line - (end - start - 1)), certain)

    def _add(self, text: str) -> None:
        current = self._format()
        if not self._pieces:
            self._base = self._stack[-1].block_format if self._stack else PLAIN
        elif not self._varied and current is not self._pieces[-1][1]:
            self._varied = current != self._pieces[-1][1]
        self._pieces.append((text, current))

    def _format(self) -> Format:
        return self._stack[-1].format if self._stack else PLAIN

    def _flush(self) -> None:
        if self._varied:  # a scale with one option marked ("1 2 <b>3</b> 4 5") reads as ticked boxes
            parts = [(_WHITESPACE.sub(" ", _clean(t)), f) for t, f in self._pieces]
            text = mark_line(line_parts(parts, self._base)) or "".join(t for t, _ in parts)
        else:
            text = _clean("".join(t for t, _ in self._pieces))
        text = _WHITESPACE.sub(" ", text).strip()
        if text:
            text, self._prefix = self._prefix + text, ""
            cell = self._cell()
            line = _Line(text, self._depth(), cell is not None, cell.fill if cell else None)
            if cell is not None and len(text) <= _MAX_OPTION:
                line.format = self._line_format()
            self._lines.append(line)
        self._pieces, self._varied = [], False

    def _line_format(self) -> Format | None:
        """The format of the current line's visible pieces, None when they differ."""
        formats = {f for t, f in self._pieces if _clean(t).strip()}
        return formats.pop() if len(formats) == 1 else None

    def _push(self, element: _Element) -> None:
        self._stack.append(element)
        self._count(element, 1)

    def _pop(self) -> _Element:
        element = self._stack.pop()
        self._count(element, -1)
        return element

    def _count(self, element: _Element, step: int) -> None:
        self._quotes += step if element.quote else 0
        self._invisible += step if element.tag in _SKIP or element.hidden else 0
        self._pres += step if element.tag == "pre" else 0

    def _ignored(self) -> bool:
        return self._invisible > 0

    def _depth(self) -> int:
        return self._quotes

    def _cell(self) -> _Element | None:
        return next((e for e in reversed(self._stack) if e.is_cell), None)

    def _row_fill(self) -> str | None:
        row = next((e for e in reversed(self._stack) if e.tag == "tr"), None)
        return row.fill if row else None

    def _headers_table(self) -> bool:
        table = next((e for e in reversed(self._stack) if e.tag == "table"), None)
        return table is not None and table.headers_table


def _is_outlook_header_border(style: dict[str, str]) -> bool:
    return style.get("border", "").lower() == "none" and "solid" in style.get(
        "border-top", ""
    ).lower()


def _clean(text: str) -> str:
    return text.replace("\xa0", " ").translate(_INVISIBLE)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default
