"""Read a Word file (.docx, .docm, .dotx) into blocks of text in reading order.

The OOXML parts are parsed directly with lxml rather than through
python-docx's object layer: it is faster, and python-docx skips tables,
content controls and text boxes when it lists paragraphs. Page headers come
first, then the body. Checkboxes of every kind become "☒" (ticked) or "☐"
(not ticked) at their place in the text. Macros are never looked at.
"""

from __future__ import annotations

import io
import logging
import posixpath
import zipfile
import zlib

from lxml import etree

from parsers.model import Block, Limits, UnreadableDocument
from parsers.ratings import color_from_fill
from parsers.scale_marks import CIRCLE, SCALES, boxes, chosen, mark_line, option
from parsers.sniff import zip_directory_ok

logger = logging.getLogger(__name__)

TICKED = "☒"
UNTICKED = "☐"

# Reasons shown to the sender.
CORRUPT = "Word-filen är skadad och kunde inte läsas."
NOT_WORD = "Filen är inte ett Word-dokument som kan läsas."
ENCRYPTED = "Word-filen är lösenordsskyddad och kunde inte läsas. Skicka den utan lösenord."
LEGACY_DOC = "Filen är i det äldre Word-formatet (.doc). Spara den som .docx och skicka igen."
TOO_MUCH_TEXT = "Word-filen innehåller för mycket text för att läsas."

# Blocks read from one document or mail body (every reader stops there). A
# 200-page report has some 10^4 lines; the extractor's work is linear in them,
# so this bounds a file of a million one-word lines.
MAX_BLOCKS = 10_000

# Errors that third-party code raises on broken input; wrapped at the boundary.
LIBRARY_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,  # includes RecursionError and zipfile's "password required"
    NotImplementedError,  # unsupported zip compression method
    ValueError,
    KeyError,
    etree.LxmlError,
)

# --- names -------------------------------------------------------------------

MAIN_PART = "word/document.xml"
MAIN_RELS = "word/_rels/document.xml.rels"
STRICT_MARK = b"purl.oclc.org/ooxml/"
STRICT_NAMESPACES = (
    (
        b"http://purl.oclc.org/ooxml/wordprocessingml/main",
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    ),
    (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    ),
)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

DOCUMENT, BODY, HEADER_REF = _W + "document", _W + "body", _W + "headerReference"
P, R, T, TBL, TR, TC = (_W + tag for tag in ("p", "r", "t", "tbl", "tr", "tc"))
SDT, SDT_PR, SDT_CONTENT = _W + "sdt", _W + "sdtPr", _W + "sdtContent"
SHOWING_PLACEHOLDER = _W + "showingPlcHdr"
CUSTOM_XML, TXBX_CONTENT = _W + "customXml", _W + "txbxContent"
TAB, PTAB, BR, CR, SYM = (_W + tag for tag in ("tab", "ptab", "br", "cr", "sym"))
NO_BREAK_HYPHEN = _W + "noBreakHyphen"
RUBY, RUBY_BASE = _W + "ruby", _W + "rubyBase"  # phonetic guides: the base text only
FLD_CHAR, FLD_CHAR_TYPE, FF_DATA = _W + "fldChar", _W + "fldCharType", _W + "ffData"
CHECK_BOX, CHECKED, DEFAULT = _W + "checkBox", _W + "checked", _W + "default"
DD_LIST, DD_RESULT, LIST_ENTRY = _W + "ddList", _W + "result", _W + "listEntry"
TC_PR, SHD, V_MERGE, H_MERGE = _W + "tcPr", _W + "shd", _W + "vMerge", _W + "hMerge"
R_PR, R_FONTS = _W + "rPr", _W + "rFonts"
HIGHLIGHT, BOLD, UNDERLINE, R_STYLE = _W + "highlight", _W + "b", _W + "u", _W + "rStyle"
# Shapes that draw a circle (DrawingML preset geometry, VML oval or the VML oval shape type).
_A_GEOM = "{http://schemas.openxmlformats.org/drawingml/2006/main}prstGeom"
_V = "urn:schemas-microsoft-com:vml"
V_OVAL, V_SHAPE = f"{{{_V}}}oval", f"{{{_V}}}shape"
VAL, FILL, COLOR, FONT, CHAR = (_W + a for a in ("val", "fill", "color", "font", "char"))
ASCII, H_ANSI = _W + "ascii", _W + "hAnsi"
W14_CHECKBOX, W14_CHECKED, W14_VAL = _W14 + "checkbox", _W14 + "checked", _W14 + "val"
ALTERNATE, CHOICE, FALLBACK = _MC + "AlternateContent", _MC + "Choice", _MC + "Fallback"

# Run-level elements whose children are runs again.
INLINE_WRAPPERS = frozenset(
    _W + tag
    for tag in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple", "bdo", "dir")
)
# Run children that may hold text boxes.
GRAPHICS = frozenset({_W + "drawing", _W + "pict", _W + "object", ALTERNATE})

# --- the zip package, read defensively --------------------------------------

MAX_MEMBERS = 5_000
MAX_RATIO = 200  # uncompressed / compressed size of one member
RATIO_MIN_BYTES = 1024 * 1024  # small members may compress well legitimately
CHUNK = 64 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SafeZip:
    """A zip package checked for zip bombs and read within a byte budget.

    `label` names the file kind in reasons, e.g. "Word-filen".
    """

    def __init__(self, data: bytes, limits: Limits, label: str):
        self._bomb = f"{label} packas upp till för mycket data och lästes inte av säkerhetsskäl."
        if len(data) > limits.max_attachment_bytes:
            raise UnreadableDocument(f"{label} är för stor för att läsas.")
        if not zip_directory_ok(data):
            raise UnreadableDocument(self._bomb)
        self._archive = zipfile.ZipFile(io.BytesIO(data))
        infos = self._archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnreadableDocument(self._bomb)
        if sum(info.file_size for info in infos) > limits.max_unpacked_bytes:
            raise UnreadableDocument(self._bomb)
        for info in infos:
            if info.file_size > RATIO_MIN_BYTES and (
                info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise UnreadableDocument(self._bomb)
        # Part names are case-insensitive in OPC.
        self._names = {info.filename.lower(): info for info in infos}
        self._left = limits.max_unpacked_bytes

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def read(self, name: str) -> bytes:
        """Unpack one member in chunks; the declared sizes are not trusted."""
        chunks = []
        with self._archive.open(self._names[name.lower()]) as member:
            while chunk := member.read(CHUNK):
                self._left -= len(chunk)
                if self._left < 0:
                    raise UnreadableDocument(self._bomb)
                chunks.append(chunk)
        return b"".join(chunks)

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name))


def parse_xml(raw: bytes) -> etree._Element:
    """Parse untrusted XML: no entities, no network, no huge trees."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    return etree.fromstring(raw, parser)


# --- public entry point ------------------------------------------------------


def read_docx(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of a Word file: page headers first, then the body.

    Raises UnreadableDocument (with a Swedish reason) and nothing else.
    """
    if data[:8] == OLE_MAGIC:
        # An encrypted OOXML file is an OLE container with this stream name.
        encrypted = "EncryptedPackage".encode("utf-16-le") in data
        raise UnreadableDocument(ENCRYPTED if encrypted else LEGACY_DOC)
    return read_guarded(_read, data, limits, what="a Word file", corrupt=CORRUPT)


def read_guarded(read, data: bytes, limits: Limits, *, what: str, corrupt: str,
                 errors: tuple[type[BaseException], ...] = LIBRARY_ERRORS) -> list[Block]:
    """Run a reader: library errors and reader bugs become UnreadableDocument(corrupt).

    The one error boundary of the .docx, .odt and .doc readers.
    """
    try:
        return read(data, limits)
    except UnreadableDocument:
        raise
    except errors as e:
        logger.info("unreadable %s: %r", what, e)
        raise UnreadableDocument(corrupt) from e
    except Exception as e:  # a bug in the reader; the caller still gets a reason
        logger.exception("unexpected error while reading %s", what)
        raise UnreadableDocument(corrupt) from e


def _read(data: bytes, limits: Limits) -> list[Block]:
    package = SafeZip(data, limits, "Word-filen")
    if not package.has(MAIN_PART):
        raise UnreadableDocument(NOT_WORD)
    document = _load(package, MAIN_PART)
    if document.tag != DOCUMENT:
        raise UnreadableDocument(NOT_WORD)
    headers = _Walker()
    for name in _header_parts(package, document):
        headers.story(_load(package, name))
    body = _Walker()
    if (element := document.find(BODY)) is not None:
        body.story(element)
    blocks = (list(dict.fromkeys(headers.blocks)) + body.blocks)[:MAX_BLOCKS]
    if sum(len(block.text) for block in blocks) > limits.max_text_chars:
        raise UnreadableDocument(TOO_MUCH_TEXT)
    return blocks


def _load(package: SafeZip, name: str) -> etree._Element:
    raw = package.read(name)
    if STRICT_MARK in raw:  # "Strict Open XML" documents: same tags, other namespaces
        for strict, transitional in STRICT_NAMESPACES:
            raw = raw.replace(strict, transitional)
    return parse_xml(raw)


def _header_parts(package: SafeZip, document: etree._Element) -> list[str]:
    """Names of the header parts the sections refer to, in document order."""
    ids = [ref.get(R_ID) for ref in document.iter(HEADER_REF)]
    if not ids or not package.has(MAIN_RELS):
        return []
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in package.xml(MAIN_RELS).iter(PKG_REL)
        if rel.get("Type", "").endswith("/header") and rel.get("TargetMode") != "External"
    }
    names: dict[str, None] = {}  # ordered, and a lookup in constant time (a section per paragraph is possible)
    for rid in dict.fromkeys(ids):
        target = targets.get(rid)
        if not target:
            continue
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            name = posixpath.normpath(posixpath.join("word", target))
        if name not in names and package.has(name):
            names[name] = None
    return list(names)


# --- characters --------------------------------------------------------------

# Box-like characters of the symbol fonts, by font code (w:sym, or text in a
# run set in that font). Unlisted symbols are dropped: they are decoration.
_BOX_SYMBOLS = {
    "wingdings": {
        0x20: " ", 0x6C: "●", 0x6E: "■", 0x6F: UNTICKED, 0x70: UNTICKED, 0x71: UNTICKED,
        0x72: UNTICKED, 0xA8: UNTICKED, 0x78: TICKED, 0xFD: TICKED, 0xFE: TICKED,
        0xFB: "✗", 0xFC: "✓",
    },
    "wingdings 2": {
        0x20: " ", 0x2A: UNTICKED, 0xA3: UNTICKED, 0xA2: "■", 0x52: TICKED,
        0x53: TICKED, 0x54: TICKED, 0x55: TICKED, 0x56: TICKED, 0x4F: "✗", 0x50: "✓",
    },
}

_CLEAN = {
    **{code: " " for code in (0xA0, 0x2007, 0x202F, 0x205F, 0x3000, 0x0A, 0x0D)},
    **{code: " " for code in range(0x2000, 0x200B)},
    **{code: None for code in (0xAD, 0x200B, 0xFEFF)},
    **{code: None for code in range(0xF000, 0xF100)},  # symbol-font private use
    **{ord(box): UNTICKED for box in "□◻⬜❑❒"},
    **{ord(box): TICKED for box in "⌧⮽"},
}


def clean_text(text: str) -> str:
    """Normalise spaces and box glyphs, drop invisible characters, strip."""
    return text.translate(_CLEAN).strip()


def _symbol_text(text: str, table: dict[int, str]) -> str:
    """Text in a run set in a symbol font, as the glyphs it shows."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x100 or 0xF000 <= code < 0xF100:
            out.append(table.get(code & 0xFF, ""))
        else:
            out.append(ch)
    return "".join(out)


def _sym(element: etree._Element) -> str:
    """The character shown by a w:sym element."""
    try:
        code = int(element.get(CHAR) or "", 16)
    except ValueError:
        return ""
    if code < 0x20 or 0xD800 <= code < 0xE000 or code >= 0x110000:
        return ""
    table = _BOX_SYMBOLS.get((element.get(FONT) or "").lower())
    if table is not None:
        return _symbol_text(chr(code), table)
    return chr(code)  # e.g. MS Gothic "2612"; private-use codes vanish in _clean


def _run_symbol_table(run: etree._Element) -> dict[int, str] | None:
    properties = run.find(R_PR)
    fonts = properties.find(R_FONTS) if properties is not None else None
    if fonts is None:
        return None
    for attribute in (ASCII, H_ANSI):
        table = _BOX_SYMBOLS.get((fonts.get(attribute) or "").lower())
        if table is not None:
            return table
    return None


def _on(value: str | None) -> bool:
    """An OOXML on/off value: absent means on."""
    return value is None or value.lower() in ("1", "true", "on")


# --- structure helpers -------------------------------------------------------


def _branch(alternate: etree._Element) -> etree._Element | None:
    """One branch of mc:AlternateContent (the first Choice, else the Fallback)."""
    choice = alternate.find(CHOICE)
    return choice if choice is not None else alternate.find(FALLBACK)


def _sdt_content(sdt: etree._Element) -> etree._Element | None:
    """A content control's content, or None while it shows placeholder text."""
    properties = sdt.find(SDT_PR)
    if properties is not None:
        placeholder = properties.find(SHOWING_PLACEHOLDER)
        if placeholder is not None and _on(placeholder.get(VAL)):
            return None
    return sdt.find(SDT_CONTENT)


def _checkbox_control(sdt: etree._Element) -> bool | None:
    """Whether a w14 checkbox content control is ticked; None if not one."""
    properties = sdt.find(SDT_PR)
    box = properties.find(W14_CHECKBOX) if properties is not None else None
    if box is None:
        return None
    checked = box.find(W14_CHECKED)
    return checked is not None and _on(checked.get(W14_VAL, checked.get(VAL)))


def _legacy_checked(box: etree._Element) -> bool:
    """Whether a legacy form-field checkbox (w:ffData/w:checkBox) is ticked."""
    for tag in (CHECKED, DEFAULT):
        element = box.find(tag)
        if element is not None:
            return _on(element.get(VAL))
    return False


def _dropdown_choice(dropdown: etree._Element) -> str:
    """The selected entry of a legacy drop-down form field."""
    entries = [entry.get(VAL) or "" for entry in dropdown.iter(LIST_ENTRY)]
    for tag in (DD_RESULT, DEFAULT):
        element = dropdown.find(tag)
        if element is not None:
            index = element.get(VAL) or "0"
            break
    else:
        index = "0"
    if index.isdigit() and int(index) < len(entries):
        return entries[int(index)]
    return ""


def _children(parent: etree._Element, tag: str):
    """Children with `tag`, looking through content controls and custom XML."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == CUSTOM_XML:
            yield from _children(child, tag)


def _continues_merge(cell: etree._Element) -> bool:
    """A cell that continues a merge; its text lives in the first cell."""
    properties = cell.find(TC_PR)
    if properties is None:
        return False
    for tag in (V_MERGE, H_MERGE):
        merge = properties.find(tag)
        if merge is not None and merge.get(VAL) != "restart":
            return True
    return False


def _cell_fill(cell: etree._Element) -> str | None:
    properties = cell.find(TC_PR)
    shading = properties.find(SHD) if properties is not None else None
    if shading is None:
        return None
    if shading.get(VAL) == "solid" and _rgb(shading.get(COLOR)):
        return _rgb(shading.get(COLOR))  # a solid pattern shows its colour
    return _rgb(shading.get(FILL))


def _rgb(value: str | None) -> str | None:
    if not value or len(value) != 6:
        return None
    value = value.upper()
    if value == "FFFFFF" or any(c not in "0123456789ABCDEF" for c in value):
        return None
    return value


def _textboxes(element: etree._Element, found: list | None = None) -> list:
    """The w:txbxContent elements in a drawing, one branch per alternative."""
    found = [] if found is None else found
    if element.tag == ALTERNATE:
        element = _branch(element)
        if element is None:
            return found
    for child in element:
        if child.tag == TXBX_CONTENT:
            found.append(child)
        else:
            _textboxes(child, found)
    return found


# --- formatting that marks a choice on a printed scale ------------------------

NO_MARKS: frozenset[str] = frozenset()


def _run_marks(run: etree._Element) -> frozenset[str]:
    """Direct formatting of a run that can mark a number: highlight, shading, bold, underline, font colour."""
    properties = run.find(R_PR)
    if properties is None:
        return NO_MARKS
    marks = []
    for element in properties:  # one pass: most runs have a few properties, or none of these
        tag = element.tag
        if tag == HIGHLIGHT:
            if (element.get(VAL) or "none").lower() != "none":
                marks.append("highlight:" + (element.get(VAL) or "").lower())
        elif tag == SHD:
            colour = _rgb(element.get(COLOR)) if element.get(VAL) == "solid" else _rgb(element.get(FILL))
            if colour:
                marks.append("shade:" + colour)
        elif tag == BOLD:
            if _on(element.get(VAL)):
                marks.append("bold")
        elif tag == R_STYLE:
            if (element.get(VAL) or "").lower() in ("strong", "stark", "betoning"):
                marks.append("bold")
        elif tag == UNDERLINE:
            if (element.get(VAL) or "none").lower() != "none":
                marks.append("underline")
        elif tag == COLOR:
            if (rgb := _rgb(element.get(VAL))) and rgb != "000000":
                marks.append("colour:" + rgb)  # a number in red among black ones
    return frozenset(marks) if marks else NO_MARKS


_DOTS = frozenset("●⬤⚫")
_LIGHT_EMOJI = {"grön": "🟢", "gul": "🟡", "röd": "🔴"}


def _coloured_light(run: etree._Element, text: str) -> str:
    """A dot coloured green, yellow or red (the run's font colour) as the traffic light's emoji."""
    properties = run.find(R_PR)
    colour = properties.find(COLOR) if properties is not None else None
    light = color_from_fill(_rgb(colour.get(VAL)) if colour is not None else None)
    return text.replace(text.strip(), _LIGHT_EMOJI[light]) if light else text


def _is_circle(graphic: etree._Element) -> bool:
    """Whether a drawing is an ellipse (a circle drawn around something)."""
    for element in graphic.iter(_A_GEOM, V_OVAL, V_SHAPE):
        if element.tag == V_OVAL:
            return True
        if element.tag == _A_GEOM and element.get("prst") in ("ellipse", "donut", "flowChartConnector"):
            return True
        if element.tag == V_SHAPE and (element.get("type") or "").endswith("_x0000_t3"):
            return True
    return False


def _circled_digit(textboxes: list) -> str | None:
    """The number written inside a circle shape's text box ("3"), if that is all it holds."""
    text = "".join("".join(t.text or "" for t in box.iter(T)) for box in textboxes).strip()
    return text if text in ("1", "2", "3", "4", "5") else None


# --- the walk ----------------------------------------------------------------


MAX_OPEN_FIELDS = 64  # nesting tracked; real documents nest a few deep (hostile ones: thousands)


class _Field:
    """An open complex field (w:fldChar begin ... end)."""

    __slots__ = ("hides_result", "in_result")

    def __init__(self, hides_result: bool):
        self.hides_result = hides_result  # form fields whose value we rendered
        self.in_result = False  # past "separate": the displayed result


class _Paragraph:
    """Text of one paragraph being collected, split at line breaks.

    The marks of each piece (see `_run_marks`) are kept while the paragraph
    has any, so that a printed scale with one number marked can be read.
    """

    __slots__ = ("line_marks", "lines", "marked", "parts", "textboxes")

    def __init__(self):
        self.lines: list[str] = []
        self.line_marks: list[frozenset[str]] = []  # the marks of each line's visible text
        self.parts: list[tuple[str, frozenset[str]]] = []
        self.marked = False  # some piece of the current line is marked
        self.textboxes: list = []

    def add(self, text: str, marks: frozenset[str] = NO_MARKS) -> None:
        self.parts.append((text, marks))
        self.marked = self.marked or bool(marks)

    def newline(self) -> None:
        line = (mark_line(self.parts) if self.marked else None) or "".join(text for text, _ in self.parts)
        self.lines.append(line)
        self.line_marks.append(
            frozenset().union(*(marks for text, marks in self.parts if text.strip())) if self.marked else NO_MARKS)
        self.parts = []
        self.marked = False


class _Walker:
    """Turns one story (body, header, cell, text box) into blocks."""

    def __init__(self):
        self.blocks: list[Block] = []
        self.fields: list[_Field] = []  # the innermost MAX_OPEN_FIELDS open fields
        self.hidden = 0  # how many of them hide what follows (instructions, rendered form fields)
        self.digit_marks: dict[int, frozenset[str]] = {}  # one-character cell blocks: their marks

    def story(self, parent, cell: bool = False, fill: str | None = None) -> None:
        for child in parent:
            if len(self.blocks) >= MAX_BLOCKS:
                return
            tag = child.tag
            if tag == P:
                self.paragraph(child, cell, fill)
            elif tag == TBL:
                self.table(child, fill)
            elif tag == SDT:
                content = _sdt_content(child)
                if content is not None:
                    self.story(content, cell, fill)
            elif tag == CUSTOM_XML:
                self.story(child, cell, fill)
            elif tag == ALTERNATE:
                branch = _branch(child)
                if branch is not None:
                    self.story(branch, cell, fill)

    def table(self, table, outer_fill: str | None) -> None:
        for row in _children(table, TR):
            cells: list[tuple[int, int, str | None]] = []  # each cell's blocks and own shading
            for cell in _children(row, TC):
                if _continues_merge(cell):
                    continue
                fill = _cell_fill(cell) or outer_fill
                before = len(self.blocks)
                self.story(cell, True, fill)
                if len(self.blocks) == before and fill:
                    self.blocks.append(Block("", True, fill))
                cells.append((before, len(self.blocks), _cell_fill(cell)))
            self.scale_row(cells)

    def scale_row(self, cells: list[tuple[int, int, str | None]]) -> None:
        """A row of cells "1" .. "5" or "Grönt | Gult | Rött" (one shaded, bold, ...): one checkbox line.

        Read cell by cell, the first option would pass for the rating.
        """
        for values in SCALES.values():
            size = len(values)
            for k in range(len(cells) - size + 1):
                run = cells[k:k + size]
                if all(end == start + 1 and (o := option(self.blocks[start].text)) is not None and o[1] == value
                       for value, (start, end, _) in zip(values, run, strict=True)):
                    fills = [fill for _, _, fill in run]
                    legend = all(fills) and len(set(fills)) == size  # each option in its own colour
                    marks = [self.digit_marks.get(start, NO_MARKS) | ({"fill:" + fill} if fill and not legend
                                                                     else NO_MARKS)
                             for start, _, fill in run]
                    texts = [self.blocks[start].text.strip(".") for start, _, _ in run]
                    self.blocks[run[0][0]:run[-1][1]] = [Block(boxes(chosen(marks), texts), True, None)]
                    return

    def paragraph(self, p, cell: bool, fill: str | None) -> None:
        para = _Paragraph()
        self.inline(p, para)
        para.newline()
        # Only a field's displayed result may continue into the next paragraph.
        if self.hidden:
            self.fields = [f for f in self.fields if f.in_result and not f.hides_result]
            self.hidden = 0
        for line, marks in zip(para.lines, para.line_marks, strict=True):
            text = clean_text(line)
            if text:
                if cell and len(text) <= 6:  # an option of a scale in its own cell: "3", "Gult"
                    self.digit_marks[len(self.blocks)] = marks
                self.blocks.append(Block(text, cell, fill))
        for textbox in para.textboxes:
            self.story(textbox, cell, fill)

    def inline(self, parent, para: _Paragraph) -> None:
        for child in parent:
            tag = child.tag
            if tag == R:
                self.run(child, para)
            elif tag in INLINE_WRAPPERS:
                self.inline(child, para)
            elif tag == SDT:
                ticked = _checkbox_control(child)
                if ticked is not None:
                    if self.visible():
                        para.add(TICKED if ticked else UNTICKED)  # the glyph run may be stale
                elif (content := _sdt_content(child)) is not None:
                    self.inline(content, para)
            elif tag == ALTERNATE:
                branch = _branch(child)
                if branch is not None:
                    self.inline(branch, para)

    def run(self, run, para: _Paragraph) -> None:
        symbols = _run_symbol_table(run)
        marks = _run_marks(run)
        for child in run:
            tag = child.tag
            if tag == FLD_CHAR:
                self.field_char(child, para)
            elif self.fields and not self.visible():
                continue
            elif tag == T:
                text = child.text or ""
                text = text if symbols is None else _symbol_text(text, symbols)
                para.add(_coloured_light(run, text) if text.strip() in _DOTS else text, marks)
            elif tag == TAB or tag == PTAB:
                para.add("\t")
            elif tag == BR or tag == CR:
                para.newline()
            elif tag == SYM:
                para.add(_sym(child))
            elif tag == NO_BREAK_HYPHEN:
                para.add("-")
            elif tag == RUBY and (base := child.find(RUBY_BASE)) is not None:
                self.inline(base, para)
            elif tag in GRAPHICS:
                found = _textboxes(child)
                if _is_circle(child):
                    digit = _circled_digit(found)
                    para.add(digit or "", frozenset({CIRCLE}))
                    if digit:
                        continue  # the number inside the circle is part of the line
                para.textboxes.extend(found)

    def field_char(self, char, para: _Paragraph) -> None:
        kind = char.get(FLD_CHAR_TYPE)
        if kind == "begin":
            form = char.find(FF_DATA)
            box = form.find(CHECK_BOX) if form is not None else None
            dropdown = form.find(DD_LIST) if form is not None else None
            if self.visible():
                if box is not None:
                    para.add(TICKED if _legacy_checked(box) else UNTICKED)
                elif dropdown is not None:
                    para.add(_dropdown_choice(dropdown))
            if len(self.fields) >= MAX_OPEN_FIELDS:
                self.hidden -= _hides(self.fields.pop(0))
            self.fields.append(_Field(hides_result=box is not None or dropdown is not None))
            self.hidden += 1
        elif kind == "separate" and self.fields:
            field = self.fields[-1]
            if not field.in_result:
                field.in_result = True
                self.hidden -= not field.hides_result
        elif kind == "end" and self.fields:
            self.hidden -= _hides(self.fields.pop())

    def visible(self) -> bool:
        """False inside a field's instructions or a rendered form field."""
        return not self.hidden


def _hides(field: _Field) -> bool:
    return not field.in_result or field.hides_result
