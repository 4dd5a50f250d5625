"""Build small PDFs in memory for the PDF reader tests and benchmark (fpdf2).

Every builder returns the PDF as bytes. Text is written one explicit line
at a time (`cell`, never auto-wrapped), so a test knows exactly which lines
the text layer holds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

# A TrueType font with the checkbox glyphs (☐ ☒ ☑ ■); Debian fonts-dejavu-core.
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

QUESTIONS = (
    "Ordningsstörningar och otrygghet",
    "Hot och våld",
    "Extremism och kriminella nätverk",
    "Ungdomar/skolor",
    "Alkohol, narkotika, doping och tobak",
    "Övrigt",
    "Positiva åtgärder eller händelser",
)


def template_lines(municipality: str = "Hedemora", month: str = "oktober") -> list[str]:
    """The lines of a filled-in Dalarna template, as a PDF export holds them."""
    lines = [
        "Mall för lägesbildsinsamling - Sociala risker, " + month + " månad",
        "Uppgifter som ni bedömer lyder under sekretess och individuppgifter ska inte tas",
        "med i denna lägesbild.",
        "Underlaget inlämnat av kommun: " + municipality,
        "Redogör kort under varje fråga:",
    ]
    for number, title in enumerate(QUESTIONS, start=1):
        lines.append(f"Fråga {number}, {title}:")
        if number == 7:
            lines.append("Kommentar: Fritidsgården har förlängt öppettiderna på fredagar.")
            continue
        lines.append(f"Skadegörelse i gångtunneln vid idrottsplatsen, fråga {number}.")
        lines.append(f"Påverkan: {number % 5 + 1}")
        lines.append("Kommentar: Gatuenheten har lagat belysningen.")
    return lines


def _new_pdf() -> FPDF:
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(56, 56, 56)
    return pdf


def _set_font(pdf: FPDF, unicode_font: bool, size: float = 11) -> None:
    if unicode_font:
        pdf.add_font("DejaVu", fname=str(DEJAVU_SANS))
        pdf.set_font("DejaVu", size=size)
    else:
        pdf.set_font("Helvetica", size=size)  # core font, latin-1: å ä ö but no ☐


def _write_pages(pdf: FPDF, pages: Iterable[Sequence[str]], line_height: float = 15) -> None:
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, line_height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _output(pdf: FPDF) -> bytes:
    return bytes(pdf.output())


def text_pdf(pages: Iterable[Sequence[str]], unicode_font: bool = False, compress: bool = True) -> bytes:
    """One page per item of `pages`, each the given lines top to bottom."""
    pdf = _new_pdf()
    pdf.set_compression(compress)
    _set_font(pdf, unicode_font)
    _write_pages(pdf, pages)
    return _output(pdf)


def template_pages(municipality: str = "Hedemora", month: str = "oktober") -> list[list[str]]:
    """template_lines split over two pages."""
    lines = template_lines(municipality, month)
    half = len(lines) // 2
    return [lines[:half], lines[half:]]


def template_pdf(municipality: str = "Hedemora", month: str = "oktober", compress: bool = True) -> bytes:
    """A filled-in template on two A4 pages, like a Word export."""
    return text_pdf(template_pages(municipality, month), compress=compress)


def encrypted_pdf(lines: Sequence[str], user_password: str, owner_password: str = "ägare") -> bytes:
    """One page of text, encrypted (AES-128). An empty user password opens without asking."""
    from fpdf.enums import EncryptionMethod

    pdf = _new_pdf()
    pdf.set_encryption(
        owner_password=owner_password,
        user_password=user_password,
        encryption_method=EncryptionMethod.AES_128,
    )
    _set_font(pdf, unicode_font=False)
    _write_pages(pdf, [lines])
    return _output(pdf)


def image_only_pdf(pages: int = 1) -> bytes:
    """Pages with a drawn rectangle and a raster image, and no text (a 'scan')."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 60), (230, 230, 220)).save(buffer, format="PNG")
    pdf = _new_pdf()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(200, 200, 200)
        pdf.rect(50, 50, 300, 200, style="F")
        pdf.image(io.BytesIO(buffer.getvalue()), x=60, y=300, w=400)
    return _output(pdf)


def whitespace_only_pdf() -> bytes:
    """One page whose text layer holds only spaces."""
    return text_pdf([["     ", "   "]])


def many_pages_pdf(pages: int) -> bytes:
    """`pages` pages, each with one line 'Sida N'."""
    return text_pdf([[f"Sida {n}"] for n in range(1, pages + 1)])


def filled_table_pdf(rows: Sequence[Sequence[tuple[str, str | None]]]) -> bytes:
    """A page with a heading line and a table; each cell is (text, fill "RRGGBB" or None).

    Cells are drawn with a thin black border; filled cells get a background.
    """
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=False)
    pdf.add_page()
    pdf.cell(0, 15, "Sammanställd bedömning:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    width = 120
    for row in rows:
        for text, fill in row:
            if fill:
                pdf.set_fill_color(int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16))
            pdf.cell(width, 24, text, border=1, fill=bool(fill))
        pdf.ln(24)
    pdf.ln(10)
    pdf.cell(0, 15, "Kommentar/åtgärd: Inget att tillägga.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return _output(pdf)


def highlighted_word_pdf(before: str, word: str, after: str, fill: str = "FFFF00") -> bytes:
    """One line of text where `word` has a coloured background (a highlight)."""
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=False)
    pdf.c_margin = 0
    pdf.add_page()
    pdf.set_fill_color(int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16))
    for text, filled in ((before, False), (word, True), (after, False)):
        pdf.cell(pdf.get_string_width(text), 15, text, fill=filled)
    return _output(pdf)


TABLE_ANSWERS = (
    "Inbrott i två förråd på Norra berget och skadegörelse på busskuren vid torget under helgen.",
    "Hot mot en ordningsvakt vid resecentrum, polisanmält.",
    "Klistermärken med nazistiska symboler i centrum, sanerade av kommunen.",
    "Bråk vid högstadieskolan under lunchrasten, elevhälsan inkopplad.",
    "Ökad langning av cannabis vid idrottsplatsen enligt fältgruppen.",
    "Kommande marknad i centrum, extra nattvandring planeras.",
    "Nattvandring varje fredag med god uppslutning.",
)


def table_template_pdf(ratings: Sequence[str], answers: Sequence[str] = TABLE_ANSWERS,
                       middle: bool = True) -> bytes:
    """The table template exported to PDF: one row per question, Fråga | Svar | Påverkan.

    Titles and answers wrap over several lines; the rating sits in the middle of
    its cell (`middle`), as Word's "centre vertically" exports it, so on the page
    it shares a line with the answer's second line, not with the title.
    """
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=True, size=10)
    pdf.add_page()
    pdf.cell(0, 15, "Mall för lägesbildsinsamling - Sociala risker, oktober månad",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    widths = (150, 250, 80)
    line = 13
    for texts in [("Fråga", "Svar", "Påverkan")] + [
            (f"{n}. {title}", answers[n - 1], ratings[n - 1] if n <= len(ratings) else "")
            for n, title in enumerate(QUESTIONS, start=1)]:
        x, y = pdf.get_x(), pdf.get_y()
        heights = [len(pdf.multi_cell(w, line, t, dry_run=True, output="LINES")) * line
                   for w, t in zip(widths, texts, strict=True)]
        row = max(heights) + 4
        for (w, t), h in zip(zip(widths, texts, strict=True), heights, strict=True):
            pdf.rect(x, y, w, row)
            top = y + 2 + ((row - 4 - h) / 2 if middle and h < row - 4 else 0)
            pdf.set_xy(x, top)
            pdf.multi_cell(w, line, t)
            x += w
        pdf.set_xy(pdf.l_margin, y + row)
    return _output(pdf)


def grid_pdf(cells_per_side: int, pages: int) -> bytes:
    """Pages covered by a ruled grid of small cells with text: many tables to find."""
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=False, size=4)
    width, height = 480 / cells_per_side, 700 / cells_per_side
    for _ in range(pages):
        pdf.add_page()
        for i in range(cells_per_side):
            for j in range(cells_per_side):
                pdf.set_xy(56 + j * width, 56 + i * height)
                pdf.cell(width, height, f"{i}{j}", border=1)
    return _output(pdf)


def marked_scale_pdf(label: str, options: Sequence[str], marked: Sequence[int], fill: str = "FFFF00") -> bytes:
    """One line "label 1 2 3 4 5" where the options at `marked` have a coloured background."""
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=True)
    pdf.c_margin = 0
    pdf.add_page()
    pdf.set_fill_color(int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16))
    pdf.cell(pdf.get_string_width(label + " "), 15, label + " ")
    for k, text in enumerate(options):
        pdf.cell(pdf.get_string_width(text), 15, text, fill=k in marked)
        pdf.cell(pdf.get_string_width(" "), 15, " ")
    return _output(pdf)


def scale_row_pdf(options: Sequence[str], fills: Sequence[str | None]) -> bytes:
    """A ruled table: a label row, then one cell per option, some shaded."""
    pdf = _new_pdf()
    _set_font(pdf, unicode_font=True)
    pdf.add_page()
    pdf.cell(0, 15, "1. Ordningsstörningar och otrygghet", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for text in ("Påverkan", "", "", "", ""):
        pdf.cell(80, 20, text, border=1)
    pdf.ln(20)
    for text, fill in zip(options, fills, strict=True):
        if fill:
            pdf.set_fill_color(int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16))
        pdf.cell(80, 20, text, border=1, fill=bool(fill))
    pdf.ln(20)
    return _output(pdf)
