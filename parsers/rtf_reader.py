"""Read an RTF document (WordPad, Word's "Rich Text Format") into blocks of text.

A small tokenizer of our own, one pass over the bytes: control words,
hex escapes (\\'e4 in the document's code page), Unicode escapes (\\u228
with its \\ucN fallback skipped), groups. Destinations that hold no text
(font and colour tables, styles, document info, pictures, embedded objects,
field instructions, anything marked \\*) are skipped, and \\binN data is
jumped over. Paragraphs become blocks; table cells (\\cell) become cell
blocks, as in a Word table. Libraries such as striprtf run regular
expressions with backtracking over the whole file first (quadratic on one
long line), so they are not used on mail from outside.
"""

from __future__ import annotations

import re

from parsers.docx_reader import MAX_BLOCKS, read_guarded
from parsers.model import Block, Limits, UnreadableDocument

CORRUPT = "RTF-filen är skadad och kunde inte läsas."
NOT_RTF = "Filen är inte ett RTF-dokument som kan läsas."
TOO_MUCH_TEXT = "RTF-filen innehåller för mycket text för att läsas."
TOO_COMPLEX = "RTF-filen är för komplex för att läsas automatiskt. Spara den som .docx och skicka igen."
TOO_DEEP = "RTF-filen är skadad (för djupt nästlad) och kunde inte läsas."

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # a control word, its number, its delimiting space
    rb"|\\'([0-9a-fA-F]{2})"  # a byte in the code page
    rb"|\\([^a-zA-Z'])"  # a control symbol
    rb"|([{}])"
    rb"|[\r\n]+"  # line breaks in the file are not text
    rb"|([^\\{}\r\n]+)"  # a run of text
    rb"|(\\)",  # a lone backslash at the end
    re.DOTALL,
)
_SKIPPED = frozenset(b.encode() for b in (
    "fonttbl colortbl stylesheet info pict object objdata fldinst listtable listoverridetable rsidtbl "
    "generator xmlnstbl themedata colorschememapping latentstyles datastore filetbl revtbl pgdsctbl "
    "footer footerl footerr footerf footnote annotation atnid atnauthor bkmkstart bkmkend "
    "shpinst nonshppict userprops mmathPr docvar template"
).split())
_BREAKS = frozenset({b"par", b"line", b"sect", b"page", b"row"})
_CELLS = frozenset({b"cell", b"nestcell"})
_SYMBOLS = {b"tab": "\t", b"emdash": "—", b"endash": "–", b"bullet": "•", b"lquote": "‘", b"rquote": "’",
            b"ldblquote": "“", b"rdblquote": "”", b"emspace": " ", b"enspace": " ", b"qmspace": " "}
_CONTROL_SYMBOLS = {b"~": "\u00a0", b"_": "-", b"\\": "\\", b"{": "{", b"}": "}", b"-": ""}
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
MAX_DEPTH = 500  # nested groups; Word writes a few dozen
# Tokens read (1-2 µs each): Word's RTF of a 40-page report has some 100,000; pictures
# and other skipped groups cost little (their hex data are long text runs).
MAX_TOKENS = 1_000_000


def read_rtf(data: bytes, limits: Limits = Limits()) -> list[Block]:
    """Return the blocks of an RTF document. Raises UnreadableDocument (with a Swedish reason) and nothing else."""
    if data.lstrip()[:5] != b"{\\rtf":
        raise UnreadableDocument(NOT_RTF)
    return read_guarded(lambda raw, lim: _Reader(lim).read(raw), data, limits, what="an RTF file", corrupt=CORRUPT)


class _Reader:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.blocks: list[Block] = []
        self.line: list[str] = []
        self.chars = 0
        self.codepage = "cp1252"
        self.in_table = False

    def read(self, data: bytes) -> list[Block]:
        stack: list[tuple[bool, int]] = []  # (skipping, uc) of the enclosing groups
        skipping, uc, pending_skip = False, 1, 0
        first_in_group = False  # the next control word may name a destination
        position, end, tokens = 0, len(data), 0
        tokenizer = _TOKEN.finditer(data)
        while len(self.blocks) < MAX_BLOCKS:
            match = next(tokenizer, None)
            if match is None:
                break
            tokens += 1
            if tokens > MAX_TOKENS:
                raise UnreadableDocument(TOO_COMPLEX)
            word, number, hex_byte, symbol, brace, text, _ = match.groups()
            if skipping and brace is None and word != b"bin":
                continue  # inside a destination we do not read: only its braces matter
            starts_group = first_in_group
            first_in_group = False
            if brace == b"{":
                if len(stack) >= MAX_DEPTH:
                    raise UnreadableDocument(TOO_DEEP)
                stack.append((skipping, uc))
                first_in_group = True
            elif brace == b"}":
                if stack:
                    skipping, uc = stack.pop()
                pending_skip = 0
            elif word is not None:
                if word == b"bin" and number is not None:  # raw bytes follow: jump over them
                    position = match.end() + max(0, int(number))
                    if position >= end:
                        break
                    tokenizer = _TOKEN.finditer(data, position)
                    continue
                if skipping:
                    continue
                if starts_group and word in _SKIPPED:
                    skipping = True
                elif word == b"u" and number is not None:
                    value = int(number)
                    self.add(chr((value + 65536 if value < 0 else value) % 0x110000) if value else "")
                    pending_skip = uc
                elif word == b"uc" and number is not None:
                    uc = max(0, min(int(number), 10))
                elif word == b"ansicpg" and number is not None:
                    self.codepage = _codepage(number)
                elif word in _BREAKS:
                    self.flush(cell=self.in_table and word != b"row")
                elif word in _CELLS:
                    self.flush(cell=True)
                elif word == b"intbl":
                    self.in_table = True
                elif word == b"pard":
                    self.in_table = False
                elif word in _SYMBOLS:
                    self.add(_SYMBOLS[word])
            elif skipping:
                continue
            elif symbol is not None:
                if symbol == b"*" and starts_group:
                    skipping = True
                elif pending_skip:
                    pending_skip -= 1
                elif symbol in (b"\n", b"\r"):
                    self.flush(cell=self.in_table)
                else:
                    self.add(_CONTROL_SYMBOLS.get(symbol, ""))
            elif hex_byte is not None:
                if pending_skip:
                    pending_skip -= 1
                else:
                    self.add(bytes.fromhex(hex_byte.decode()).decode(self.codepage, errors="replace"))
            elif text is not None:
                if pending_skip:
                    dropped = min(pending_skip, len(text))
                    text, pending_skip = text[dropped:], pending_skip - dropped
                self.add(text.decode(self.codepage, errors="replace"))
        self.flush(cell=self.in_table)
        return self.blocks[:MAX_BLOCKS]

    def add(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self.limits.max_text_chars:
            raise UnreadableDocument(TOO_MUCH_TEXT)
        self.line.append(text)

    def flush(self, cell: bool) -> None:
        text = "".join(self.line)
        if _SURROGATE.search(text):  # \uN is a UTF-16 unit: a pair is one character, a lone one is broken
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        text = _SPACES.sub(" ", text).strip()
        self.line = []
        if text:
            self.blocks.append(Block(text, cell=cell))


def _codepage(number: bytes) -> str:
    name = f"cp{int(number)}"
    try:
        "".encode(name)
    except LookupError:
        return "cp1252"
    return name
