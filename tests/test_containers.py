"""Reports inside containers (issue 16): S/MIME, winmail.dat, zip, HCL Notes' octet-stream, Excel, RTF.

Pure tier: bytes built here in, parse records out. Each hostile variant is
also timed at n and 4n (linear, bounded).
"""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from mailbot.config import load_config
from mailbot.context import parse_context
from parsers import containers, smime, sniff
from parsers.model import Attachment, Block, Limits, UnreadableDocument
from parsers.report import parse_message
from parsers.rtf_reader import read_rtf
from parsers.xlsx_reader import read_xlsx
from rules.loader import load_rules
from tests.container_factory import (
    mime_entity,
    notes_mail,
    rtf,
    smime_encrypted,
    smime_mail,
    smime_signed,
    tnef,
    xlsx,
)
from tests.mailbuilder import DOCX_TYPE, build_mail, template_text
from tests.samples.generate import ANSWERS, NOV3, TITLES, docx_report

CONFIG = load_config()
CONTEXT = parse_context(CONFIG, load_rules(CONFIG.rules_dir))
SCORES = [2, 3, 1, 4, 1, 2]
DOCX = docx_report("Mora", SCORES)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def parse(raw: bytes):
    return parse_message(raw, CONTEXT)


def assert_full_report(record, source: str | None = None):
    assert record.kind == "report", record.problems
    assert (record.municipality, record.period) == ("Mora", "2026-10")
    assert [a.score for a in record.answers] == SCORES + [None]
    assert ANSWERS[3] in (record.answers[3].text or "")
    assert not {p.code for p in record.problems} & {"missing_score", "missing_answer", "unreadable_attachment"}
    if source is not None:
        assert record.source == source


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def assert_linear(build, n: int, run=parse, limit: float = 10.0):
    small = timed(run, build(n // 4))
    full = timed(run, build(n))
    assert full < limit, f"{full:.1f} s"
    assert full < 8 * small + 1.0, f"{small:.2f} s at n/4, {full:.2f} s at n"


# --- S/MIME ------------------------------------------------------------------------


def test_opaque_signed_mail_with_a_word_report_is_read():
    inner = mime_entity("Hej, här är lägesbilden.\n", [("Lägesbild oktober.docx", DOCX, DOCX_TYPE)])
    record = parse(smime_mail(smime_signed(inner), "signed-data"))
    assert_full_report(record, "attachment:Lägesbild oktober.docx")
    assert record.sender == "anna.berg@mora.se"


@pytest.mark.parametrize("content_type", ["application/x-pkcs7-mime", "application/octet-stream"])
def test_opaque_signed_mail_under_other_content_types_is_read(content_type):
    inner = mime_entity("Hej.\n", [("Lägesbild oktober.docx", DOCX, DOCX_TYPE)])
    record = parse(smime_mail(smime_signed(inner), "signed-data", content_type=content_type))
    assert_full_report(record, "attachment:Lägesbild oktober.docx")


def test_opaque_signed_mail_with_the_report_in_its_text_is_read():
    inner = mime_entity("Hej!\n\n" + template_text(scores=SCORES, answers=ANSWERS))
    record = parse(smime_mail(smime_signed(inner), "signed-data"))
    assert_full_report(record, "body")


def test_signed_part_inside_a_multipart_mail_is_read():
    inner = mime_entity("Hej.\n", [("Lägesbild.docx", DOCX, DOCX_TYPE)])
    raw = build_mail(body="Se bifogad signerad del.\n",
                     attachments=[("smime.p7m", smime_signed(inner), ("application", "pkcs7-mime"))], date=NOV3)
    assert_full_report(parse(raw), "attachment:Lägesbild.docx")


def test_encrypted_mail_is_a_clear_problem_in_swedish():
    inner = mime_entity("Hej.\n", [("Lägesbild oktober.docx", DOCX, DOCX_TYPE)])
    record = parse(smime_mail(smime_encrypted(inner), "enveloped-data"))
    assert record.kind == "report" and record.answers == []
    problem = next(p for p in record.problems if p.code == "encrypted")
    assert "krypterat" in problem.message and "utan kryptering" in problem.message
    assert record.municipality == "Mora"


def test_encrypted_mail_without_report_words_still_gets_the_problem():
    record = parse(smime_mail(smime_encrypted(mime_entity("Hej.\n")), "enveloped-data", subject="Hej"))
    assert "encrypted" in {p.code for p in record.problems}


@pytest.mark.parametrize("garbage", [b"", b"\x30\x80", b"\x30\x82\xff\xff" + b"\x00" * 50, b"not der at all",
                                     b"\x30" + b"\x80\x30" * 5000])
def test_broken_pkcs7_is_never_a_crash(garbage):
    assert containers.pkcs7_content(garbage) == ("other", None)
    record = parse(smime_mail(garbage, "signed-data"))
    assert record.kind in ("other", "report")
    assert all(p.message for p in record.problems)


_SIGNED_HEAD = bytes.fromhex("3080" "06092a864886f70d010702" "a080" "3080" "020101" "3100"
                             "3080" "06092a864886f70d010701" "a080")
_SIGNED_TAIL = bytes.fromhex("0000" "0000" "3100" "0000" "0000" "0000")


def test_outlook_ber_with_indefinite_lengths_and_chunks_is_read():
    chunks = b"".join(b"\x04\x82" + struct.pack(">H", 1000) + bytes([65 + i]) * 1000 for i in range(5))
    nested = b"\x24\x80" + b"\x04\x02OK" + b"\x00\x00"
    data = _SIGNED_HEAD + b"\x24\x80" + chunks + nested + b"\x00\x00" + _SIGNED_TAIL
    kind, content = smime.pkcs7_content(data)
    assert kind == "signed" and content == b"".join(bytes([65 + i]) * 1000 for i in range(5)) + b"OK"


def test_detached_signature_and_other_types_are_not_content():
    detached = bytes.fromhex("3080" "06092a864886f70d010702" "a080" "3080" "020101" "3100"
                             "3080" "06092a864886f70d010701" "0000" "3100" "0000" "0000" "0000")
    assert smime.pkcs7_content(detached) == ("other", None)
    data_type = bytes.fromhex("3011" "06092a864886f70d010701" "a004" "0402" "4f4b")
    assert smime.pkcs7_content(data_type) == ("other", None)
    assert smime.pkcs7_content(smime_encrypted(b"x"))[0] == "encrypted"


@pytest.mark.parametrize("chunk", [b"\x04\x02AB", b"\x24\x80\x04\x01A\x00\x00", b"\x30\x80\x00\x00"])
def test_hostile_ber_is_read_in_linear_time(chunk):
    def build(n: int) -> bytes:
        return _SIGNED_HEAD + b"\x24\x80" + chunk * (n // len(chunk)) + b"\x00\x00" + _SIGNED_TAIL
    assert_linear(build, 4_000_000, run=smime.pkcs7_content, limit=3.0)
    # digestAlgorithms as 20,000 nests 60 deep: walked once to find what follows it
    algorithms = b"\x31\x80" + (b"\x30\x80" * 60 + b"\x00\x00" * 60) * 20_000 + b"\x00\x00"
    deep = _SIGNED_HEAD.replace(b"\x31\x00", algorithms) + b"\x04\x02OK" + _SIGNED_TAIL
    start = time.perf_counter()
    assert smime.pkcs7_content(deep) == ("signed", b"OK")
    assert time.perf_counter() - start < 3.0


def test_signature_inside_signature_is_opened_a_bounded_number_of_times():
    entity = mime_entity("Hej!\n\n" + template_text(scores=SCORES, answers=ANSWERS))
    for _ in range(2):  # signed twice: still read
        entity = (b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
                  b"Content-Transfer-Encoding: base64\r\n\r\n"
                  + __import__("base64").encodebytes(smime_signed(entity)).replace(b"\n", b"\r\n"))
    assert_full_report(parse(smime_mail(smime_signed(entity), "signed-data")), "body")


# --- winmail.dat -----------------------------------------------------------------------


def test_winmail_dat_gives_its_word_report_with_the_long_name():
    raw = build_mail(attachments=[("winmail.dat", tnef([("Lägesbild oktober Mora.docx", DOCX)]),
                                   ("application", "ms-tnef"))], date=NOV3)
    assert_full_report(parse(raw), "attachment:Lägesbild oktober Mora.docx")


def test_tnef_reader_takes_every_file_and_the_short_name_without_mapi():
    stream = tnef([("Agenda.txt", b"Dagordning"), ("Rapport.docx", DOCX)])
    files = containers.read_tnef(stream)
    assert [(a.filename, a.data) for a in files] == [("Agenda.txt", b"Dagordning"), ("Rapport.docx", DOCX)]
    cut = stream[:stream.rindex(b"\x05\x90\x06\x00")]  # the last attAttachment (long names) left out
    assert containers.read_tnef(cut)[-1].filename == "RAPPOR~1.DOC"


@pytest.mark.parametrize("cut", [6, 20, 57, 200])
def test_truncated_tnef_keeps_what_was_read_and_never_raises_otherwise(cut):
    stream = tnef([("Rapport.docx", DOCX)])[:cut]
    assert containers.read_tnef(stream) == []
    assert parse(build_mail(attachments=[("winmail.dat", stream, ("application", "ms-tnef"))])).kind in ("report", "other")


def test_tnef_with_a_hostile_property_count_is_bounded():
    def build(n: int) -> bytes:
        data = b"\x78\x9f\x3e\x22\x00\x00"
        data += struct.pack("<BII", 2, 0x00069002, 0) + b"\x00\x00"
        mapi = struct.pack("<I", 0xFFFFFFFF) + struct.pack("<HHI", 0x101F, 0x3707, 0xFFFFFFFF) + b"\x00" * n
        data += struct.pack("<BII", 2, 0x00069005, len(mapi)) + mapi + b"\x00\x00"
        tiny = struct.pack("<BII", 1, 0x00018004, 0) + b"\x00\x00"  # many empty objects
        return data + tiny * (n // 11)
    assert_linear(build, 2_000_000, run=containers.read_tnef, limit=5.0)


# --- zip ---------------------------------------------------------------------------


def test_report_in_a_zip_is_read():
    raw = build_mail(attachments=[("Lägesbild.zip", zipped({"Rapporter/Lägesbild oktober.docx": DOCX,
                                                               "__MACOSX/._Lägesbild oktober.docx": b"x"}),
                                   ("application", "zip"))], date=NOV3)
    assert_full_report(parse(raw), "attachment:Lägesbild oktober.docx")


def test_zip_in_a_zip_is_opened_but_not_a_third_level():
    two = zipped({"inre.zip": zipped({"Lägesbild.docx": DOCX})})
    assert_full_report(parse(build_mail(attachments=[("yttre.zip", two, ("application", "zip"))], date=NOV3)))
    three = zipped({"mitten.zip": two})
    record = parse(build_mail(attachments=[("Lägesbild.zip", three, ("application", "zip"))], date=NOV3))
    assert record.answers == [] and "unreadable_attachment" in {p.code for p in record.problems}


def test_zip_bomb_is_refused_before_unpacking():
    bomb = zipped({"Lägesbild.docx": b"\x00" * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    start = time.perf_counter()
    record = parse(build_mail(attachments=[("Lägesbild.zip", bomb, ("application", "zip"))], date=NOV3))
    assert time.perf_counter() - start < 2.0
    problem = next(p for p in record.problems if p.code == "unreadable_attachment")
    assert "packas upp till för mycket" in problem.message


def test_password_protected_zip_says_so():
    data = bytearray(zipped({"Lägesbild.docx": DOCX}))
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag bit
        at = data.index(signature)
        data[at + flags_at] |= 1
    record = parse(build_mail(attachments=[("Lägesbild.zip", bytes(data), ("application", "zip"))], date=NOV3))
    assert any("lösenordsskyddad" in p.message for p in record.problems if p.code == "unreadable_attachment")


def test_zip_with_many_files_gives_a_bounded_number():
    data = zipped({f"fil{i}.txt": b"x" for i in range(500)})
    files, problems = containers.unpack([Attachment("filer.zip", "application/zip", data)], Limits())
    assert len(files) == containers.MAX_DOCUMENTS and problems == []


def test_zip_with_a_huge_directory_is_refused_unread():
    def build(n: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for i in range(n):
                archive.writestr(f"{i}", b"")
        return build_mail(attachments=[("x.zip", buffer.getvalue(), ("application", "zip"))], date=NOV3)
    assert_linear(build, 40_000)


def test_sniff_tells_archives_from_office_files():
    assert sniff.sniff(zipped({"a.txt": b"x"}), None) == sniff.ZIP
    assert sniff.sniff(DOCX, "x.zip") == sniff.DOCX
    assert sniff.sniff(xlsx([["a"]]), None) == sniff.XLSX
    assert sniff.sniff(b"PK\x03\x04broken", "Lägesbild.xlsx") == sniff.XLSX


# --- HCL Notes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Lägesbild oktober.docx", None])
def test_octet_stream_without_disposition_is_sniffed(name):
    record = parse(notes_mail("anna.berg@mora.se", "Lagesbild oktober", DOCX, name))
    assert_full_report(record)
    assert record.source == f"attachment:{name or 'bilaga.docx'}"


# --- Excel -------------------------------------------------------------------------


def template_rows(scores=SCORES):
    rows = [["Mall för lägesbildsinsamling - Sociala risker, oktober månad"],
            ["Underlaget inlämnat av kommun: Mora"], ["Fråga", "Svar", "Påverkan (1-5)"]]
    for n in range(1, 8):
        rows.append([f"{n}. {TITLES[n - 1]}", ANSWERS[n - 1], scores[n - 1] if n <= 6 else None])
    return rows


def test_excel_report_is_read():
    raw = build_mail(attachments=[("Lägesbild oktober.xlsx", xlsx(template_rows()), XLSX_TYPE)], date=NOV3)
    assert_full_report(parse(raw), "attachment:Lägesbild oktober.xlsx")


def test_excel_traffic_lights_as_cell_shading():
    colours = ["grön", "gul", "grön", "röd", "grön", "gul"]
    fills = {"grön": "00B050", "gul": "FFFF00", "röd": "FF0000"}
    rows = template_rows([""] * 6)
    shading = {(4 + n, 3): fills[c] for n, c in enumerate(colours)}
    blocks = read_xlsx(xlsx(rows, shading))
    assert Block("", cell=True, fill="00B050") in blocks
    record = parse(build_mail(attachments=[("Lägesbild.xlsx", xlsx(rows, shading), XLSX_TYPE)], date=NOV3))
    assert [a.color for a in record.answers][:6] == colours


def test_excel_cells_in_order_with_numbers_as_written():
    blocks = read_xlsx(xlsx([["Påverkan", 3.0, 2.5], [None, "rad två\nandra raden"]]))
    assert [b.text for b in blocks] == ["Påverkan", "3", "2.5", "rad två", "andra raden"]
    assert all(b.cell for b in blocks)


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", zipped({"xl/workbook.xml": b"<workbook/>"}),
                                  zipped({"xl/workbook.xml": b"<not xml"})])
def test_broken_excel_is_unreadable_not_unsupported(data):
    record = parse(build_mail(attachments=[("Lägesbild.xlsx", data, XLSX_TYPE)], date=NOV3))
    assert record.kind == "report"
    assert "unreadable_attachment" in {p.code for p in record.problems}
    assert "unsupported_format" not in {p.code for p in record.problems}


def _sheet_xlsx(cells: str) -> bytes:
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>').encode()
    with zipfile.ZipFile(io.BytesIO(xlsx([["a"]]))) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["xl/worksheets/sheet1.xml"] = sheet
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # stored: not taken for a zip bomb
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_excel_stops_after_a_bounded_number_of_empty_cells():
    from parsers.xlsx_reader import MAX_CELLS

    data = _sheet_xlsx('<c r="A1" t="inlineStr"><is><t>först</t></is></c>' + '<c r="B1"/>' * (MAX_CELLS + 10)
                       + '<c r="C1" t="inlineStr"><is><t>sist</t></is></c>')
    start = time.perf_counter()
    assert [b.text for b in read_xlsx(data)] == ["först"]
    assert time.perf_counter() - start < 5.0


def test_excel_sheet_with_far_columns_is_linear():
    def build(n: int) -> bytes:
        rows = "".join(f'<row r="{i}"><c r="XFD{i}" t="inlineStr"><is><t>x</t></is></c></row>' for i in range(1, n))
        sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 f'<dimension ref="A1:XFD{n}"/><sheetData>{rows}</sheetData></worksheet>').encode()
        book = xlsx([["a"]])
        members = {}
        with zipfile.ZipFile(io.BytesIO(book)) as archive:
            for info in archive.infolist():
                members[info.filename] = archive.read(info)
        members["xl/worksheets/sheet1.xml"] = sheet
        return zipped(members)
    assert_linear(build, 40_000, run=read_xlsx)


# --- RTF ---------------------------------------------------------------------------


def test_rtf_report_is_read():
    text = template_text(scores=SCORES, answers=ANSWERS)
    raw = build_mail(attachments=[("Lägesbild.rtf", rtf(text.splitlines()), ("application", "rtf"))], date=NOV3)
    assert_full_report(parse(raw), "attachment:Lägesbild.rtf")


def test_rtf_text_escapes_tables_and_skipped_groups():
    data = rtf(["Fråga 1 – Ordningsstörningar 😀"], table=[["Påverkan", "3"]])
    assert [(b.text, b.cell) for b in read_rtf(data)] == [
        ("Fråga 1 – Ordningsstörningar 😀", False), ("Påverkan", True), ("3", True)]
    binary = b"{\\rtf1 F\\'f6re{\\*\\blipuid 0}{\\pict\\bin4 }{}\\} Efter\\par}"
    assert [b.text for b in read_rtf(binary)] == ["Före Efter"]


@pytest.mark.parametrize("data", [b"{\\rtf", b"{\\rtf1 \\", b"{\\rtf1 \\'zz}", b"{\\rtf1 " + b"{" * 1000,
                                  b"{\\rtf1 \\u99999999999 x}", b"{\\rtf1\\ansicpg99999 \\'e4}"])
def test_broken_rtf_gives_blocks_or_a_reason(data):
    try:
        blocks = read_rtf(data)
    except UnreadableDocument as e:
        assert e.reason
    else:
        assert isinstance(blocks, list)


@pytest.mark.parametrize("unit", [b"{\\field{\\*\\fldinst{HYPERLINK \"x\"}}{\\fldrslt{a}}}", b"\\u228?",
                                  b"\\f1\\f2\\f3 ", b"{}" * 3, b"\\'e4"])
def test_rtf_is_read_in_linear_time(unit):
    assert_linear(lambda n: b"{\\rtf1{\\fonttbl" + unit * (n // 4) + b"}" + unit * n + b"}", 40_000,
                  run=read_rtf)


def test_rtf_of_too_many_tokens_is_refused_in_bounded_time():
    from parsers.rtf_reader import MAX_TOKENS

    data = b"{\\rtf1 " + b"{}" * MAX_TOKENS * 5 + b"}"
    start = time.perf_counter()
    with pytest.raises(UnreadableDocument, match="för komplex"):
        read_rtf(data)
    assert time.perf_counter() - start < 5.0


def test_excel_fill_colours_from_the_palette_and_the_theme():
    from openpyxl import Workbook
    from openpyxl.styles import Color, PatternFill

    book = Workbook()
    sheet = book.active
    for row, colour in enumerate([Color(indexed=10), Color(indexed=13), Color(theme=6), Color(theme=5, tint=0.4),
                                  Color(theme=5, tint=-0.5)], start=1):
        sheet.cell(row=row, column=1, value=str(row)).fill = PatternFill("solid", fgColor=colour)
    buffer = io.BytesIO()
    book.save(buffer)
    # openpyxl writes Office 2007's theme: accent2 C0504D (lighter 40 %: D99694, darker 50 %: 632523), accent3 9BBB59
    assert [b.fill for b in read_xlsx(buffer.getvalue())] == ["FF0000", "FFFF00", "9BBB59", "D99694", "632523"]  # as Excel names them


def test_excel_dates_are_dates_so_the_month_is_found():
    from datetime import date, datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Period", date(2026, 10, 1)])
    sheet.append(["Månad", date(2026, 10, 1)])
    sheet["B2"].number_format = "mmmm yyyy"
    sheet.append(["Tid", 0.5, datetime(2026, 10, 3, 12, 0), 1e300])
    sheet["B3"].number_format = "h:mm"
    sheet["D3"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    assert [b.text for b in read_xlsx(buffer.getvalue())] == [
        "Period", "2026-10-01", "Månad", "2026-10", "Tid", "0.5", "2026-10-03", "1e+300"]


@pytest.mark.parametrize("raw_name, encoding", [("Lägesbild oktober.docx", "utf-8"), ("Lägesbild oktober.docx", "cp850")])
def test_zip_member_names_without_the_utf8_flag(raw_name, encoding):
    encoded = raw_name.encode(encoding)  # macOS (UTF-8) and Windows (cp850) bytes, neither with the UTF-8 flag
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X" * len(encoded), DOCX)  # an ASCII name of the same length, then patched
    data = buffer.getvalue().replace(b"X" * len(encoded), encoded)
    files, _ = containers.unpack([Attachment("arkiv.zip", "application/zip", data)], Limits())
    assert [f.filename for f in files] == [raw_name]


def uuencoded(data: bytes, name: str) -> str:
    import binascii

    lines = [binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45)]
    return f"begin 644 {name}\n" + "".join(lines) + "`\nend\n"


def test_report_uuencoded_in_the_text_body_is_read():
    body = "Hej, bifogar lägesbilden.\n\n" + uuencoded(DOCX, "Lagesbild oktober.docx") + "\nMvh Anna\n"
    record = parse(build_mail(body=body, date=NOV3))
    assert_full_report(record, "attachment:Lagesbild oktober.docx")


def test_text_that_only_looks_uuencoded_stays_text():
    from parsers.mime import uudecoded

    text = "Planen:\nbegin 644 möte.txt\nvi börjar kl 9 på måndag\nend\nSlut"
    assert uudecoded(text) == (text, [])
    text2, files = uudecoded("a\n" + uuencoded(b"hej", "x.txt") + "b\n")
    assert (text2, [(f.filename, f.data) for f in files]) == ("a\nb\n", [("x.txt", b"hej")])


@pytest.mark.parametrize("unit", ["begin 644 x\n", "begin 644 x\nM" + "A" * 60 + "\n", "begin 644 x\n!ä\n",
                                  "begin 644 x\n`\nend\n"])
def test_uudecoding_is_linear(unit):
    from parsers.mime import uudecoded

    assert_linear(lambda n: unit * (n // len(unit)) + "ä\nend\n", 1_600_000, run=uudecoded, limit=5.0)


def test_tnef_file_carried_in_mapi_data_only():
    from tests.container_factory import _mapi_string, _tnef_object

    binary = struct.pack("<HHII", 0x0102, 0x3701, 1, len(DOCX)) + DOCX + b"\x00" * (-len(DOCX) % 4)
    mapi = struct.pack("<I", 2) + _mapi_string(0x3707, "Lägesbild från Outlook.docx") + binary
    stream = (b"\x78\x9f\x3e\x22\x00\x00" + _tnef_object(2, 0x00069002, b"\x00" * 14)
              + _tnef_object(2, 0x00069005, mapi))
    assert [(a.filename, a.data) for a in containers.read_tnef(stream)] == [("Lägesbild från Outlook.docx", DOCX)]
