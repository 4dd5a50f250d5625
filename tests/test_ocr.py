"""Pictures of paper read by OCR (Tesseract with Swedish, installed by .ci/run)."""

from __future__ import annotations

import io
from dataclasses import replace

from PIL import Image, ImageDraw, ImageFont

from mailbot.config import load_config
from mailbot.context import parse_context
from mailbot.ocr import available
from parsers.report import parse_message
from tests.harness import require
from tests.mailbuilder import build_mail, template_text

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SCORES = (2, 1, 3, 1, 4, 2)


def page_image(text: str, fmt: str = "PNG") -> bytes:
    """The report printed on an A4-ish page at about 150 dpi, as a scanner would give it."""
    font = ImageFont.truetype(FONT, 26)
    lines = text.splitlines()
    image = Image.new("L", (1400, 120 + 38 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((80, 60 + 38 * n), line, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def scanned_pdf(image: bytes) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(700, 990))
    pdf.add_page()
    pdf.image(io.BytesIO(image), x=0, y=0, w=700)
    return bytes(pdf.output())


def context():
    require(available(), "tesseract-ocr with tesseract-ocr-swe not installed")
    return parse_context(load_config())


def test_a_photo_of_the_printed_report_is_read_and_the_receipt_says_so():
    text = template_text(scores=SCORES, municipality="Mora")
    raw = build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body="Se bilden.\n",
                     attachments=[("lagesbild.jpg", page_image(text, "JPEG"), ("image", "jpeg"))])
    parsed = parse_message(raw, context())
    assert parsed.kind == "report" and parsed.source == "attachment:lagesbild.jpg"
    assert [a.score for a in parsed.answers if a.question <= 6] == list(SCORES)
    assert any("lästes ur en bild" in note for note in parsed.notes)


def test_a_heic_photo_is_read():
    import pillow_heif

    pillow_heif.register_heif_opener()
    png = Image.open(io.BytesIO(page_image(template_text(scores=SCORES, municipality="Mora"))))
    buffer = io.BytesIO()
    png.save(buffer, "HEIF", quality=90)
    raw = build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body="Foto på rapporten.\n",
                     attachments=[("IMG_0042.HEIC", buffer.getvalue(), ("image", "heic"))])
    parsed = parse_message(raw, context())
    assert parsed.kind == "report" and [a.score for a in parsed.answers if a.question <= 6] == list(SCORES)


def test_a_scanned_pdf_is_read():
    text = template_text(scores=SCORES, municipality="Mora")
    raw = build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body="Hej!\n",
                     attachments=[("Lägesbild.pdf", scanned_pdf(page_image(text)), ("application", "pdf"))])
    parsed = parse_message(raw, context())
    assert parsed.kind == "report" and [a.score for a in parsed.answers if a.question <= 6] == list(SCORES)
    assert "unreadable_attachment" not in [p.code for p in parsed.problems]


def test_without_ocr_the_clear_message_stays_and_logos_are_never_read():
    ctx = context()
    text = template_text(scores=SCORES, municipality="Mora")
    scan = build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body="Hej!\n",
                      attachments=[("Lägesbild.pdf", scanned_pdf(page_image(text)), ("application", "pdf"))])
    without = parse_message(scan, replace(ctx, ocr=None))
    assert "unreadable_attachment" in [p.code for p in without.problems] and not without.answers
    calls = []
    logo = build_mail(sender="anna@mora.se", subject="Fråga", body="Hej, en fråga om mallen.\n",
                      attachments=[("logo.png", page_image("Mora kommun")[:15000], ("image", "png"))])
    parse_message(logo, replace(ctx, ocr=lambda pages: calls.append(pages) or ""))
    assert calls == []  # a small picture is a logo, not a page
    spam = build_mail(sender="offers@spam.example", subject="Erbjudande", body="Se bilden!\n",
                      attachments=[("offer.png", page_image("Billiga klockor\n" * 30), ("image", "png"))])
    assert parse_message(spam, replace(ctx, ocr=lambda pages: calls.append(pages) or "")).kind == "other"
    assert calls == []  # not a submission: no OCR (seconds a page) for it
