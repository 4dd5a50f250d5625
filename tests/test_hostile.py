"""Big and hostile input, built in memory (too large to keep as files): a record, a clear problem."""

from __future__ import annotations

from mailbot.config import load_config
from mailbot.context import parse_context
from parsers.report import _parse
from tests.mailbuilder import build_mail
from tests.pdf_factory import many_pages_pdf

CONTEXT = parse_context(load_config())


def test_25_mb_attachment_is_refused_with_a_reason():
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", b"%PDF-1.4\n" + bytes(25 * 1024 * 1024), ("application", "pdf"))])
    record = _parse(raw, CONTEXT)
    [problem] = [p for p in record.problems if p.code == "unreadable_attachment"]
    assert "för stor" in problem.message and record.municipality == "Mora"


def test_thousand_page_pdf_is_read_within_the_page_limit():
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", many_pages_pdf(1000), ("application", "pdf"))])
    record = _parse(raw, CONTEXT)
    assert record.kind == "other" and [p.code for p in record.problems] == ["no_report"]
