"""Read the text layer of a PDF attachment into blocks (one per line).

Text comes from pypdfium2 (PDFium), in the order PDFium gives it: content
order, which for Word and LibreOffice exports is reading order. pdfplumber
is not used: it is about 40 times slower and what it would add (table cell
shading) is found here from PDFium's own page objects, at little cost:

- A page with no filled, coloured rectangle (nearly every report) costs one
  pass over its page objects on top of the bare text extraction.
- On a page with such rectangles, only the lines that overlap one are looked
  at char by char; text inside a rectangle becomes its own block with
  `cell=True` and `fill` set to the rectangle's colour.

Pages that draw a table's ruling lines are read again with pdfplumber's
table finder (parsers/pdf_tables.py), so that a rating cell stays with its
row; a few pages per document, within a time budget (TABLE_PAGES, TABLE_SECONDS).

Checkbox glyphs (☐ ☒ ☑ ■) are kept as they are. Hyphenation is not undone:
where PDFium joined a line ending in "-" to the next one, the break is put back.
"""

from __future__ import annotations

import ctypes
import io
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers import pdf_tables
from parsers.docx_reader import MAX_BLOCKS
from parsers.model import Block, Limits, UnreadableDocument
from parsers.scale_marks import mark_line

logger = logging.getLogger(__name__)

__all__ = ["read_pdf"]

REASON_TOO_LARGE = (
    "PDF-filen är för stor för att läsas. "
    "Skicka rapporten som Word-fil eller skriv den i mejlet."
)
REASON_NOT_PDF = (
    "Bilagan är inte en PDF-fil som kan läsas. "
    "Skicka rapporten som Word-fil eller PDF, eller skriv den i mejlet."
)
REASON_CORRUPT = (
    "PDF-filen är skadad och kunde inte läsas. "
    "Skicka den igen, som Word-fil, eller skriv rapporten i mejlet."
)
REASON_PASSWORD = (
    "PDF-filen är lösenordsskyddad och kunde inte läsas. "
    "Skicka den utan lösenord eller som Word-fil."
)
REASON_SECURITY = (
    "PDF-filen är krypterad på ett sätt som inte kan läsas. "
    "Skicka den utan kryptering eller som Word-fil."
)
REASON_NO_TEXT = (
    "PDF-filen innehåller bara bilder (inskannad) och ingen text som kan läsas. "
    "Skicka rapporten som Word-fil eller skriv den i mejlet."
)
REASON_EMPTY = (
    "PDF-filen innehåller ingen text som kan läsas. Kontrollera att rätt fil "
    "bifogades, eller skicka rapporten som Word-fil eller skriv den i mejlet."
)

_MAGIC_WINDOW = 1024
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
# PDFium joins a line that ends in a hyphen to the next one and puts one of
# these in place of the hyphen (U+FFFE from FPDFText_GetText, U+0002 elsewhere).
_JOINED_HYPHEN = re.compile("[\ufffe\x02]")
# Control characters other than tab and line breaks, and the soft hyphen.
_INVISIBLE = re.compile("[\x00\x01\x03-\x08\x0e-\x1f\x7f\xad]")

_MIN_FILL_SIDE = 4.0  # pt; thinner filled shapes are rules and borders
_MAX_FILL_PAGE_SHARE = 0.5  # a larger filled shape is a page background
_CELL_GAP_EM = 0.6  # a gap this wide (in font sizes) between chars may be a cell edge
# Work on shaded cells in one document, in steps (a page object looked at, a
# rectangle compared with a fill, a char placed): a real report needs some
# 10^5; past the budget the rest is read as plain lines. Hostile files (200
# pages sharing one content stream of hundreds of fills) otherwise cost minutes.
FILL_WORK_BUDGET = 500_000
# Page objects (text runs, paths, images) read in one document: a 200-page
# report has some 10^4; pages that all draw one huge shared content stream stop here.
MAX_PAGE_OBJECTS = 100_000
# Tables read with pdfplumber: pages of one document, seconds spent, and which pages
# qualify (ruling lines drawn, not too many objects to look at).
TABLE_PAGES = 8
TABLE_SECONDS = 1.0
TABLE_MIN_RULINGS = 4
TABLE_MAX_OBJECTS = 2_000
TABLE_MAX_CHARS = 8_000  # a page of a report has some 3,000; each cell's text is cut from all of them
TABLE_MAX_RULINGS = 150  # pdfplumber's edge merging grows faster than linearly in these
# A line that may be a printed scale with its choice highlighted (see _marked_scale).
_MAX_SCALE_LINE = 80
_SCALE_HINT = re.compile(r"1\W+2\W+3\W+4\W+5|gr[öo]nt?\W+gult?\W+r[öo](?:d|tt)", re.IGNORECASE)
_RULING_SIDE = 3.0  # pt; a filled shape this thin is a drawn line


class _Budget:
    """Steps of fill work left for the document (see FILL_WORK_BUDGET)."""

    __slots__ = ("left",)

    def __init__(self, steps: int):
        self.left = steps

    def spend(self, steps: int) -> bool:
        """Charge `steps`; False once the budget is gone."""
        self.left -= steps
        return self.left > 0


@dataclass(frozen=True, slots=True)
class _Fill:
    left: float
    bottom: float
    right: float
    top: float
    color: str  # "RRGGBB"

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.bottom <= y <= self.top

    @property
    def area(self) -> float:
        return (self.right - self.left) * (self.top - self.bottom)


def read_pdf(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the lines of the PDF's text layer as blocks, in reading order.

    Reads at most `limits.max_pages` pages and `limits.max_text_chars`
    characters. Raises UnreadableDocument (with a Swedish reason) when the
    file is too large, not a PDF, corrupt, password-protected or has no text.
    """
    data = bytes(data)
    if len(data) > limits.max_attachment_bytes:
        raise UnreadableDocument(REASON_TOO_LARGE)
    if b"%PDF" not in data[:_MAGIC_WINDOW]:
        raise UnreadableDocument(REASON_NOT_PDF)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise UnreadableDocument(_reason_for_load_error(e.err_code)) from e
    try:
        return _read_document(document, limits, data)
    except (pdfium.PdfiumError, ValueError, OverflowError, ctypes.ArgumentError) as e:
        raise UnreadableDocument(REASON_CORRUPT) from e
    finally:
        document.close()


def _reason_for_load_error(err_code: int | None) -> str:
    if err_code == pdfium_c.FPDF_ERR_PASSWORD:
        return REASON_PASSWORD
    if err_code == pdfium_c.FPDF_ERR_SECURITY:
        return REASON_SECURITY
    return REASON_CORRUPT


def _read_document(document: pdfium.PdfDocument, limits: Limits, data: bytes = b"") -> list[Block]:
    tables = _TableReader(data)
    try:
        return _read_pages(document, limits, tables)
    finally:
        tables.close()


def _read_pages(document: pdfium.PdfDocument, limits: Limits, tables: _TableReader) -> list[Block]:
    page_count = len(document)
    if page_count > limits.max_pages:
        logger.info("PDF has %s pages; reading the first %s", page_count, limits.max_pages)
    blocks: list[Block] = []
    chars_left = limits.max_text_chars
    budget = _Budget(FILL_WORK_BUDGET)
    objects_left = MAX_PAGE_OBJECTS
    pages_read = 0
    images_seen = False
    for index in range(min(page_count, limits.max_pages)):
        try:
            page = document[index]
        except pdfium.PdfiumError:
            logger.warning("PDF page %s could not be loaded; skipped", index + 1)
            continue
        objects_left -= max(pdfium_c.FPDFPage_CountObjects(page), 0)
        if objects_left < 0 and pages_read:
            page.close()
            logger.warning("PDF pages draw over %s objects; read the first %s pages", MAX_PAGE_OBJECTS, pages_read)
            break
        try:
            before = chars_left
            page_blocks, chars_left = _read_page(page, chars_left, budget)
            if not page_blocks and not images_seen:
                images_seen = _has_image(page, budget)
            elif page_blocks and before - chars_left <= TABLE_MAX_CHARS and tables.worth_it(page):
                page_blocks = tables.read(index) or page_blocks
        finally:
            page.close()
        pages_read += 1
        blocks.extend(page_blocks)
        if chars_left <= 0:
            logger.warning("PDF text exceeds %s characters; rest ignored", limits.max_text_chars)
            break
        if len(blocks) >= MAX_BLOCKS:
            logger.warning("PDF has over %s lines; read the first %s pages", MAX_BLOCKS, pages_read)
            del blocks[MAX_BLOCKS:]
            break
    if not blocks:
        if not pages_read:
            raise UnreadableDocument(REASON_CORRUPT)
        raise UnreadableDocument(REASON_NO_TEXT if images_seen else REASON_EMPTY)
    return blocks


class _TableReader:
    """pdfplumber over the pages that draw tables, within TABLE_PAGES and TABLE_SECONDS."""

    def __init__(self, data: bytes):
        self._data = data
        self._pdf: Any = None  # pdfplumber.PDF, opened at the first table
        self._pages_left = TABLE_PAGES if data else 0
        self._deadline: float | None = None

    def worth_it(self, page: pdfium.PdfPage) -> bool:
        if self._pages_left <= 0 or (self._deadline is not None and time.monotonic() > self._deadline):
            return False
        count = pdfium_c.FPDFPage_CountObjects(page)
        return 0 < count <= TABLE_MAX_OBJECTS and TABLE_MIN_RULINGS <= _rulings(page, count) <= TABLE_MAX_RULINGS

    def read(self, index: int) -> list[Block] | None:
        """The page's blocks with its tables cell by cell; None to keep PDFium's lines."""
        self._pages_left -= 1
        if self._deadline is None:
            self._deadline = time.monotonic() + TABLE_SECONDS
        try:
            if self._pdf is None:
                import pdfplumber  # imported when a table is met: it costs some 0.2 s

                self._pdf = pdfplumber.open(io.BytesIO(self._data))
            page = self._pdf.pages[index]
            try:
                return pdf_tables.page_blocks(page)
            finally:
                page.close()
        except Exception as e:  # pdfminer raises many kinds on broken files; PDFium's reading stands
            logger.info("PDF tables of page %s not read: %r", index + 1, e)
            self._pages_left = 0
            return None

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def _rulings(page: pdfium.PdfPage, count: int) -> int:
    """Path objects that draw lines: stroked paths and thin filled shapes (table borders)."""
    found = 0
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    for i in range(count):
        obj = pdfium_c.FPDFPage_GetObject(page, i)
        if not obj or pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if not pdfium_c.FPDFPath_GetDrawMode(obj, mode, stroke):
            continue
        if stroke.value:
            found += 1
        elif pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top) and min(
                right.value - left.value, top.value - bottom.value) < _RULING_SIDE:
            found += 1
        if found > TABLE_MAX_RULINGS:
            break
    return found


def _has_image(page: pdfium.PdfPage, budget: _Budget) -> bool:
    """Whether the page draws a raster image (at its top level): a scan, probably."""
    for i in range(pdfium_c.FPDFPage_CountObjects(page)):
        if not budget.spend(1):
            return False
        obj = pdfium_c.FPDFPage_GetObject(page, i)
        if obj and pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            return True
    return False


def _read_page(page: pdfium.PdfPage, chars_left: int, budget: _Budget) -> tuple[list[Block], int]:
    """Blocks of one page, and the character budget left after it."""
    textpage = page.get_textpage()
    try:
        text = _page_text(textpage)
        if len(text) > chars_left:
            text = text[:chars_left]
        chars_left -= len(text)
        if not text.strip():
            return [], chars_left
        fills = _fills(page, budget)
        if not fills:
            return _plain_blocks(text), chars_left
        return _blocks_with_fills(textpage, text, fills, budget), chars_left
    finally:
        textpage.close()


def _page_text(textpage: pdfium.PdfTextPage) -> str:
    count = pdfium_c.FPDFText_CountChars(textpage)
    if count <= 0:
        return ""
    # Room for a surrogate pair per char: older PDFium could write more units
    # than chars (crbug.com/pdfium/2133).
    buffer = (ctypes.c_ushort * (2 * count + 2))()
    written = pdfium_c.FPDFText_GetText(textpage, 0, count, buffer)
    if written <= 1:
        return ""
    return ctypes.string_at(buffer, 2 * (written - 1)).decode("utf-16-le", errors="replace")


def _normalise(text: str) -> str:
    """Put back line breaks PDFium removed after a hyphen; drop invisible chars."""
    text = _JOINED_HYPHEN.sub("-\n", text)
    return _INVISIBLE.sub("", text).replace("\t", " ")


def _clean(text: str) -> list[str]:
    """PDFium text as the stripped, non-empty lines it holds."""
    lines = _LINE_BREAK.split(_normalise(text))
    return [stripped for line in lines if (stripped := line.strip())]


def _plain_blocks(text: str) -> list[Block]:
    return [Block(line) for line in _clean(text)]


def _fills(page: pdfium.PdfPage, budget: _Budget) -> list[_Fill]:
    """Filled, coloured (not white) shapes on the page that could be shaded cells.

    None once the fill work budget is spent: the page is then read as plain lines.
    """
    fills: list[_Fill] = []
    page_area = None
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    r, g, b, a = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    for i in range(pdfium_c.FPDFPage_CountObjects(page)):
        if not budget.spend(1):
            return []
        obj = pdfium_c.FPDFPage_GetObject(page, i)
        if not obj or pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        if not pdfium_c.FPDFPath_GetDrawMode(obj, mode, stroke):
            continue
        if mode.value == pdfium_c.FPDF_FILLMODE_NONE:
            continue
        if not pdfium_c.FPDFPageObj_GetFillColor(obj, r, g, b, a):
            continue
        if a.value == 0 or (r.value, g.value, b.value) == (255, 255, 255):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        if right.value - left.value < _MIN_FILL_SIDE or top.value - bottom.value < _MIN_FILL_SIDE:
            continue
        fill = _Fill(left.value, bottom.value, right.value, top.value,
                     f"{r.value:02X}{g.value:02X}{b.value:02X}")
        if page_area is None:
            width, height = page.get_size()
            page_area = width * height
        if fill.area > _MAX_FILL_PAGE_SHARE * page_area:
            continue
        fills.append(fill)
    # Smallest first, so a cell wins over a shaded table or section around it.
    fills.sort(key=lambda f: f.area)
    return fills


def _blocks_with_fills(textpage: pdfium.PdfTextPage, text: str, fills: list[_Fill], budget: _Budget) -> list[Block]:
    """Like _plain_blocks, but lines that overlap a fill are split at cell edges."""
    blocks: list[Block] = []
    unit = 0  # position in FPDFText_GetText's UTF-16 output ("text index")
    for raw, break_units in _lines_with_breaks(text):
        start_unit, unit = unit, unit + _utf16_len(raw)
        line_blocks = None
        if raw.strip() and budget.left > 0:
            chars = _char_range(textpage, start_unit, unit)
            near = _fills_under(textpage, chars, fills, budget) if chars is not None else []
            if near and chars is not None and budget.spend(len(chars) * len(near)):
                line_blocks = _split_line(textpage, chars, near)
        if line_blocks is None:
            line_blocks = [Block(line) for line in _clean(raw)]
        blocks.extend(line_blocks)
        unit += break_units
    return blocks


def _lines_with_breaks(text: str) -> Iterator[tuple[str, int]]:
    """Yield each line of `text` with the UTF-16 length of the break after it."""
    position = 0
    for match in _LINE_BREAK.finditer(text):
        yield text[position:match.start()], _utf16_len(match.group())
        position = match.end()
    yield text[position:], 0


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _char_range(textpage: pdfium.PdfTextPage, start_unit: int, end_unit: int) -> range | None:
    """PDFium char indices for text units [start_unit, end_unit), if they map."""
    if end_unit <= start_unit:
        return None
    first = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, start_unit)
    last = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, end_unit - 1)
    if first < 0 or last < first:
        return None
    return range(first, last + 1)


def _fills_under(textpage: pdfium.PdfTextPage, chars: range, fills: list[_Fill], budget: _Budget) -> list[_Fill]:
    """The fills (smallest first) that the line's text rectangles overlap; [] when the budget is spent."""
    count = max(pdfium_c.FPDFText_CountRects(textpage, chars.start, len(chars)), 0)
    if count == 0 or not budget.spend(count + len(fills)):
        return []
    left, top, right, bottom = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    rects = []
    for i in range(count):
        if pdfium_c.FPDFText_GetRect(textpage, i, left, top, right, bottom):
            rects.append((left.value, top.value, right.value, bottom.value))
    if not rects:
        return []
    x0, x1 = min(r[0] for r in rects), max(r[2] for r in rects)
    y0, y1 = min(r[3] for r in rects), max(r[1] for r in rects)
    near = [f for f in fills if x0 < f.right and x1 > f.left and y0 < f.top and y1 > f.bottom]
    if len(rects) == 1 or not near or not budget.spend(len(rects) * len(near)):
        return near if len(rects) == 1 else []
    return [fill for fill in near
            if any(left < fill.right and right > fill.left and bottom < fill.top and top > fill.bottom
                   for left, top, right, bottom in rects)]


def _split_line(textpage: pdfium.PdfTextPage, chars: range, fills: list[_Fill]) -> list[Block]:
    """Split one line into runs by the fill under each char, at gaps wide enough to be cell edges."""
    runs: list[tuple[list[str], _Fill | None]] = []
    current: list[str] = []
    current_fill: _Fill | None = None
    previous_right = previous_size = None
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    for index in chars:
        char = _char(pdfium_c.FPDFText_GetUnicode(textpage, index))
        has_box = not pdfium_c.FPDFText_IsGenerated(textpage, index) and pdfium_c.FPDFText_GetCharBox(
            textpage, index, left, right, bottom, top)
        if not has_box or char.isspace():
            current.append(char)
            continue
        fill = _fill_at(fills, (left.value + right.value) / 2, (bottom.value + top.value) / 2)
        if fill is not current_fill:
            gap: float | None = left.value - previous_right if previous_right is not None else None
            wide = gap is None or gap >= _CELL_GAP_EM * (previous_size or 0.0)
            if wide or not "".join(current).strip():
                runs.append((current, current_fill))
                current, current_fill = [], fill
            elif current_fill is not None:
                current_fill = None  # e.g. one highlighted word: no longer a cell
        current.append(char)
        previous_right = right.value
        previous_size = pdfium_c.FPDFText_GetFontSize(textpage, index)
    runs.append((current, current_fill))
    text = "".join("".join(run_chars) for run_chars, _ in runs)
    if len(text) <= _MAX_SCALE_LINE and _SCALE_HINT.search(text):
        scale = _marked_scale(textpage, chars, fills)
        if scale is not None:
            return [Block(scale)]
    blocks: list[Block] = []
    for run_chars, fill in runs:
        for line in _clean("".join(run_chars)):
            if fill is None:
                blocks.append(Block(line))
            else:
                blocks.append(Block(line, cell=True, fill=fill.color))
    return blocks


def _marked_scale(textpage: pdfium.PdfTextPage, chars: range, fills: list[_Fill]) -> str | None:
    """A line "Påverkan: 1 2 3 4 5" with one number highlighted, as checkboxes ("☐1 ☐2 ☒3 ...")."""
    parts: list[tuple[str, frozenset[str]]] = []
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    for index in chars:
        char = _char(pdfium_c.FPDFText_GetUnicode(textpage, index))
        marks: frozenset[str] = frozenset()
        if not char.isspace() and pdfium_c.FPDFText_GetCharBox(textpage, index, left, right, bottom, top):
            fill = _fill_at(fills, (left.value + right.value) / 2, (bottom.value + top.value) / 2)
            marks = frozenset({"fill:" + fill.color}) if fill is not None else marks
        if parts and parts[-1][1] == marks:
            parts[-1] = (parts[-1][0] + char, marks)
        else:
            parts.append((char, marks))
    line = mark_line(parts)
    return " ".join(_clean(line)) if line is not None else None


def _char(code: int) -> str:
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return "\ufffd"


def _fill_at(fills: list[_Fill], x: float, y: float) -> _Fill | None:
    for fill in fills:
        if fill.contains(x, y):
            return fill
    return None
