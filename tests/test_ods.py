"""OpenDocument spreadsheets (.ods, LibreOffice Calc): read like an Excel workbook, one block per filled cell."""

from __future__ import annotations

import time
from pathlib import Path

from parsers import sniff
from parsers.odf_reader import read_odt
from parsers.report import parse_message
from tests.docx_factory import make_ods as ods
from tests.docx_factory import ods_row as row
from tests.mailbuilder import build_mail
from tests.test_containers import CONTEXT

SAMPLES = Path(__file__).parent / "samples" / "containers"


def test_a_spreadsheet_is_sniffed_by_its_mimetype_and_read_cell_by_cell():
    data = ods(row("1. Ordningsstörningar och otrygghet", "Lugnt.", "2") + row("", repeat=1_000_000))
    assert sniff.sniff(data, "bilaga") == sniff.ODT
    assert [b.text for b in read_odt(data)] == ["1. Ordningsstörningar och otrygghet", "Lugnt.", "2"]


def test_repeated_empty_rows_and_columns_are_never_expanded():
    """A million repeated rows of 16 384 repeated cells: the file is small, the work too."""
    hostile = ods(row("Fråga 1", "") * 2000 + row("", repeat=1_048_576))
    start = time.perf_counter()
    blocks = read_odt(hostile)
    assert len(blocks) == 2000 and time.perf_counter() - start < 2.0


def test_a_report_in_an_ods_attachment_counts():
    raw = (SAMPLES / "ods-table-gagnef.eml").read_bytes()
    record = parse_message(raw, CONTEXT)
    assert (record.kind, record.municipality, record.period) == ("report", "Gagnef", "2026-10")
    assert [a.score for a in sorted(record.answers, key=lambda a: a.question)][:6] == [2, 3, 1, 4, 1, 2]
    assert not {p.code for p in record.problems} & {"unsupported_format", "unreadable_attachment"}


def test_an_ods_named_file_that_is_no_spreadsheet_is_explained():
    mail = build_mail(attachments=[("Lägesbild.ods", b"PK\x03\x04 trasig", ("application", "octet-stream"))])
    record = parse_message(mail, CONTEXT)
    assert any(p.code == "unreadable_attachment" and "Lägesbild.ods" in p.message for p in record.problems)
