"""Read an Excel workbook (.xlsx, .xlsm) into blocks: one block per filled cell, row by row.

The sheet XML is read directly (shared strings, inline strings, numbers,
cell shading) rather than through openpyxl, whose read-only rows are padded
to the widest column: one cell in column XFD on each of a million rows would
build sixteen billion empty cells. Here the work is one pass over each part,
inside SafeZip's zip-bomb checks and byte budget. Sheets come in workbook
order; formulas give their cached values; macros are never looked at.
"""

from __future__ import annotations

import colorsys
import posixpath
import re
from datetime import date, timedelta

from lxml import etree

from parsers.docx_reader import MAX_BLOCKS, OLE_MAGIC, SafeZip, parse_xml, read_guarded
from parsers.model import Block, Limits, UnreadableDocument

CORRUPT = "Excel-filen är skadad och kunde inte läsas."
NOT_EXCEL = "Filen är inte en Excel-fil som kan läsas."
ENCRYPTED = "Excel-filen är lösenordsskyddad och kunde inte läsas. Skicka den utan lösenord."
LEGACY_XLS = "Filen är i det äldre Excel-formatet (.xls). Spara den som .xlsx och skicka igen."
TOO_MUCH_TEXT = "Excel-filen innehåller för mycket text för att läsas."

_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_STRICT = (b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"http://purl.oclc.org/ooxml/officeDocument/relationships")
_TRANSITIONAL = (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                 b"http://schemas.openxmlformats.org/officeDocument/2006/relationships")
# Excel's legacy 64-colour palette (`indexed` colours), as openpyxl lists it.
_PALETTE = (
    "000000 FFFFFF FF0000 00FF00 0000FF FFFF00 FF00FF 00FFFF 000000 FFFFFF FF0000 00FF00 0000FF FFFF00 "
    "FF00FF 00FFFF 800000 008000 000080 808000 800080 008080 C0C0C0 808080 9999FF 993366 FFFFCC CCFFFF "
    "660066 FF8080 0066CC CCCCFF 000080 FF00FF FFFF00 00FFFF 800080 800000 008080 0000FF 00CCFF CCFFFF "
    "CCFFCC FFFF99 99CCFF FF99CC CC99FF FFCC99 3366FF 33CCCC 99CC00 FFCC00 FF9900 FF6600 666699 969696 "
    "003366 339966 003300 333300 993300 993366 333399 333333"
).split()
MAX_SHEETS = 50
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_CELLS = 500_000  # empty cells passed over in a workbook (formatted ranges); past them, reading stops


def read_xlsx(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of a workbook. Raises UnreadableDocument (with a Swedish reason) and nothing else."""
    if data[:8] == OLE_MAGIC:
        encrypted = "EncryptedPackage".encode("utf-16-le") in data
        raise UnreadableDocument(ENCRYPTED if encrypted else LEGACY_XLS)
    return read_guarded(_read, data, limits, what="an Excel file", corrupt=CORRUPT)


def _read(data: bytes, limits: Limits) -> list[Block]:
    package = SafeZip(data, limits, "Excel-filen")
    if not package.has("xl/workbook.xml"):
        raise UnreadableDocument(NOT_EXCEL)

    def xml(name: str) -> etree._Element:
        raw = package.read(name)
        for strict, transitional in zip(_STRICT, _TRANSITIONAL, strict=True):
            raw = raw.replace(strict, transitional)
        return parse_xml(raw)

    shared = _shared_strings(xml("xl/sharedStrings.xml")) if package.has("xl/sharedStrings.xml") else []
    theme = _theme(xml("xl/theme/theme1.xml")) if package.has("xl/theme/theme1.xml") else []
    styles = xml("xl/styles.xml") if package.has("xl/styles.xml") else None
    fills = _fills(styles, theme) if styles is not None else []
    dates = _date_formats(styles) if styles is not None else []
    blocks: list[Block] = []
    chars = 0
    sheets = _sheet_names(package, xml)
    if not sheets:
        raise UnreadableDocument(CORRUPT)  # a workbook without a readable worksheet
    cells_left = MAX_CELLS
    for name in sheets:
        for block in _sheet_blocks(xml(name), shared, fills, dates):
            if block is None:  # an empty cell, counted
                cells_left -= 1
                if cells_left < 0:
                    return blocks
                continue
            blocks.append(block)
            chars += len(block.text)
            if chars > limits.max_text_chars:
                raise UnreadableDocument(TOO_MUCH_TEXT)
            if len(blocks) >= MAX_BLOCKS:
                return blocks
    return blocks


def _sheet_names(package: SafeZip, xml) -> list[str]:
    """The worksheet parts in the workbook's order (its relationships name the files)."""
    targets: dict[str, str] = {}
    if package.has("xl/_rels/workbook.xml.rels"):
        for rel in xml("xl/_rels/workbook.xml.rels").iter(_PKG_REL):
            target = (rel.get("Target") or "").replace("\\", "/")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id") or ""] = path
    names = []
    for sheet in xml("xl/workbook.xml").iter(_S + "sheet"):
        path = targets.get(sheet.get(_R + "id") or "")
        if path and package.has(path) and path not in names:
            names.append(path)
        if len(names) >= MAX_SHEETS:
            break
    return names


def _text_of(element: etree._Element) -> str:
    """A string item's text: its runs' <t>, without phonetic guides (<rPh>)."""
    parts = [t.text or "" for t in element.iter(_S + "t") if t.getparent() is not None
             and t.getparent().tag != _S + "rPh"]
    return "".join(parts)[:MAX_CELL_CHARS]


def _shared_strings(root: etree._Element) -> list[str]:
    return [_text_of(item) for item in root.iterchildren(_S + "si")]


def _theme(root: etree._Element) -> list[str]:
    """The theme's colours as "RRGGBB" in Excel's index order (lt1, dk1, lt2, dk2, accent1-6, links)."""
    scheme = next(root.iter(_A + "clrScheme"), None)
    colours = []
    for slot in scheme if scheme is not None else ():
        value = next((c.get("val") or c.get("lastClr") for c in slot if c.tag in (_A + "srgbClr", _A + "sysClr")), None)
        colours.append((value or "")[-6:].upper())
    if len(colours) >= 4:
        colours[0], colours[1], colours[2], colours[3] = colours[1], colours[0], colours[3], colours[2]
    return colours


def _colour(element: etree._Element | None, theme: list[str]) -> str | None:
    """A colour element's "RRGGBB": rgb, the legacy palette (indexed) or the theme (with its tint)."""
    if element is None:
        return None
    rgb = element.get("rgb") or ""
    index, slot = element.get("indexed") or "", element.get("theme") or ""
    if len(rgb) in (6, 8):
        return rgb[-6:].upper()
    if index.isdigit() and int(index) < len(_PALETTE):
        return _PALETTE[int(index)]
    if slot.isdigit() and int(slot) < len(theme) and len(theme[int(slot)]) == 6:
        return _tinted(theme[int(slot)], element.get("tint") or "0")
    return None


def _tinted(rgb: str, tint: str) -> str:
    """Excel's tint: towards black (< 0) or white (> 0) in lightness."""
    try:
        amount = max(-1.0, min(1.0, float(tint)))
    except ValueError:
        amount = 0.0
    if not amount:
        return rgb
    h, light, s = colorsys.rgb_to_hls(*(int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4)))
    light = light * (1 + amount) if amount < 0 else light * (1 - amount) + amount
    return "".join(f"{round(c * 255):02X}" for c in colorsys.hls_to_rgb(h, light, s))


def _fills(root: etree._Element, theme: list[str]) -> list[str | None]:
    """Each cell format's (cellXfs) fill colour as "RRGGBB", or None."""
    colours: list[str | None] = []
    fills = root.find(_S + "fills")
    for fill in fills.iterchildren(_S + "fill") if fills is not None else ():
        pattern = fill.find(_S + "patternFill")
        solid = pattern is not None and pattern.get("patternType") == "solid"
        colours.append(_colour(pattern.find(_S + "fgColor"), theme) if solid and pattern is not None else None)
    formats = root.find(_S + "cellXfs")
    out: list[str | None] = []
    for xf in formats.iterchildren(_S + "xf") if formats is not None else ():
        index = xf.get("fillId") or ""
        out.append(colours[int(index)] if index.isdigit() and int(index) < len(colours) else None)
    return out


_DATE_FORMAT_IDS = frozenset([*range(14, 18), *range(27, 32), *range(34, 37), *range(50, 59)])  # built-in dates
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _date_formats(root: etree._Element) -> list[str | None]:
    """Each cell format's date style: "day" (2026-10-01), "month" (2026-10) or None (not a date)."""
    custom: dict[str, str] = {}
    numbers = root.find(_S + "numFmts")
    for number in numbers.iterchildren(_S + "numFmt") if numbers is not None else ():
        code = _QUOTED.sub("", (number.get("formatCode") or "").lower())
        if "y" in code or "d" in code or re.search(r"m(?!m?:)", code) and "h" not in code:
            custom[number.get("numFmtId") or ""] = "day" if "d" in code else "month"
    formats = root.find(_S + "cellXfs")
    out: list[str | None] = []
    for xf in formats.iterchildren(_S + "xf") if formats is not None else ():
        ident = xf.get("numFmtId") or ""
        out.append(custom.get(ident) or ("day" if ident.isdigit() and int(ident) in _DATE_FORMAT_IDS else None))
    return out


def _date(raw: str, style: str) -> str:
    """An Excel serial day number as an ISO date ("2026-10-01", or "2026-10" for a month format)."""
    try:
        day = _EPOCH + timedelta(days=int(float(raw)))
    except (ValueError, OverflowError):
        return raw
    return day.isoformat() if style == "day" else day.isoformat()[:7]


_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)


def _sheet_blocks(root: etree._Element, shared: list[str], fills: list[str | None], dates: list[str | None]):
    for cell in root.iter(_S + "c"):
        kind = cell.get("t") or "n"
        value = cell.find(_S + "v")
        raw = value.text or "" if value is not None else ""
        if kind == "s":
            text = shared[int(raw)] if raw.isdigit() and int(raw) < len(shared) else ""
        elif kind == "inlineStr":
            inline = cell.find(_S + "is")
            text = _text_of(inline) if inline is not None else ""
        elif kind == "n":
            style = cell.get("s") or ""
            date_style = dates[int(style)] if style.isdigit() and int(style) < len(dates) else None
            text = _date(raw, date_style) if date_style and raw else _number(raw)
        elif kind in ("str", "b"):
            text = raw
        else:  # "e": an error value such as #N/A
            text = ""
        style = cell.get("s") or ""
        fill = fills[int(style)] if style.isdigit() and int(style) < len(fills) else None
        lines = [line.strip() for line in text[:MAX_CELL_CHARS].splitlines() if line.strip()]
        if not lines:
            yield Block("", cell=True, fill=fill) if fill else None
        for line in lines:  # a cell's own line breaks (Alt+Enter), as a Word cell's paragraphs
            yield Block(line, cell=True, fill=fill)


def _number(raw: str) -> str:
    """"3" and "3.0" as "3"; other numbers as written."""
    try:
        number = float(raw)
    except ValueError:
        return raw
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else raw
