"""Tables of a PDF page read row by row, with pdfplumber.

A report written in the table template (Fråga | Svar | Påverkan) and
exported to PDF loses its rows in the text layer: the title wraps over two
lines, the rating sits in the middle of its cell and lands at the end of an
answer line ("polisanmält. 2"). pdfplumber finds the table's cells from its
ruling lines; each cell becomes one block (`cell=True`), rows top to bottom,
cells left to right, with the text above, between and below the tables as
lines in between.

pdfplumber is slow (some 40 times PDFium): the PDF reader calls this only for
the few pages that draw ruling lines, within a time budget (see pdf_reader).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from .model import Block
from .scale_marks import SCALES, boxes, chosen, option

logger = logging.getLogger(__name__)

_MIN_ROWS = 2
_MIN_COLUMNS = 2
# A wrapped line continues the paragraph unless the one before it ended a sentence
# or the line starts a bullet or a label ("Kommentar:").
_ENDS_SENTENCE = re.compile(r"[.:!?]$")
_STARTS_ITEM = re.compile(r"^(?:[-–•*·▪]\s|\w[\w/ ]{0,25}:)")


def page_blocks(page: Any) -> list[Block] | None:
    """The page's blocks with its tables cell by cell; None when it has no table to read."""
    tables = [t for t in page.find_tables() if _shaped(t)]
    if not tables:
        return None
    boxes = [t.bbox for t in tables]

    def outside(obj: dict) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    pieces: list[tuple[float, list[Block]]] = []
    for line in page.filter(outside).extract_text_lines():
        text = line["text"].strip()
        if text:
            pieces.append((line["top"], [Block(text)]))
    fills = [r for r in page.rects if r.get("fill") and _colour(r.get("non_stroking_color"))]
    for table in tables:
        pieces.append((table.bbox[1], _table_blocks(table, fills)))
    pieces.sort(key=lambda piece: piece[0])
    return [block for _, blocks in pieces for block in blocks]


def _shaped(table: Any) -> bool:
    rows = table.rows
    return len(rows) >= _MIN_ROWS and max((len(r.cells) for r in rows), default=0) >= _MIN_COLUMNS


def _table_blocks(table: Any, fills: list[dict]) -> list[Block]:
    blocks: list[Block] = []
    for row, texts in zip(table.rows, table.extract(), strict=True):
        start = len(blocks)
        for bbox, cell_text in zip(row.cells, texts, strict=True):
            if bbox is None:
                continue  # covered by a merged cell
            text = cell_text or ""
            fill = _fill_of(bbox, fills)
            paragraphs = _paragraphs(text)
            if not paragraphs and fill:
                blocks.append(Block("", True, fill))
            blocks.extend(Block(p, True, fill) for p in paragraphs)
        blocks[start:] = _scale_row(blocks[start:])
    return blocks


def _scale_row(cells: list[Block]) -> list[Block]:
    """Cells "1" .. "5" (or Grönt | Gult | Rött) with the chosen one shaded: one checkbox cell."""
    for values in SCALES.values():
        size = len(values)
        for k in range(len(cells) - size + 1):
            run = cells[k:k + size]
            if all((o := option(b.text)) is not None and o[1] == v for v, b in zip(values, run, strict=True)):
                fills = [b.fill for b in run]
                legend = all(fills) and len(set(fills)) == size
                marks = [frozenset({"fill:" + b.fill} if b.fill and not legend else ()) for b in run]
                merged = Block(boxes(chosen(marks), [b.text.strip(".") for b in run]), True, None)
                return cells[:k] + [merged] + cells[k + size:]
    return cells


def _paragraphs(text: str) -> list[str]:
    """A cell's wrapped lines joined back into its paragraphs."""
    paragraphs: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if paragraphs and not _ENDS_SENTENCE.search(paragraphs[-1]) and not _STARTS_ITEM.match(line):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    return paragraphs


def _fill_of(bbox: tuple[float, float, float, float], fills: list[dict]) -> str | None:
    """The colour of a filled rectangle covering most of the cell, as "RRGGBB"."""
    x0, top, x1, bottom = bbox
    area = max((x1 - x0) * (bottom - top), 1.0)
    for rect in fills:
        width = min(x1, rect["x1"]) - max(x0, rect["x0"])
        height = min(bottom, rect["bottom"]) - max(top, rect["top"])
        if width > 0 and height > 0 and width * height >= 0.5 * area:
            return _colour(rect.get("non_stroking_color"))
    return None


def _colour(value: Any) -> str | None:
    """pdfminer's colour (grey, RGB or CMYK in 0..1) as "RRGGBB"; None for white or unknown."""
    if isinstance(value, (int, float)):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, (int, float)) for v in value):
        return None
    if len(value) == 1:
        rgb = (value[0],) * 3
    elif len(value) == 3:
        rgb = tuple(value)
    elif len(value) == 4:
        c, m, y, k = value
        rgb = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    else:
        return None
    hex_colour = "".join(f"{max(0, min(255, round(v * 255))):02X}" for v in rgb)
    return None if hex_colour == "FFFFFF" else hex_colour
