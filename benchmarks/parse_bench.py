"""Reports parsed per second, per format, beside the bare library read of the same file.

    .venv/bin/python benchmarks/parse_bench.py [--seconds 2]

For each format a realistic report mail is built (the Dalarna template as
.docx, as PDF, and pasted into an Outlook-style HTML body). `mailbot parse`'s
work (`parse_message`: MIME, sniffing, reading, extraction, problems) is timed
against the bare read of the same attachment:
- docx: python-docx `Document(BytesIO(data))` + every paragraph's text;
- PDF:  pypdfium2 text extraction of every page;
- HTML: the standard library's `email` parse + `get_content()` of the body.
Goals (issue "Read every report"): docx ≤ 1.5x, PDF ≤ 2x the bare read.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402
import pypdfium2  # noqa: E402

from mailbot.config import load_config  # noqa: E402
from mailbot.context import parse_context  # noqa: E402
from parsers.docx_reader import read_docx  # noqa: E402
from parsers.html_reader import html_to_blocks  # noqa: E402
from parsers.pdf_reader import read_pdf  # noqa: E402
from parsers.report import parse_message  # noqa: E402
from tests.docx_factory import template_docx  # noqa: E402
from tests.mailbuilder import DOCX_TYPE, build_mail, template_text  # noqa: E402
from tests.pdf_factory import template_pdf  # noqa: E402


def rate(fn, seconds: float) -> float:
    """Calls per second over about `seconds` of wall time (after one warm-up call)."""
    fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def bare_docx(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def bare_pdf(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for page in pdf:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        pdf.close()


def bare_html(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    context = parse_context(load_config())

    docx_data = template_docx("Mora", scores=(2, 1, 3, 1, 2, 4))
    pdf_data = template_pdf("Hedemora")
    html = "<html><body>" + "".join(
        f"<p class=MsoNormal>{line}<o:p></o:p></p>" for line in template_text().splitlines()) + "</body></html>"
    html_mail = build_mail(body=None, html=html)
    cases = {  # format: (mail, our reader alone, the bare library read)
        "docx": (build_mail(attachments=[("Lägesbild.docx", docx_data, DOCX_TYPE)]),
                 lambda: read_docx(docx_data), lambda: bare_docx(docx_data)),
        "pdf": (build_mail(attachments=[("Lägesbild.pdf", pdf_data, ("application", "pdf"))]),
                lambda: read_pdf(pdf_data), lambda: bare_pdf(pdf_data)),
        "html": (html_mail, lambda: html_to_blocks(html), lambda: bare_html(html_mail)),
    }

    print("reports per second; ratio = time relative to the bare library read (lower is better)")
    print(f"{'format':<6} {'bare/s':>9} {'reader/s':>9} {'ratio':>6} {'parse/s':>9} {'ratio':>6}")
    for name, (raw, reader, bare) in cases.items():
        record = parse_message(raw, context)
        assert record.kind == "report" and len(record.answers) == 7, (name, record)
        baseline = rate(bare, args.seconds)
        read = rate(reader, args.seconds)
        parsed = rate(lambda raw=raw: parse_message(raw, context), args.seconds)
        print(f"{name:<6} {baseline:>9.1f} {read:>9.1f} {baseline / read:>6.2f} "
              f"{parsed:>9.1f} {baseline / parsed:>6.2f}")
    print("reader = the format reader alone (bytes -> blocks); parse = the whole mail through")
    print("parse_message (MIME, sniffing, reading, extraction, municipality, period, problems).")


if __name__ == "__main__":
    main()
