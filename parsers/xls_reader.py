"""Read an Excel 97-2003 workbook (.xls) into blocks, as the .xlsx reader does: one block per filled cell, row by row.

The binary format (BIFF inside an OLE compound file) is read by xlrd, the
long-standing pure-Python reader that does only this. Cell shading comes
from the cell's format (its pattern colour), so a traffic light given as a
coloured cell reads as in .xlsx. Dates become ISO dates; whole numbers lose
their ".0"; formulas give their cached values; macros are never looked at.
Reading stops after MAX_SHEETS sheets and MAX_CELLS cells (empty ones too),
and the whole read runs inside the per-mail time limit like every reader.
"""

from __future__ import annotations

import io
import struct

import xlrd

from parsers.docx_reader import LIBRARY_ERRORS, MAX_BLOCKS, read_guarded
from parsers.model import Block, Limits, UnreadableDocument
from parsers.xlsx_reader import MAX_CELL_CHARS, MAX_CELLS, MAX_SHEETS

CORRUPT = "Excel-filen (.xls) är skadad och kunde inte läsas. Spara den som .xlsx och skicka igen."
ENCRYPTED = "Excel-filen är lösenordsskyddad och kunde inte läsas. Skicka den utan lösenord."
TOO_MUCH_TEXT = "Excel-filen innehåller för mycket text för att läsas."
# What xlrd raises on a damaged file: its own errors, and index/struct errors from truncated records.
_XLRD_ERRORS = (*LIBRARY_ERRORS, xlrd.XLRDError, xlrd.compdoc.CompDocError, IndexError, struct.error,
                AssertionError)


def read_xls(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of a legacy workbook. Raises UnreadableDocument (with a Swedish reason) and nothing else."""
    return read_guarded(_read, data, limits, what="an .xls file", corrupt=CORRUPT, errors=_XLRD_ERRORS)


def _read(data: bytes, limits: Limits) -> list[Block]:
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True,
                                  logfile=io.StringIO(), ragged_rows=True)
    except xlrd.XLRDError as e:
        if "encrypted" in str(e).lower():
            raise UnreadableDocument(ENCRYPTED) from e
        raise
    blocks: list[Block] = []
    chars, cells_left = 0, MAX_CELLS
    try:
        for index in range(min(book.nsheets, MAX_SHEETS)):
            sheet = book.sheet_by_index(index)
            for r in range(sheet.nrows):
                for cell in sheet.row(r):
                    cells_left -= 1
                    if cells_left < 0 or len(blocks) >= MAX_BLOCKS:
                        return blocks
                    for block in _cell_blocks(book, cell):
                        blocks.append(block)
                        chars += len(block.text)
                        if chars > limits.max_text_chars:
                            raise UnreadableDocument(TOO_MUCH_TEXT)
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return blocks


def _cell_blocks(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> list[Block]:
    fill = _fill(book, cell.xf_index)
    lines = [line.strip() for line in _text(book, cell)[:MAX_CELL_CHARS].splitlines() if line.strip()]
    if not lines:
        return [Block("", cell=True, fill=fill)] if fill else []
    return [Block(line, cell=True, fill=fill) for line in lines]  # a cell's own line breaks (Alt+Enter)


def _text(book: xlrd.book.Book, cell: xlrd.sheet.Cell) -> str:
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        number = float(cell.value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else str(cell.value)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return ""
        return moment.date().isoformat()
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "SANT" if cell.value else "FALSKT"
    return ""  # empty, blank, or an error value such as #N/A


def _fill(book: xlrd.book.Book, xf_index: int | None) -> str | None:
    """The cell's solid shading as "RRGGBB", or None (no pattern, white, or an unknown colour)."""
    if xf_index is None or not 0 <= xf_index < len(book.xf_list):
        return None
    background = book.xf_list[xf_index].background
    if not background.fill_pattern:
        return None
    rgb = book.colour_map.get(background.pattern_colour_index)
    if rgb is None:
        return None
    colour = "".join(f"{c:02X}" for c in rgb)
    return None if colour == "FFFFFF" else colour
