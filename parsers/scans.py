"""Pictures of paper: scanned PDFs and photos of a printed report, read by OCR.

Pure on its side: a PDF's pages are rendered here (pypdfium2, as grey PGM
images); the OCR itself is injected through ParseContext.ocr (mailbot runs
Tesseract), so this module runs no program. Used only when a mail has no
report in its text, its documents' text layers or its body, and only on
images large enough to be a page, a few pages at most.
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

from . import sniff
from .model import Attachment

MAX_PAGES = 4  # pages read by OCR per mail (all scans together)
MIN_IMAGE_BYTES = 20_000  # smaller pictures are logos and signatures, not pages
RENDER_DPI = 150
MAX_PIXELS = 20_000_000  # a page larger than this is rendered smaller


@dataclass(frozen=True)
class Scan:
    name: str
    pages: tuple[bytes, ...]  # image files Tesseract reads (PNG/JPEG/TIFF as sent, PGM for rendered PDF pages)


def scans(attachments: list[Attachment]) -> list[Scan]:
    """The attachments that are pictures of pages: images of some size, and PDFs without a text layer."""
    found: list[Scan] = []
    left = MAX_PAGES
    for attachment in attachments:
        if left <= 0:
            break
        kind = sniff.sniff(attachment.data, attachment.filename)
        name = attachment.filename or f"bild.{kind}"
        if attachment.oversize:
            continue
        photo = kind == sniff.IMAGE or is_heic(attachment.data)
        if photo and len(attachment.data) >= MIN_IMAGE_BYTES and attachment.data[:4] != b"RIFF":
            found.append(Scan(name, (attachment.data,)))
            left -= 1
        elif kind == sniff.PDF:
            pages = _rendered_pages(attachment.data, left)
            if pages:
                found.append(Scan(name, pages))
                left -= len(pages)
    return found


_HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


def is_heic(data: bytes) -> bool:
    """A HEIC/HEIF photo (an iPhone's): an ISO media file whose brand says so."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS


def _rendered_pages(data: bytes, most: int) -> tuple[bytes, ...]:
    """Up to `most` pages of a PDF that has no text layer, as PGM images; () for a PDF with text or unreadable."""
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001 - a broken PDF: the text reader has said why already
        return ()
    try:
        pages = []
        for index in range(min(len(pdf), most)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                has_text = bool(textpage.get_text_range(0, min(textpage.count_chars(), 200)).strip())
                textpage.close()
                if has_text:
                    return ()  # a text layer: not a scan (the text reader read it)
                width, height = page.get_size()
                scale = RENDER_DPI / 72
                if width * height * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / (width * height)) ** 0.5
                bitmap = page.render(scale=scale, grayscale=True)
                pages.append(_pgm(bitmap))
            finally:
                page.close()
        return tuple(pages)
    finally:
        pdf.close()


def _pgm(bitmap) -> bytes:
    """A grey bitmap as a binary PGM file (which Tesseract's image library reads)."""
    raw = bytes(bitmap.buffer)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    rows = raw if stride == width else b"".join(raw[y * stride:y * stride + width] for y in range(height))
    return f"P5 {width} {height} 255\n".encode() + rows
