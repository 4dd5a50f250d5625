"""OpenDocument spreadsheets (.ods, LibreOffice Calc): read like an Excel workbook, one block per filled cell."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from parsers import sniff
from parsers.odf_reader import read_odt
from parsers.report import parse_message
from tests.mailbuilder import build_mail
from tests.test_containers import CONTEXT

SAMPLES = Path(__file__).parent / "samples" / "containers"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def ods(rows: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", f'<office:document-content {NS}><office:body><office:spreadsheet>'
                                  f'<table:table table:name="Blad1">{rows}</table:table>'
                                  f'</office:spreadsheet></office:body></office:document-content>')
    return buffer.getvalue()


def row(*cells: str, repeat: int = 1) -> str:
    inner = "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" if c else
                    '<table:table-cell table:number-columns-repeated="16384"/>' for c in cells)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{inner}</table:table-row>'


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
