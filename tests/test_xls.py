"""Excel 97-2003 workbooks (.xls): read with xlrd like an .xlsx, shading included; a broken one explained."""

from __future__ import annotations

from pathlib import Path

from parsers import sniff
from parsers.docx_reader import OLE_MAGIC
from parsers.report import parse_message
from parsers.xls_reader import CORRUPT, read_xls
from tests.mailbuilder import build_mail
from tests.test_containers import CONTEXT

SAMPLES = Path(__file__).parent / "samples" / "containers"


def attachment(name: str) -> bytes:
    from email import message_from_bytes, policy

    msg = message_from_bytes((SAMPLES / name).read_bytes(), policy=policy.default)
    return next(msg.iter_attachments()).get_payload(decode=True)


def test_a_workbook_saved_as_xls_reads_like_the_xlsx():
    data = attachment("xls-traffic-lights-ludvika.eml")
    assert sniff.sniff(data, "Lägesrapport.xls") == sniff.XLS
    assert sniff.sniff(data, "rapport.doc") == sniff.DOC  # a Word 97 file keeps its reader
    blocks = read_xls(data)
    assert [b.text for b in blocks[:3]][0].startswith("Mall för lägesrapportering")
    assert [b.fill for b in blocks if b.fill] == ["00B050", "FFFF00", "00B050", "FF0000", "00B050", "FFFF00"]


def test_a_report_in_an_xls_attachment_counts_with_its_ratings():
    record = parse_message((SAMPLES / "xls-table-gagnef.eml").read_bytes(), CONTEXT)
    assert (record.kind, record.municipality, record.period) == ("report", "Gagnef", "2026-10")
    assert [a.score for a in sorted(record.answers, key=lambda a: a.question)][:6] == [2, 3, 1, 4, 1, 2]
    assert not {p.code for p in record.problems} & {"unsupported_format", "unreadable_attachment"}


def test_a_broken_xls_is_explained_in_swedish():
    broken = OLE_MAGIC + b"\x00" * 600
    mail = build_mail(attachments=[("Lägesbild.xls", broken, ("application", "vnd.ms-excel"))])
    record = parse_message(mail, CONTEXT)
    problem = next(p for p in record.problems if p.code == "unreadable_attachment")
    assert "Lägesbild.xls" in problem.message and CORRUPT in problem.message
