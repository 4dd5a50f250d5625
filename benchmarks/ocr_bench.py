"""OCR time per page: a printed report rendered as a scan (150 dpi) and read by Tesseract (Swedish).

    .venv/bin/python benchmarks/ocr_bench.py [--pages 5]

Prints the seconds per page and the whole parse of a mail with a scanned PDF,
beside the per-mail limit ([limits] max_seconds; OCR gets at most half of it).
"""

from __future__ import annotations

import argparse
import statistics
import time

from mailbot.config import load_config
from mailbot.context import parse_context
from mailbot.ocr import available, tesseract
from parsers.report import parse_message
from tests.mailbuilder import build_mail, template_text
from tests.test_ocr import page_image, scanned_pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=5)
    args = parser.parse_args()
    if not available():
        raise SystemExit("tesseract-ocr with tesseract-ocr-swe is not installed")
    page = page_image(template_text(scores=(2, 1, 3, 1, 4, 2)))
    times = []
    for _ in range(args.pages):
        started = time.perf_counter()
        tesseract([page], 60)
        times.append(time.perf_counter() - started)
    config = load_config()
    raw = build_mail(subject="Lägesbild oktober", body="Hej!\n",
                     attachments=[("Lägesbild.pdf", scanned_pdf(page), ("application", "pdf"))])
    started = time.perf_counter()
    parsed = parse_message(raw, parse_context(config))
    whole = time.perf_counter() - started
    print(f"OCR per page: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.pages} pages")
    print(f"a mail with a one-page scanned PDF: {whole:.2f} s ({parsed.kind}, {len(parsed.answers)} answers); "
          f"limit per mail {config.limits.max_seconds:.0f} s, OCR budget {config.limits.max_seconds / 2:.0f} s")


if __name__ == "__main__":
    main()
