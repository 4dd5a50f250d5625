"""Tests for the document readers: Word (.docx), OpenDocument (.odt), legacy .doc.

Every file is built in memory by tests/docx_factory.py.
"""

from __future__ import annotations

import re
import struct
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import doc_reader, odf_reader
from parsers.doc_reader import read_doc
from parsers.docx_reader import (
    CORRUPT,
    ENCRYPTED,
    LEGACY_DOC,
    NOT_WORD,
    TOO_MUCH_TEXT,
    read_docx,
)
from parsers.model import Block, Limits, UnreadableDocument
from parsers.odf_reader import read_odt
from tests.docx_factory import (
    ODF_NSDECLS,
    Xml,
    block_sdt,
    br,
    cell,
    cell_style,
    checkbox,
    field,
    legacy_checkbox,
    legacy_dropdown,
    make_doc,
    make_docx,
    make_odt,
    make_ole,
    make_zip,
    p,
    replace_members,
    run,
    sdt,
    sym,
    tab,
    table,
    template_docx,
    textbox,
    zip_members,
)


def C(text: str, fill: str | None = None) -> Block:
    """A block from a table cell."""
    return Block(text, cell=True, fill=fill)


B = Block

BODY_CASES = {
    "paragraphs, empty ones dropped": (["Rubrik", "", "  ", "Text"], [B("Rubrik"), B("Text")]),
    "tables in document order": (
        ["Före", [["a", "b"], ["c", "d"]], "Efter"],
        [B("Före"), C("a"), C("b"), C("c"), C("d"), B("Efter")],
    ),
    "cell paragraphs": (
        [[[cell("Beskrivning", "", "Kommentar: inget")]]],
        [C("Beskrivning"), C("Kommentar: inget")],
    ),
    "shaded cells, empty shaded cell kept": (
        [[[cell("Grönt", fill="00b050"), cell(fill="FF0000"), cell(fill="auto"), cell(), cell("x", fill="FFFFFF")]]],
        [C("Grönt", "00B050"), C("", "FF0000"), C("x")],
    ),
    "solid shading pattern shows its colour": (
        [table([[Xml('<w:tc><w:tcPr><w:shd w:val="solid" w:color="FFC000" w:fill="auto"/></w:tcPr><w:p/></w:tc>')]])],
        [C("", "FFC000")],
    ),
    "horizontally merged cell once": ([[[cell("Rubrik", span=2)], ["a", "b"]]], [C("Rubrik"), C("a"), C("b")]),
    "vertically merged cell once": (
        [[[cell("Fråga 1", vmerge="restart", fill="D9D9D9"), "svar a"], [cell(vmerge="continue", fill="D9D9D9"), "svar b"]]],
        [C("Fråga 1", "D9D9D9"), C("svar a"), C("svar b")],
    ),
    "nested table in order": (
        [[[cell("yttre", table([["inre 1", cell("inre 2", fill="92D050")]]), "efter"), "höger"]]],
        [C("yttre"), C("inre 1"), C("inre 2", "92D050"), C("efter"), C("höger")],
    ),
    "nested cell inherits the outer fill": (
        [[[cell(table([["inre"]]), fill="FFFF00")]]],
        [C("inre", "FFFF00")],
    ),
    "block content control": ([block_sdt("I kontroll", [["i tabell"]])], [B("I kontroll"), C("i tabell")]),
    "run content control": ([p("Kommun: ", sdt("Falun"))], [B("Kommun: Falun")]),
    "content control in a cell": ([[[cell(p("Svar: ", sdt("lugnt")))]]], [C("Svar: lugnt")]),
    "content control around table rows": (
        [table([[Xml("<w:sdt><w:sdtContent><w:tc><w:p><w:r><w:t>i rad</w:t></w:r></w:p></w:tc></w:sdtContent></w:sdt>")]])],
        [C("i rad")],
    ),
    "placeholder text dropped": (
        [p("Kommun: ", sdt("Klicka eller tryck här för att ange text.", placeholder=True)), block_sdt("Ange text", placeholder=True)],
        [B("Kommun:")],
    ),
    "literal glyphs": (["Påverkan: ☐1 ☐2 ☒3 ☑4 ■5 □6"], [B("Påverkan: ☐1 ☐2 ☒3 ☑4 ■5 ☐6")]),
    "wingdings symbols": (
        [p("Påverkan: ", sym("F0A8"), "1 ", sym("F0FE"), "2 ", sym("F06F"), "3 ", sym("F078"), "4 ", sym("F0FD"), "5")],
        [B("Påverkan: ☐1 ☒2 ☐3 ☒4 ☒5")],
    ),
    "other symbol fonts": (
        [p(sym("F052", "Wingdings 2"), "a ", sym("F0A3", "Wingdings 2"), "b ", sym("2612", "MS Gothic"), "c ", sym("F04A"), "d")],
        [B("☒a ☐b ☒c d")],
    ),
    "text set in wingdings": (
        [p("Påverkan: ", run("\u00fe", font="Wingdings"), "1 ", run("o", font="Wingdings"), "2 ", run("\uf0fd", font="Wingdings"), "3")],
        [B("Påverkan: ☒1 ☐2 ☒3")],
    ),
    "checkbox content controls": (
        [p("Påverkan: ", checkbox(False), "1 ", checkbox(True), "2 ", checkbox(True, glyph="☐"), "3 ", checkbox(False, glyph="☒"), "4")],
        [B("Påverkan: ☐1 ☒2 ☒3 ☐4")],
    ),
    "legacy checkboxes": (
        [
            p(
                "Påverkan: ",
                legacy_checkbox(), "1 ",
                legacy_checkbox("<w:checked/>"), "2 ",
                legacy_checkbox('<w:checked w:val="0"/>'), "3 ",
                legacy_checkbox('<w:default w:val="1"/>'), "4 ",
                legacy_checkbox('<w:default w:val="1"/><w:checked w:val="false"/>'), "5 ",
                legacy_checkbox('<w:checked w:val="true"/>', result="☐"), "6",
            )
        ],
        [B("Påverkan: ☐1 ☒2 ☐3 ☒4 ☐5 ☒6")],
    ),
    "legacy drop-down shows its choice": ([p("Påverkan: ", legacy_dropdown(["1", "2", "3"], 2))], [B("Påverkan: 3")]),
    "field result kept, instruction dropped": ([p("Sida ", field("PAGE", "1"))], [B("Sida 1")]),
    "text box read once": (
        [p("Ankare", textbox("I rutan", "Rad två")), "Efter"],
        [B("Ankare"), B("I rutan"), B("Rad två"), B("Efter")],
    ),
    "tabs and line breaks": (
        [p("Fråga 1", tab(), "Påverkan: 3", br(), "Kommentar: lugnt", br(), br())],
        [B("Fråga 1\tPåverkan: 3"), B("Kommentar: lugnt")],
    ),
    "line break in a shaded cell": ([[[cell(p("a", br(), "b"), fill="FFFF00")]]], [C("a", "FFFF00"), C("b", "FFFF00")]),
    "non-breaking and soft hyphen": (["Påverkan:\u00a03 för\u00adebyggande"], [B("Påverkan: 3 förebyggande")]),
    "tracked changes: insertions kept, deletions dropped": (
        [Xml("<w:p><w:ins><w:r><w:t>ny</w:t></w:r></w:ins><w:del><w:r><w:delText>gammal</w:delText></w:r></w:del></w:p>")],
        [B("ny")],
    ),
    "hyperlink text": ([Xml('<w:p><w:hyperlink r:id="rId99"><w:r><w:t>länk</w:t></w:r></w:hyperlink></w:p>')], [B("länk")]),
}


@pytest.mark.parametrize("body, expected", BODY_CASES.values(), ids=BODY_CASES.keys())
def test_body(body, expected):
    assert read_docx(make_docx(body)) == expected


def test_header_comes_first():
    data = make_docx(["Brödtext"], header=["Ludvika kommun", [["Lägesrapport", cell(fill="FFC000")]]])
    assert read_docx(data) == [B("Ludvika kommun"), C("Lägesrapport"), C("", "FFC000"), B("Brödtext")]


@pytest.mark.parametrize("kind", ["docm", "dotx"])
def test_macro_enabled_and_template_files(kind):
    assert read_docx(make_docx(["Påverkan: 2"], kind=kind)) == [B("Påverkan: 2")]


def test_strict_open_xml():
    data = make_docx(["Strikt", p("Påverkan: ", checkbox(True))])
    xml = zip_members(data)["word/document.xml"].replace(
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        b"http://purl.oclc.org/ooxml/wordprocessingml/main",
    )
    assert read_docx(replace_members(data, {"word/document.xml": xml})) == [B("Strikt"), B("Påverkan: ☒")]


def test_template():
    blocks = read_docx(template_docx("Falun", scores=(3, 1, 1, 1, 1, 5)))
    assert blocks[0] == B("Falun kommun")
    assert C("Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5") in blocks
    assert C("Påverkan: ☐1 ☐2 ☐3 ☐4 ☒5") in blocks


# --- unreadable files ---------------------------------------------------------------

DOCUMENT = b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'


def _lying_sizes(data: bytes, size: int) -> bytes:
    """A one-member zip whose headers declare `size` bytes unpacked."""
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data = bytearray(data)
    struct.pack_into("<I", data, local + 22, size)
    struct.pack_into("<I", data, central + 24, size)
    return bytes(data)


UNREADABLE_CASES = {
    "not a zip": (b"Hej, detta \xe4r ingen Word-fil", CORRUPT),
    "empty bytes": (b"", CORRUPT),
    "empty zip": (make_zip({}), NOT_WORD),
    "zip without document.xml": (make_zip({"content.xml": b"<x/>"}), NOT_WORD),
    "document.xml not XML": (make_zip({"word/document.xml": b"<w:document"}), CORRUPT),
    "document.xml of another kind": (make_zip({"word/document.xml": b"<html/>"}), NOT_WORD),
    "truncated docx": (make_docx(["Text"])[:2000], CORRUPT),
    "legacy .doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, LEGACY_DOC),
    "encrypted docx": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le"),
        ENCRYPTED,
    ),
    "sizes that lie": (_lying_sizes(make_zip({"word/document.xml": DOCUMENT + b"a" * 100_000}), 100), CORRUPT),
}


@pytest.mark.parametrize("data, reason", UNREADABLE_CASES.values(), ids=UNREADABLE_CASES.keys())
def test_unreadable(data, reason):
    with pytest.raises(UnreadableDocument) as caught:
        read_docx(data)
    assert caught.value.reason == reason


def test_zip_bomb():
    limits = Limits()
    bomb = make_zip({"word/document.xml": DOCUMENT + b"a" * (limits.max_unpacked_bytes + 1)})
    assert len(bomb) < 200_000
    with pytest.raises(UnreadableDocument, match="för mycket data"):
        read_docx(bomb, limits)


def test_compression_ratio_bomb_below_the_size_limit():
    bomb = make_zip({"word/document.xml": DOCUMENT + b"a" * 5_000_000})
    with pytest.raises(UnreadableDocument, match="för mycket data"):
        read_docx(bomb)


def test_unpacked_size_limit():
    with pytest.raises(UnreadableDocument, match="för mycket data"):
        read_docx(make_docx(["Text"]), Limits(max_unpacked_bytes=10_000))


@pytest.mark.parametrize(
    "limits, reason",
    [
        (Limits(max_attachment_bytes=1_000), "för stor"),
        (Limits(max_text_chars=10), TOO_MUCH_TEXT),
    ],
)
def test_limits(limits, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        read_docx(make_docx(["En rad med lite mer text än tio tecken"]), limits)


def test_entities_are_not_expanded():
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (
        f'<!DOCTYPE w:document [<!ENTITY l0 "ha"><!ENTITY file SYSTEM "file:///etc/passwd">{laughs}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        "<w:p><w:r><w:t>A &l9; &file; B</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    started = time.monotonic()
    try:
        blocks = read_docx(make_zip({"word/document.xml": xml}))
    except UnreadableDocument:
        blocks = []
    assert time.monotonic() - started < 2
    assert all("root:" not in b.text and "haha" not in b.text for b in blocks)


# --- any bytes give blocks or UnreadableDocument -------------------------------------

VALID = template_docx()
VALID_XML = zip_members(VALID)["word/document.xml"]


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    mutated = bytearray(data)
    for position, value in edits:
        mutated[position % len(mutated)] = value
    return bytes(mutated[:cut] if cut else mutated)


EDITS = st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=20)
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _blocks_or_unreadable(data: bytes) -> None:
    try:
        blocks = read_docx(data)
    except UnreadableDocument as e:
        assert isinstance(e.reason, str) and e.reason
    else:
        assert isinstance(blocks, list) and all(isinstance(b, Block) for b in blocks)


@FUZZ
@given(edits=EDITS, cut=st.none() | st.integers(min_value=0, max_value=len(VALID)))
def test_mutated_package(edits, cut):
    _blocks_or_unreadable(_mutate(VALID, edits, cut))


@FUZZ
@given(edits=EDITS, cut=st.none() | st.integers(min_value=0, max_value=len(VALID_XML)))
def test_mutated_document_xml(edits, cut):
    xml = _mutate(VALID_XML, edits, cut)
    _blocks_or_unreadable(replace_members(VALID, {"word/document.xml": xml}))


# --- OpenDocument text (parsers.odf_reader) ------------------------------------------
# Kept here with the Word tests: same blocks, same factory module.

ODT_CASES = {
    "headings, paragraphs, lists, sections": (
        "<text:h>Rubrik</text:h><text:section><text:p>Påverkan:<text:s/>3</text:p></text:section>"
        "<text:list><text:list-item><text:p>punkt</text:p></text:list-item></text:list>",
        [B("Rubrik"), B("Påverkan: 3"), B("punkt")],
    ),
    "spaces, tabs and line breaks": (
        "<text:p>a  <text:s text:c='2'/>b<text:tab/>c<text:line-break/>d</text:p>",
        [B("a   b\tc"), B("d")],
    ),
    "notes, comments and change records skipped": (
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>borttaget</text:p></text:deletion>"
        "</text:changed-region></text:tracked-changes><text:p>Text<text:note><text:note-citation>1</text:note-citation>"
        "<text:note-body><text:p>fot</text:p></text:note-body></text:note></text:p>",
        [B("Text")],
    ),
    "table: shading, covered cell, nested table": (
        "<table:table><table:table-column table:number-columns-repeated='2'/><table:table-row>"
        "<table:table-cell table:style-name='G' table:number-columns-spanned='2'><text:p>grön</text:p></table:table-cell>"
        "<table:covered-table-cell/></table:table-row><table:table-row><table:table-cell table:style-name='R'/>"
        "<table:table-cell><table:table><table:table-row><table:table-cell><text:p>inre</text:p></table:table-cell>"
        "</table:table-row></table:table><text:p>efter</text:p></table:table-cell></table:table-row></table:table>",
        [C("grön", "00B050"), C("", "FF0000"), C("inre"), C("efter")],
    ),
    "text box once, image title ignored": (
        "<text:p>Ankare<draw:frame><svg:title>bild</svg:title><draw:text-box><text:p>I ruta</text:p>"
        "</draw:text-box></draw:frame></text:p>",
        [B("Ankare"), B("I ruta")],
    ),
    "glyphs": ("<text:p>Påverkan: ☐1 ☒2 □3</text:p>", [B("Påverkan: ☐1 ☒2 ☐3")]),
}


@pytest.mark.parametrize("body, expected", ODT_CASES.values(), ids=ODT_CASES.keys())
def test_odt_body(body, expected):
    styles = cell_style("G", "#00b050") + cell_style("R", "#FF0000")
    assert read_odt(make_odt(body, styles=styles)) == expected


def test_odt_header_comes_first():
    assert read_odt(make_odt("<text:p>Brödtext</text:p>", header="<text:p>Falu kommun</text:p>")) == [
        B("Falu kommun"),
        B("Brödtext"),
    ]


ODT_UNREADABLE = {
    "not a zip": (b"<office:document/>", odf_reader.CORRUPT),
    "no content.xml": (make_zip({"mimetype": b"application/vnd.oasis.opendocument.text"}), odf_reader.NOT_ODT),
    "a presentation": (  # a spreadsheet is read (tests/test_ods.py), a slide show is not
        make_zip({"content.xml": f"<office:document-content {ODF_NSDECLS}><office:body><office:presentation/>"
                  "</office:body></office:document-content>".encode()}),
        odf_reader.NOT_ODT,
    ),
    "encrypted": (make_odt("<text:p>x</text:p>", encrypted=True), odf_reader.ENCRYPTED),
    "zip bomb": (make_zip({"content.xml": b"<" + b"a" * 5_000_000}), "för mycket data"),
}


@pytest.mark.parametrize("data, reason", ODT_UNREADABLE.values(), ids=ODT_UNREADABLE.keys())
def test_odt_unreadable(data, reason):
    with pytest.raises(UnreadableDocument, match=re.escape(reason)):
        read_odt(data)


VALID_ODT = make_odt(
    "<text:h>Rubrik</text:h>" + "".join(f"<text:p>Påverkan: {n}</text:p>" for n in range(1, 6)),
    header="<text:p>Mora kommun</text:p>",
)


@FUZZ
@given(edits=EDITS, cut=st.none() | st.integers(min_value=0, max_value=len(VALID_ODT)))
def test_mutated_odt(edits, cut):
    try:
        blocks = read_odt(_mutate(VALID_ODT, edits, cut))
    except UnreadableDocument:
        return
    assert all(isinstance(b, Block) for b in blocks)


# --- legacy Word 97-2003 (parsers.doc_reader) ----------------------------------------

DOC_CASES = {
    "paragraphs": ({"body": "Rubrik\r\rText\r"}, [B("Rubrik"), B("Text")]),
    "cells end with a cell mark": ({"body": "Före\rFråga 1\x07Påverkan: 3\x07\x07Efter\r"}, [B("Före"), C("Fråga 1"), C("Påverkan: 3"), B("Efter")]),
    "field result kept, instruction dropped": ({"body": "Sida \x13 PAGE \x141\x15 av 2\r"}, [B("Sida 1 av 2")]),
    "checkbox field without result dropped": ({"body": "Ja \x13 FORMCHECKBOX \x15\r"}, [B("Ja")]),
    "line breaks and special characters": ({"body": "A\x0bB\x1eC\x1fD\x01\r"}, [B("A"), B("B-CD")]),
    "header first, text boxes last": (
        {"body": "Brödtext\r", "header": "Ludvika kommun", "textbox": "I ruta\r"},
        [B("Ludvika kommun"), B("Brödtext"), B("I ruta")],
    ),
    "unicode piece": ({"body": "Påverkan: ☐1 ☒2\r", "compressed": False}, [B("Påverkan: ☐1 ☒2")]),
}


@pytest.mark.parametrize("parts, expected", DOC_CASES.values(), ids=DOC_CASES.keys())
def test_doc(parts, expected):
    assert read_doc(make_doc(**parts)) == expected


def _word6() -> bytes:
    data = bytearray(make_doc("Text\r"))
    start = data.index(b"\xec\xa5\xc1\x00")
    data[start : start + 2] = b"\xdc\xa5"
    return bytes(data)


DOC_UNREADABLE = {
    "not OLE": (b"PK\x03\x04 a zip", doc_reader.NOT_DOC),
    "OLE without WordDocument": (make_ole({"Workbook": b"x"}), doc_reader.NOT_DOC),
    "encrypted .doc": (make_doc("Hemligt\r", flags=0x0100), doc_reader.ENCRYPTED),
    "encrypted .docx": (make_ole({"EncryptionInfo": b"x", "EncryptedPackage": b"y"}), doc_reader.ENCRYPTED),
    "Word 6": (_word6(), doc_reader.TOO_OLD),
    "truncated": (make_doc("Text\r")[:1500], doc_reader.CORRUPT),
}


@pytest.mark.parametrize("data, reason", DOC_UNREADABLE.values(), ids=DOC_UNREADABLE.keys())
def test_doc_unreadable(data, reason):
    with pytest.raises(UnreadableDocument) as caught:
        read_doc(data)
    assert caught.value.reason == reason


def test_doc_limits():
    with pytest.raises(UnreadableDocument, match="för stor"):
        read_doc(make_doc("Text\r"), Limits(max_attachment_bytes=1_000))
    with pytest.raises(UnreadableDocument, match="för mycket text"):
        read_doc(make_doc("Text\r"), Limits(max_text_chars=2))


VALID_DOC = make_doc("Rubrik\rFråga 1\x07Påverkan: 3\x07\x07Sida \x13 PAGE \x141\x15\r", header="Orsa kommun")


@FUZZ
@given(edits=EDITS, cut=st.none() | st.integers(min_value=0, max_value=len(VALID_DOC)))
def test_mutated_doc(edits, cut):
    try:
        blocks = read_doc(_mutate(VALID_DOC, edits, cut))
    except UnreadableDocument:
        return
    assert all(isinstance(b, Block) for b in blocks)
