"""Compare PDF text extraction speed: bare pypdfium2, bare pdfplumber, read_pdf.

Run from the project root:  .venv/bin/python benchmarks/pdf_extract_compare.py
Uses a generated template-sized PDF, a generated PDF with a shaded table, and
(when ../shared exists) the PDF attachments of the sample mails.
"""

from __future__ import annotations

import email
import io
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

from parsers.pdf_reader import read_pdf  # noqa: E402
from tests import pdf_factory  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"
MIN_SECONDS = 1.0  # run each engine at least this long


def bare_pypdfium2(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        chars = 0
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            chars += len(textpage.get_text_range())
            textpage.close()
            page.close()
        return chars
    finally:
        document.close()


def bare_pdfplumber(data: bytes) -> int:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return sum(len(page.extract_text() or "") for page in document.pages)


def mailbot_read_pdf(data: bytes) -> int:
    return sum(len(block.text) for block in read_pdf(data))


ENGINES = {
    "pypdfium2 text": bare_pypdfium2,
    "pdfplumber extract_text": bare_pdfplumber,
    "read_pdf": mailbot_read_pdf,
}


def sample_pdfs() -> dict[str, bytes]:
    if not SAMPLES.is_dir():
        print(f"({SAMPLES} not found: sample PDFs skipped)")
        return {}
    found = {}
    for path in sorted(SAMPLES.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for part in message.walk():
            if part.get_content_type() == "application/pdf":
                found[path.stem] = part.get_content()
    return found


def measure(function, data: bytes) -> float:
    """Seconds per call (best of three rounds of at least MIN_SECONDS / 3)."""
    function(data)  # warm up
    best = float("inf")
    for _ in range(3):
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_SECONDS / 3:
            function(data)
            calls += 1
        best = min(best, elapsed / calls)
    return best


def page_count(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def main() -> None:
    cases = {
        "generated template (2 pages)": pdf_factory.template_pdf(),
        "generated template x10 (20 pages)": pdf_factory.text_pdf(
            [lines for _ in range(10) for lines in pdf_factory.template_pages()]),
        "generated shaded table (1 page)": pdf_factory.filled_table_pdf(
            [[("Grönt", None), ("Gult", "FFFF00"), ("Rött", None)],
             [("Påverkan: 3", "00B050"), ("x", None), ("", "FF0000")]]),
    }
    cases.update(sample_pdfs())
    print(f"{'document':38} {'engine':24} {'ms/file':>9} {'pages/s':>9} {'vs pypdfium2':>13}")
    for name, data in cases.items():
        pages = page_count(data)
        baseline = None
        for engine, function in ENGINES.items():
            seconds = measure(function, data)
            baseline = baseline or seconds
            print(f"{name:38} {engine:24} {seconds * 1000:9.2f} {pages / seconds:9.0f} "
                  f"{seconds / baseline:12.1f}x")


if __name__ == "__main__":
    main()
