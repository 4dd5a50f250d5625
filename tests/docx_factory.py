"""Build small Word files in memory for the reader tests.

python-docx makes the package (styles, relationships, the header part); the
content is written as OOXML snippets, since python-docx has no API for
content controls, checkboxes, symbols, text boxes, shading or merges.

    make_docx(["Rubrik", p("Påverkan: ", sym("F0FE"), "3"), [["a", cell("b", fill="00B050")]]],
              header=["Ludvika kommun"])

Body and header items: a str is a paragraph, a list of rows is a table, an
Xml is inserted as it is. Run-level helpers (sym, checkbox, ...) go in p().
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

import docx
from docx.oxml import parse_xml

NAMESPACES = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
NSDECLS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "dotx": "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
}


@dataclass(frozen=True)
class Xml:
    """OOXML elements without namespace declarations (prefixes from NAMESPACES)."""

    snippet: str


# --- runs -----------------------------------------------------------------------


def run(text: str, font: str | None = None) -> Xml:
    fonts = f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>' if font else ""
    return Xml(f'<w:r>{fonts}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>')


def marked(text: str, *, highlight: str | None = None, shade: str | None = None, bold: bool = False,
           underline: bool = False, color: str | None = None, font: str | None = None) -> Xml:
    """A run with the formatting that marks a chosen number on a printed scale (or colours a dot)."""
    props = f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}"/>' if font else ""
    if bold:
        props += "<w:b/>"
    if underline:
        props += '<w:u w:val="single"/>'
    if highlight:
        props += f'<w:highlight w:val="{highlight}"/>'
    if shade:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
    if color:
        props += f'<w:color w:val="{color}"/>'
    return Xml(f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>')


def circle(text: str = "", vml: bool = False) -> Xml:
    """An ellipse shape anchored in the line (DrawingML, or VML), with `text` in its text box if any."""
    body = (f'<w:txbxContent><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:txbxContent>'
            if text else "")
    if vml:
        box = f"<v:textbox>{body}</v:textbox>" if body else ""
        return Xml(f'<w:r><w:pict><v:oval style="width:20pt;height:20pt" filled="f">{box}</v:oval></w:pict></w:r>')
    txbx = f"<wps:txbx>{body}</wps:txbx>" if body else ""
    return Xml(
        '<w:r><w:drawing><wp:anchor behindDoc="0" distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        'relativeHeight="1" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="254000" cy="254000"/><wp:wrapNone/><wp:docPr id="7" name="Ellips 7"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="254000" cy="254000"/></a:xfrm>'
        f'<a:prstGeom prst="ellipse"><a:avLst/></a:prstGeom><a:noFill/></wps:spPr>{txbx}<wps:bodyPr/></wps:wsp>'
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>")


def br() -> Xml:
    return Xml("<w:r><w:br/></w:r>")


def tab() -> Xml:
    return Xml("<w:r><w:tab/></w:r>")


def sym(char: str, font: str = "Wingdings") -> Xml:
    return Xml(f'<w:r><w:sym w:font="{font}" w:char="{char}"/></w:r>')


def checkbox(checked: bool, glyph: str | None = None) -> Xml:
    """A w14 checkbox content control; `glyph` fakes a stale displayed glyph."""
    glyph = glyph or ("☒" if checked else "☐")
    return Xml(
        "<w:sdt><w:sdtPr><w14:checkbox>"
        f'<w14:checked w14:val="{int(checked)}"/>'
        '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
        "</w14:checkbox></w:sdtPr><w:sdtContent>"
        f'<w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr><w:t>{glyph}</w:t></w:r>'
        "</w:sdtContent></w:sdt>"
    )


def legacy_checkbox(state: str = "", result: str = "") -> Xml:
    """A legacy FORMCHECKBOX field; `state` is ffData XML, e.g. '<w:checked/>'."""
    separate = (
        f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{result}</w:t></w:r>'
        if result
        else ""
    )
    return Xml(
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Kryss1"/>'
        f"<w:enabled/><w:calcOnExit w:val=\"0\"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox>"
        "</w:ffData></w:fldChar></w:r>"
        '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
        f'{separate}<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def legacy_dropdown(entries: list[str], selected: int) -> Xml:
    items = "".join(f'<w:listEntry w:val="{escape(e)}"/>' for e in entries)
    return Xml(
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Lista1"/>'
        f'<w:ddList><w:result w:val="{selected}"/>{items}</w:ddList></w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMDROPDOWN </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def field(instruction: str, result: str) -> Xml:
    """A complex field (e.g. a page number) showing `result`."""
    return Xml(
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"{run(result).snippet}"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def sdt(*parts: str | Xml, placeholder: bool = False) -> Xml:
    """A run-level content control around `parts`."""
    flag = "<w:showingPlcHdr/>" if placeholder else ""
    return Xml(f"<w:sdt><w:sdtPr>{flag}</w:sdtPr><w:sdtContent>{_runs(parts)}</w:sdtContent></w:sdt>")


def textbox(*paragraphs: str) -> Xml:
    """A run holding a text box, as Word writes it: DrawingML with a VML fallback."""
    content = "<w:txbxContent>" + "".join(p(t).snippet for t in paragraphs) + "</w:txbxContent>"
    return Xml(
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx>{content}</wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


def _runs(parts) -> str:
    return "".join((part if isinstance(part, Xml) else run(part)).snippet for part in parts)


# --- blocks ---------------------------------------------------------------------


def p(*parts: str | Xml) -> Xml:
    """A paragraph; str parts become plain runs."""
    return Xml(f"<w:p>{_runs(parts)}</w:p>")


def block_sdt(*items, placeholder: bool = False) -> Xml:
    """A block-level content control around paragraphs or tables."""
    flag = "<w:showingPlcHdr/>" if placeholder else ""
    return Xml(f"<w:sdt><w:sdtPr>{flag}</w:sdtPr><w:sdtContent>{_blocks(items)}</w:sdtContent></w:sdt>")


def cell(*items, fill: str | None = None, span: int = 1, vmerge: str | None = None) -> Xml:
    """A table cell; `vmerge` is "restart" or "continue"."""
    props = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge:
        props += "<w:vMerge/>"
    if fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
    return Xml(f"<w:tc><w:tcPr>{props}</w:tcPr>{_blocks(items) or '<w:p/>'}</w:tc>")


def table(rows: list[list[str | Xml]]) -> Xml:
    """A table; cells are str (one paragraph) or cell(...)."""
    body = "".join(
        "<w:tr>" + "".join((c if isinstance(c, Xml) else cell(c)).snippet for c in row) + "</w:tr>"
        for row in rows
    )
    return Xml(f"<w:tbl><w:tblPr/>{body}</w:tbl>")


def _blocks(items) -> str:
    out = []
    for item in items:
        if isinstance(item, Xml):
            out.append(item.snippet)
        elif isinstance(item, list):
            out.append(table(item).snippet)
        else:
            out.append(p(item).snippet if item else "<w:p/>")
    return "".join(out)


# --- packages -------------------------------------------------------------------


def make_docx(body=(), header=(), kind: str = "docx") -> bytes:
    """A Word file with `body` and an optional page `header`; kind: docx/docm/dotx."""
    document = docx.Document()
    _fill(document.element.body, body, before=document.element.body.sectPr)
    if header:
        part = document.sections[0].header
        part.is_linked_to_previous = False
        hdr = part._element
        for child in list(hdr):
            hdr.remove(child)
        _fill(hdr, header)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if kind != "docx":
        types = zip_members(data)["[Content_Types].xml"].decode()
        types = types.replace(CONTENT_TYPES["docx"], CONTENT_TYPES[kind])
        extra = {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"} if kind == "docm" else {}
        data = replace_members(data, {"[Content_Types].xml": types.encode(), **extra})
    return data


def _fill(parent, items, before=None) -> None:
    wrapper = parse_xml(f"<w:wrapper {NSDECLS}>{_blocks(items)}</w:wrapper>")
    for element in list(wrapper):
        if before is not None:
            before.addprevious(element)
        else:
            parent.append(element)


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def replace_members(data: bytes, replacements: dict[str, bytes]) -> bytes:
    """The same package with some members replaced or added."""
    return make_zip({**zip_members(data), **replacements})


def template_docx(municipality: str = "Ludvika", scores=(2, 1, 3, 1, 2, None), month: str = "mars") -> bytes:
    """A filled-in Dalarna template: header, title, seven questions in tables."""
    questions = [
        "Ordningsstörningar och otrygghet",
        "Hot och våld",
        "Våldsbejakande extremism och kriminella nätverk",
        "Ungdomar/skolor",
        "Alkohol, narkotika, doping, tobak och spel",
        "Övrigt",
        "Positiva åtgärder eller händelser",
    ]
    body: list = [f"Mall för lägesbildsinsamling - Sociala risker, {month} månad", f"Kommun: {municipality}"]
    for number, title in enumerate(questions, start=1):
        score = scores[number - 1] if number <= len(scores) else None
        rating = [cell(p("Påverkan: ", *_boxes(score)))] if number < 7 else []
        body.append(f"{number}. {title}")
        body.append(
            [
                [cell(f"Beskriv läget för fråga {number}.", fill="D9D9D9")] + ([cell("Bedömning", fill="D9D9D9")] if rating else []),
                [cell("Inga större händelser under perioden. " * 3, "Kommentar: polisen informerad.")] + rating,
            ]
        )
    return make_docx(body, header=[f"{municipality} kommun", "Lägesbild till Länsstyrelsen Dalarna"])


def _boxes(score: int | None) -> list[Xml]:
    parts = []
    for value in range(1, 6):
        parts += [checkbox(value == score), run(f"{value} ")]
    return parts


# --- OpenDocument text ----------------------------------------------------------

ODF_NAMESPACES = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
}
ODF_NSDECLS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in ODF_NAMESPACES.items())


def cell_style(name: str, colour: str) -> str:
    """An automatic table-cell style with a background colour, e.g. "#00b050"."""
    return (
        f'<style:style style:name="{name}" style:family="table-cell">'
        f'<style:table-cell-properties fo:background-color="{colour}"/></style:style>'
    )


def make_odt(body: str, header: str = "", styles: str = "", encrypted: bool = False) -> bytes:
    """An .odt package; `body` is office:text content, `styles` automatic styles."""
    content = (
        f'<office:document-content {ODF_NSDECLS} office:version="1.3">'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"
    )
    master = (
        f'<office:document-styles {ODF_NSDECLS}><office:master-styles><style:master-page style:name="Standard">'
        f"<style:header>{header}</style:header></style:master-page></office:master-styles></office:document-styles>"
    )
    secret = "<manifest:encryption-data/>" if encrypted else ""
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="content.xml">{secret}</manifest:file-entry></manifest:manifest>'
    )
    return make_zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": manifest.encode(),
            "content.xml": content.encode(),
            "styles.xml": master.encode(),
        }
    )


# --- legacy Word 97-2003 (.doc) -------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
TEXT_OFFSET = 2048  # where make_doc puts the characters in WordDocument


def make_doc(body: str, header: str = "", textbox: str = "", compressed: bool = True, flags: int = 0) -> bytes:
    """A minimal Word 97 file: one piece holding all stories ([MS-DOC] 2.4.1).

    Stories use Word's control characters: "\\r" ends a paragraph, "\\x07" a
    cell, "\\x13"/"\\x14"/"\\x15" delimit fields; `body` must end with "\\r".
    """
    header_story = header + "\r" if header else ""  # the trailing guard paragraph
    text = body + header_story + textbox
    encoded = text.encode("cp1252") if compressed else text.encode("utf-16-le")
    fc = (TEXT_OFFSET * 2) | 0x40000000 if compressed else TEXT_OFFSET
    pieces = struct.pack("<2iH I H", 0, len(text), 0, fc, 0)
    clx = b"\x02" + struct.pack("<I", len(pieces)) + pieces
    hdd = b""
    if header:
        end = len(header)  # six separators, then even/odd/.../first-footer, then the guard
        hdd = struct.pack("<14i", *([0] * 8 + [end] * 5 + [end + 1]))
    word = bytearray(TEXT_OFFSET)
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)
    struct.pack_into("<H", word, 0x0A, 0x0200 | flags)  # the table stream is 1Table
    struct.pack_into("<7i", word, 0x4C, len(body), 0, len(header_story), 0, 0, 0, len(textbox))
    struct.pack_into("<II", word, 0xF2, len(clx), len(hdd))  # PlcfHdd after the Clx
    struct.pack_into("<II", word, 0x1A2, 0, len(clx))
    return make_ole({"WordDocument": bytes(word) + encoded, "1Table": clx + hdd})


def make_ole(streams: dict[str, bytes]) -> bytes:
    """A compound file (version 3, 512-byte sectors) holding `streams`."""
    sector = 512
    fat: list[int] = []
    body = bytearray()
    entries = [_dir_entry("Root Entry", 5, ENDOFCHAIN, 0, child=1 if streams else NOSTREAM)]
    for number, (name, data) in enumerate(streams.items(), start=1):
        data = data.ljust(4096, b"\0")  # no mini stream: every stream in whole sectors
        count = -(-len(data) // sector)
        start = len(fat)
        fat += list(range(start + 1, start + count)) + [ENDOFCHAIN]
        body += data.ljust(count * sector, b"\0")
        right = number + 1 if number < len(streams) else NOSTREAM
        entries.append(_dir_entry(name, 2, start, len(data), right=right))
    while len(entries) % 4:
        entries.append(_dir_entry("", 0, 0, 0))
    directory = len(fat)
    count = len(entries) // 4
    fat += list(range(directory + 1, directory + count)) + [ENDOFCHAIN]
    body += b"".join(entries)
    fat_sectors = 1
    while len(fat) + fat_sectors > 128 * fat_sectors:
        fat_sectors += 1
    first_fat = len(fat)
    fat += [FATSECT] * fat_sectors
    fat += [FREESECT] * (128 * fat_sectors - len(fat))
    body += struct.pack(f"<{len(fat)}I", *fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        OLE_MAGIC, b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6,
        0, fat_sectors, directory, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0,
    )
    difat = list(range(first_fat, first_fat + fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    return header + struct.pack("<109I", *difat) + bytes(body)


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = NOSTREAM, right: int = NOSTREAM) -> bytes:
    encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, NOSTREAM, right, child, b"\0" * 16, 0, 0, 0, start, size
    )


# --- OpenDocument spreadsheets (.ods) -----------------------------------------------

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def make_ods(rows: str) -> bytes:
    """A LibreOffice Calc file with one sheet of these rows (see ods_row)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", f'<office:document-content {ODS_NS}><office:body><office:spreadsheet>'
                                  f'<table:table table:name="Blad1">{rows}</table:table>'
                                  f'</office:spreadsheet></office:body></office:document-content>')
    return buffer.getvalue()


def ods_row(*cells: str, repeat: int = 1) -> str:
    """One spreadsheet row; an empty string is 16 384 repeated empty cells."""
    inner = "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" if c else
                    '<table:table-cell table:number-columns-repeated="16384"/>' for c in cells)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{inner}</table:table-row>'
