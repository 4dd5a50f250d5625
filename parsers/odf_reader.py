"""Read an OpenDocument text (.odt, .ott) or spreadsheet (.ods) into blocks in reading order.

Page headers (styles.xml) first, then the body (content.xml): paragraphs,
headings, lists, sections, table cells (with their background colour) and
text boxes. Form-control checkboxes are not rendered; typed box glyphs are.
A spreadsheet's body is its sheets, each a table: one block per filled cell,
row by row, as an Excel workbook reads. Repeated rows and columns
(`number-rows-repeated`) are never expanded, so the work stays linear in the file.
"""

from __future__ import annotations

import re

from lxml import etree

from parsers.docx_reader import MAX_BLOCKS, SafeZip, clean_text, read_guarded
from parsers.model import Block, Limits, UnreadableDocument

CORRUPT = "Textdokumentet (.odt) är skadat och kunde inte läsas."
NOT_ODT = "Filen är inte ett textdokument (.odt) eller kalkylblad (.ods) som kan läsas."
ENCRYPTED = "Textdokumentet (.odt) är lösenordsskyddat och kunde inte läsas. Skicka det utan lösenord."
TOO_MUCH_TEXT = "Textdokumentet (.odt) innehåller för mycket text för att läsas."

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_FO = "{urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"

BODY_TEXT = f"{_OFFICE}body/{_OFFICE}text"
BODY_SPREADSHEET = f"{_OFFICE}body/{_OFFICE}spreadsheet"
P, H = _TEXT + "p", _TEXT + "h"
TABLE, ROW, CELL = _TABLE + "table", _TABLE + "table-row", _TABLE + "table-cell"
ROW_GROUPS = frozenset(_TABLE + tag for tag in ("table-header-rows", "table-rows", "table-row-group"))
SPACE, TAB, LINE_BREAK = _TEXT + "s", _TEXT + "tab", _TEXT + "line-break"
TEXT_BOX = _DRAW + "text-box"
DISPLAY = _STYLE + "display"
WHITESPACE = re.compile(r"[ \t\r\n]+")  # collapses to one space in ODF text nodes
CELL_STYLE, STYLE_NAME, STYLE_FAMILY = _TABLE + "style-name", _STYLE + "name", _STYLE + "family"
CELL_PROPERTIES, BACKGROUND = _STYLE + "table-cell-properties", _FO + "background-color"
HEADERS = frozenset(_STYLE + tag for tag in ("header", "header-first", "header-left"))
# Never shown as body text: change-tracking records, forms, notes, comments.
SKIPPED = frozenset(
    {
        _TEXT + "tracked-changes",
        _OFFICE + "forms",
        _TEXT + "note",
        _OFFICE + "annotation",
        _TEXT + "sequence-decls",
        _TEXT + "variable-decls",
        _TEXT + "user-field-decls",
    }
)


def read_odt(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of an OpenDocument text: page headers, then the body.

    Raises UnreadableDocument (with a Swedish reason) and nothing else.
    """
    return read_guarded(_read, data, limits, what="an ODF file", corrupt=CORRUPT)


def _read(data: bytes, limits: Limits) -> list[Block]:
    package = SafeZip(data, limits, "Textdokumentet")
    if package.has("META-INF/manifest.xml") and b"encryption-data" in package.read("META-INF/manifest.xml"):
        raise UnreadableDocument(ENCRYPTED)
    if not package.has("content.xml"):
        raise UnreadableDocument(NOT_ODT)
    content = package.xml("content.xml")
    body = content.find(BODY_TEXT)
    if body is None:
        body = content.find(BODY_SPREADSHEET)
    if body is None:
        raise UnreadableDocument(NOT_ODT)
    headers = _Walker({})
    if package.has("styles.xml"):
        styles = package.xml("styles.xml")
        headers.fills = _cell_fills(styles)
        for header in styles.iter(*HEADERS):
            if header.get(DISPLAY) != "false":
                headers.story(header)
    walker = _Walker(_cell_fills(content))
    walker.story(body)
    blocks = (list(dict.fromkeys(headers.blocks)) + walker.blocks)[:MAX_BLOCKS]
    if sum(len(block.text) for block in blocks) > limits.max_text_chars:
        raise UnreadableDocument(TOO_MUCH_TEXT)
    return blocks


def _cell_fills(root: etree._Element) -> dict[str, str]:
    """Background colour by table-cell style name, as upper-case RRGGBB."""
    fills = {}
    for style in root.iter(_STYLE + "style"):
        if style.get(STYLE_FAMILY) != "table-cell":
            continue
        properties = style.find(CELL_PROPERTIES)
        colour = (properties.get(BACKGROUND) or "") if properties is not None else ""
        colour = colour.lstrip("#").upper()
        if len(colour) == 6 and colour != "FFFFFF" and all(c in "0123456789ABCDEF" for c in colour):
            fills[style.get(STYLE_NAME)] = colour
    return fills


class _Walker:
    """Turns one story (body, header, cell, text box) into blocks."""

    def __init__(self, fills: dict[str, str]):
        self.fills = fills
        self.blocks: list[Block] = []

    def story(self, parent, cell: bool = False, fill: str | None = None) -> None:
        for child in parent:
            if len(self.blocks) >= MAX_BLOCKS:
                return
            tag = child.tag
            if tag == P or tag == H:
                self.paragraph(child, cell, fill)
            elif tag == TABLE:
                self.table(child, fill)
            elif tag not in SKIPPED:  # sections, lists, list items, indexes
                self.story(child, cell, fill)

    def table(self, table, outer_fill: str | None) -> None:
        for row in _rows(table):
            for cell in row.iterchildren(CELL):  # covered (merged) cells are skipped
                fill = self.fills.get(cell.get(CELL_STYLE)) or outer_fill
                before = len(self.blocks)
                self.story(cell, True, fill)
                if len(self.blocks) == before and fill:
                    self.blocks.append(Block("", True, fill))

    def paragraph(self, p, cell: bool, fill: str | None) -> None:
        lines: list[list[str]] = [[]]
        textboxes: list = []
        _inline(p, lines, textboxes)
        for parts in lines:
            text = clean_text("".join(parts))
            if text:
                self.blocks.append(Block(text, cell, fill))
        for textbox in textboxes:
            self.story(textbox, cell, fill)


def _rows(container):
    """The table's own rows, in order, through (nested) row groups; never a nested table's.

    Each element is visited once, so nested tables and row groups stay linear.
    """
    stack = [iter(container)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif child.tag == ROW:
            yield child
        elif child.tag in ROW_GROUPS:
            stack.append(iter(child))


def _inline(element, lines: list[list[str]], textboxes: list) -> None:
    """Collect a paragraph's text (mixed content) into lines."""
    if element.text:
        lines[-1].append(WHITESPACE.sub(" ", element.text))
    for child in element:
        tag = child.tag
        if tag == SPACE:
            count = child.get(_TEXT + "c") or "1"
            lines[-1].append(" " * min(int(count) if count.isdigit() else 1, 100))
        elif tag == TAB:
            lines[-1].append("\t")
        elif tag == LINE_BREAK:
            lines.append([])
        elif not isinstance(tag, str):  # an unexpanded entity reference
            pass
        elif tag.startswith(_DRAW):  # frames, shapes, images: only their text boxes
            textboxes.extend(_textboxes(child))
        elif tag not in SKIPPED:
            _inline(child, lines, textboxes)
        if child.tail:
            lines[-1].append(WHITESPACE.sub(" ", child.tail))


def _textboxes(element, found: list | None = None) -> list:
    """The outermost draw:text-box elements in or at `element`."""
    found = [] if found is None else found
    if element.tag == TEXT_BOX:
        found.append(element)
    else:
        for child in element:
            _textboxes(child, found)
    return found
