"""Read a legacy Word 97-2003 file (.doc) into blocks: the text only.

olefile opens the compound file; the piece table (the Clx in the table
stream, [MS-DOC] 2.9.38) locates the text. No formatting is read, so:
table cells are told apart only by their end-of-cell marks (a cell's last
paragraph gets cell=True, earlier paragraphs of the same cell do not), cell
shading and form-field checkbox states are not available, and w:sym-style
symbols are lost. Field results are kept, field instructions dropped.
Page headers (from PlcfHdd) come first, text boxes last.
"""

from __future__ import annotations

import io
import struct
from bisect import bisect_right

import olefile

from parsers.docx_reader import LIBRARY_ERRORS, MAX_BLOCKS, OLE_MAGIC, clean_text, read_guarded
from parsers.model import Block, Limits, UnreadableDocument

CORRUPT = "Word-filen (.doc) är skadad och kunde inte läsas."
NOT_DOC = "Filen är inte ett Word-dokument (.doc) som kan läsas."
TOO_OLD = "Word-filen är sparad i ett för gammalt format. Spara den som .docx och skicka igen."
ENCRYPTED = "Word-filen är lösenordsskyddad och kunde inte läsas. Skicka den utan lösenord."
TOO_BIG = "Word-filen är för stor för att läsas."
TOO_MUCH_TEXT = "Word-filen innehåller för mycket text för att läsas."

WORD_97_MAGIC = 0xA5EC
OLDER_MAGICS = (0xA5DC, 0xA5DB)  # Word 6/95 and Word 2
MIN_NFIB = 0x00C1  # Word 97; older files have another layout
F_ENCRYPTED, F_WHICH_TABLE, F_OBFUSCATED = 0x0100, 0x0200, 0x8000
# FibRgLw97: ccpText, ccpFtn, ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx from 0x4C.
CCP_OFFSET, CCP_COUNT = 0x4C, 7
PLCF_HDD, CLX = 0xF2, 0x1A2  # (fc, lcb) pairs in FibRgFcLcb97
FIB_MIN_SIZE = 0x1AA
COMPRESSED = 0x40000000
SEPARATOR_STORIES = 6  # PlcfHdd starts with footnote/endnote separators
HEADER_STORIES = (0, 1, 4)  # per section: even header, odd header, (footers), first header

PARAGRAPH_ENDS = {"\r": False, "\x07": True, "\x0c": False, "\x0e": False}  # -> cell?
FIELD_BEGIN, FIELD_SEPARATE, FIELD_END = "\x13", "\x14", "\x15"
SPECIAL = {"\x1e": "-", "\t": "\t"}  # others below 0x20 are anchors: dropped
MAX_OPEN_FIELDS = 64  # nesting tracked; real documents nest a few deep (hostile ones: thousands)


def read_doc(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of a Word 97-2003 file: page headers, body, text boxes.

    Raises UnreadableDocument (with a Swedish reason) and nothing else.
    """
    if len(data) > limits.max_attachment_bytes:
        raise UnreadableDocument(TOO_BIG)
    if data[:8] != OLE_MAGIC:
        raise UnreadableDocument(NOT_DOC)
    return read_guarded(_read, data, limits, what="a .doc file", corrupt=CORRUPT,
                        errors=(*LIBRARY_ERRORS, struct.error))


def _read(data: bytes, limits: Limits) -> list[Block]:
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        if ole.exists("EncryptedPackage"):
            raise UnreadableDocument(ENCRYPTED)  # an encrypted .docx
        if not _is_stream(ole, "WordDocument"):
            raise UnreadableDocument(NOT_DOC)
        word = _stream(ole, "WordDocument", limits)
        magic = _u16(word, 0) if len(word) >= 2 else 0
        if magic in OLDER_MAGICS or (magic == WORD_97_MAGIC and _u16(word, 2) < MIN_NFIB):
            raise UnreadableDocument(TOO_OLD)
        if len(word) < FIB_MIN_SIZE or magic != WORD_97_MAGIC:
            raise UnreadableDocument(NOT_DOC)
        flags = _u16(word, 0x0A)
        if flags & (F_ENCRYPTED | F_OBFUSCATED):
            raise UnreadableDocument(ENCRYPTED)
        table_name = "1Table" if flags & F_WHICH_TABLE else "0Table"
        if not _is_stream(ole, table_name):
            raise UnreadableDocument(CORRUPT)
        table = _stream(ole, table_name, limits)
    counts = struct.unpack_from(f"<{CCP_COUNT}i", word, CCP_OFFSET)
    if any(count < 0 for count in counts) or sum(counts) > limits.max_text_chars:
        raise UnreadableDocument(TOO_MUCH_TEXT)
    text = _Text(word, _pieces(table, *_fc_lcb(word, CLX)))
    ccp_text, ccp_ftn, ccp_hdd, ccp_mcr, ccp_atn, ccp_edn, ccp_txbx = counts
    header_start = ccp_text + ccp_ftn
    headers = []
    budget = ccp_hdd  # real header ranges are disjoint; hostile ones may repeat the whole story
    for start, end in _header_ranges(table, *_fc_lcb(word, PLCF_HDD)):
        end = min(end, ccp_hdd, start + budget)
        if start >= end:
            continue
        budget -= end - start
        headers += _blocks(text.range(header_start + start, header_start + end))
    textbox_start = header_start + ccp_hdd + ccp_mcr + ccp_atn + ccp_edn
    return (
        list(dict.fromkeys(headers))
        + _blocks(text.range(0, ccp_text))
        + _blocks(text.range(textbox_start, textbox_start + ccp_txbx))
    )[:MAX_BLOCKS]


def _is_stream(ole: olefile.OleFileIO, name: str) -> bool:
    return ole.exists(name) and ole.get_type(name) == olefile.STGTY_STREAM


def _stream(ole: olefile.OleFileIO, name: str, limits: Limits) -> bytes:
    if ole.get_size(name) > limits.max_unpacked_bytes:
        raise UnreadableDocument(TOO_BIG)
    return ole.openstream(name).read()


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from("<H", data, offset)[0]


def _fc_lcb(word: bytes, offset: int) -> tuple[int, int]:
    return struct.unpack_from("<II", word, offset)


def _pieces(table: bytes, fc: int, lcb: int) -> list[tuple[int, int, int, bool]]:
    """The piece table: (first cp, last cp, file offset, 8-bit text?) per piece."""
    clx = table[fc : fc + lcb]
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc: property modifiers, skipped
        pos += 3 + struct.unpack_from("<H", clx, pos + 1)[0]
    if pos >= len(clx) or clx[pos] != 0x02:
        raise UnreadableDocument(CORRUPT)
    size = struct.unpack_from("<I", clx, pos + 1)[0]
    plc = clx[pos + 5 : pos + 5 + size]
    n = (len(plc) - 4) // 12
    if n < 1:
        raise UnreadableDocument(CORRUPT)
    cps = struct.unpack_from(f"<{n + 1}i", plc, 0)
    if any(a >= b for a, b in zip(cps, cps[1:], strict=False)):
        raise UnreadableDocument(CORRUPT)  # [MS-DOC]: CPs strictly increase
    pieces = []
    for i in range(n):
        fc_raw = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)[0]
        compressed = bool(fc_raw & COMPRESSED)
        offset = (fc_raw & ~COMPRESSED) // 2 if compressed else fc_raw
        pieces.append((cps[i], cps[i + 1], offset, compressed))
    return pieces


def _header_ranges(table: bytes, fc: int, lcb: int) -> list[tuple[int, int]]:
    """CP ranges (within the header story) of the page headers of each section."""
    count = lcb // 4
    if count < SEPARATOR_STORIES + 2 or fc + lcb > len(table):
        return []
    cps = struct.unpack_from(f"<{count}i", table, fc)
    ranges = []
    # Six stories per section; the last CP pair is a guard, not a story.
    for section in range(SEPARATOR_STORIES, count - 7, 6):
        for story in HEADER_STORIES:
            i = section + story
            if 0 <= cps[i] < cps[i + 1]:
                ranges.append((cps[i], cps[i + 1]))
    return ranges


class _Text:
    """The document's characters by CP, decoded piece by piece.

    The pieces are in CP order (checked in `_pieces`), so a range looks up
    its first piece by bisection and reads only the pieces it spans.
    """

    def __init__(self, word: bytes, pieces: list[tuple[int, int, int, bool]]):
        self._word = word
        self._pieces = pieces
        self._firsts = [piece[0] for piece in pieces]

    def range(self, start: int, end: int) -> str:
        parts = []
        for index in range(max(0, bisect_right(self._firsts, start) - 1), len(self._pieces)):
            first, last, offset, compressed = self._pieces[index]
            if first >= end:
                break
            lo, hi = max(first, start), min(last, end)
            if lo >= hi:
                continue
            if compressed:
                begin = offset + (lo - first)
                parts.append(self._word[begin : begin + hi - lo].decode("cp1252", errors="replace"))
            else:
                begin = offset + 2 * (lo - first)
                parts.append(self._word[begin : begin + 2 * (hi - lo)].decode("utf-16-le", errors="replace"))
        return "".join(parts)


def _blocks(text: str) -> list[Block]:
    """Split a story's characters into paragraph blocks, dropping field codes."""
    blocks: list[Block] = []
    fields: list[bool] = []  # per open field (the innermost MAX_OPEN_FIELDS): past its separator?
    hidden = 0  # open fields still in their instructions
    line: list[str] = []
    lines: list[str] = []
    for ch in text:
        if ch == FIELD_BEGIN:
            if len(fields) >= MAX_OPEN_FIELDS:
                hidden -= not fields.pop(0)
            fields.append(False)
            hidden += 1
        elif ch == FIELD_SEPARATE:
            if fields and not fields[-1]:
                fields[-1] = True
                hidden -= 1
        elif ch == FIELD_END:
            if fields:
                hidden -= not fields.pop()
        elif ch in PARAGRAPH_ENDS:
            lines.append("".join(line))
            line = []
            cell = PARAGRAPH_ENDS[ch]
            blocks += [Block(t, cell) for t in map(clean_text, lines) if t]
            lines = []
            if len(blocks) >= MAX_BLOCKS:
                return blocks
            if hidden:
                fields = [f for f in fields if f]  # instructions never span paragraphs
                hidden = 0
        elif hidden:
            continue
        elif ch == "\x0b":
            lines.append("".join(line))
            line = []
        elif ch >= " " or ch in SPECIAL:
            line.append(SPECIAL.get(ch, ch))
    lines.append("".join(line))
    blocks += [Block(t) for t in map(clean_text, lines) if t]
    return blocks
