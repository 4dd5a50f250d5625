"""Tests for parsers.pdf_reader.read_pdf, on PDFs built by tests/pdf_factory.py."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import pdf_reader
from parsers.model import Block, Limits, UnreadableDocument
from parsers.pdf_reader import read_pdf
from tests import pdf_factory
from tests.harness import require

HERE = Path(__file__).parent
SHARED_SAMPLES = HERE / "samples" / "public"


def texts(blocks: list[Block]) -> list[str]:
    return [block.text for block in blocks]


def reason_of(data: bytes, limits: Limits = Limits()) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf(data, limits)
    return caught.value.reason


@pytest.fixture(scope="module")
def thousand_pages() -> bytes:
    return pdf_factory.many_pages_pdf(1000)


# --- text -----------------------------------------------------------------

def test_template_lines_with_swedish_letters():
    blocks = read_pdf(pdf_factory.template_pdf())
    assert texts(blocks) == pdf_factory.template_lines()
    assert all(block == Block(block.text) for block in blocks)  # no cells, no fill


def test_template_line_shapes():
    lines = texts(read_pdf(pdf_factory.template_pdf(municipality="Älvdalen", month="december")))
    assert "Fråga 1, Ordningsstörningar och otrygghet:" in lines
    assert "Påverkan: 2" in lines
    assert "Kommentar: Fritidsgården har förlängt öppettiderna på fredagar." in lines
    assert "Underlaget inlämnat av kommun: Älvdalen" in lines


def test_pages_are_read_in_order():
    pages = [[f"Sida {n} rad {line}" for line in (1, 2)] for n in (1, 2, 3)]
    assert texts(read_pdf(pdf_factory.text_pdf(pages))) == [line for page in pages for line in page]


def test_lines_are_stripped_and_empty_lines_dropped():
    data = pdf_factory.text_pdf([["   Påverkan: 4   ", "", "    ", "Kommentar:"]])
    assert texts(read_pdf(data)) == ["Påverkan: 4", "Kommentar:"]


def test_hyphen_at_line_end_is_not_rejoined():
    data = pdf_factory.text_pdf([["Ungdomar samlas vid ANDT-", "frågor och skade-", "görelse."]])
    assert texts(read_pdf(data)) == ["Ungdomar samlas vid ANDT-", "frågor och skade-", "görelse."]


def test_checkbox_glyphs_are_kept():
    require(pdf_factory.DEJAVU_SANS.is_file(), f"{pdf_factory.DEJAVU_SANS} (fonts-dejavu-core) not installed")
    lines = ["Påverkan: ☐ 1 ☐ 2 ☒ 3 ☐ 4 ☐ 5", "Sammanställd bedömning: ☑ Grönt ■ Gult", "gång\u00adtunneln"]
    blocks = read_pdf(pdf_factory.text_pdf([lines], unicode_font=True))
    assert texts(blocks) == [*lines[:2], "gångtunneln"]  # the soft hyphen is dropped


# --- shaded cells ---------------------------------------------------------

def test_text_in_shaded_cells_gets_cell_and_fill():
    data = pdf_factory.filled_table_pdf([
        [("Grönt", None), ("Gult", "FFFF00"), ("Rött", None)],
        [("Påverkan: 3", "00b050"), ("x", None), ("", "FF0000")],
    ])
    assert read_pdf(data) == [  # a ruled table: read cell by cell with pdfplumber
        Block("Sammanställd bedömning:"),
        Block("☐ Grönt ☒ Gult ☐ Rött", cell=True),  # the light's options, the shaded one chosen
        Block("Påverkan: 3", cell=True, fill="00B050"),
        Block("x", cell=True),
        Block("", cell=True, fill="FF0000"),
        Block("Kommentar/åtgärd: Inget att tillägga."),
    ]


def test_highlighted_word_does_not_split_its_line():
    data = pdf_factory.highlighted_word_pdf("Vi ser en ", "ökad", " droghandel vid torget.")
    assert read_pdf(data) == [Block("Vi ser en ökad droghandel vid torget.")]


# --- encryption -----------------------------------------------------------

def test_encrypted_with_empty_user_password_is_read():
    data = pdf_factory.encrypted_pdf(["Fråga 2, Hot och våld:", "Påverkan: 1"], user_password="")
    assert texts(read_pdf(data)) == ["Fråga 2, Hot och våld:", "Påverkan: 1"]


def test_encrypted_with_user_password_is_unreadable():
    data = pdf_factory.encrypted_pdf(["Fråga 2, Hot och våld:"], user_password="hemligt")
    assert reason_of(data) == pdf_reader.REASON_PASSWORD
    assert "lösenord" in reason_of(data)


# --- no text --------------------------------------------------------------

@pytest.mark.parametrize("data", [
    pytest.param(pdf_factory.image_only_pdf(), id="image-and-rectangle"),
    pytest.param(pdf_factory.image_only_pdf(pages=3), id="three-scanned-pages"),
])
def test_image_only_is_unreadable_as_scanned(data):
    assert reason_of(data) == pdf_reader.REASON_NO_TEXT
    assert "inskannad" in reason_of(data)


def test_whitespace_only_is_unreadable_as_empty():
    assert reason_of(pdf_factory.whitespace_only_pdf()) == pdf_reader.REASON_EMPTY


# --- broken input ---------------------------------------------------------

@pytest.mark.parametrize("data, reason", [
    pytest.param(b"", pdf_reader.REASON_NOT_PDF, id="empty"),
    pytest.param(b"Hej! Rapporten kommer i morgon.", pdf_reader.REASON_NOT_PDF, id="text"),
    pytest.param(b"PK\x03\x04" + b"\x00" * 2000 + b"%PDF-1.7", pdf_reader.REASON_NOT_PDF, id="zip"),
    pytest.param(b"%PDF-1.7\n", pdf_reader.REASON_CORRUPT, id="header-only"),
    pytest.param(b"%PDF-1.4\n" + bytes(range(256)) * 40, pdf_reader.REASON_CORRUPT, id="garbage"),
    pytest.param(pdf_factory.template_pdf()[:400], pdf_reader.REASON_CORRUPT, id="truncated-early"),
])
def test_broken_input_is_unreadable(data, reason):
    assert reason_of(data) == reason


def test_pdf_header_after_leading_junk_is_accepted():
    data = b"\r\n" * 100 + pdf_factory.text_pdf([["Påverkan: 5"]])
    assert texts(read_pdf(data)) == ["Påverkan: 5"]


def test_truncated_tail_is_read_or_unreadable():
    data = pdf_factory.template_pdf()
    result = _read_or_reason(data[: len(data) * 3 // 4])
    assert isinstance(result, str) or all(isinstance(block, Block) for block in result)


def test_too_large_is_unreadable_before_parsing():
    data = pdf_factory.template_pdf()
    assert reason_of(data, Limits(max_attachment_bytes=len(data) - 1)) == pdf_reader.REASON_TOO_LARGE
    assert texts(read_pdf(data, Limits(max_attachment_bytes=len(data))))


# --- limits ---------------------------------------------------------------

def test_only_max_pages_pages_are_loaded(thousand_pages, monkeypatch):
    loaded = []
    original = pdfium.PdfDocument.get_page

    def counting_get_page(self, index):
        loaded.append(index)
        return original(self, index)

    monkeypatch.setattr(pdfium.PdfDocument, "get_page", counting_get_page)
    blocks = read_pdf(thousand_pages, Limits(max_pages=4))
    assert texts(blocks) == ["Sida 1", "Sida 2", "Sida 3", "Sida 4"]
    assert loaded == [0, 1, 2, 3]


def test_default_page_limit_on_a_thousand_pages(thousand_pages):
    blocks = read_pdf(thousand_pages)
    assert len(blocks) == Limits().max_pages
    assert blocks[-1].text == f"Sida {Limits().max_pages}"


def test_text_stops_at_max_text_chars():
    data = pdf_factory.text_pdf([["Första raden", "Andra raden"], ["Tredje raden"]])
    # 12 chars, a line break (2), 4 chars: then the budget is spent.
    assert texts(read_pdf(data, Limits(max_text_chars=18))) == ["Första raden", "Andr"]


# --- resources ------------------------------------------------------------

@pytest.mark.parametrize("data, fails", [
    (pdf_factory.template_pdf(), False),
    (pdf_factory.image_only_pdf(), True),
])
def test_document_is_closed(data, fails, monkeypatch):
    closed = []
    original = pdfium.PdfDocument.close

    def recording_close(self):
        closed.append(self)
        return original(self)

    monkeypatch.setattr(pdfium.PdfDocument, "close", recording_close)
    if fails:
        with pytest.raises(UnreadableDocument):
            read_pdf(data)
    else:
        read_pdf(data)
    assert len(closed) == 1


# --- real samples (the project's public samples, tests/samples/public) -------

def _sample_pdf(name: str) -> bytes:
    path = SHARED_SAMPLES / f"{name}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    for part in message.walk():
        if part.get_content_type() == "application/pdf":
            return part.get_content()
    pytest.fail(f"no application/pdf part in {path.name}")


@pytest.mark.parametrize("name, expected", [
    ("s05-hedemora-pdf-outlook", [
        "Underlaget inlämnat av kommun: Hedemora",
        "Skadegörelse i gångtunneln vid idrottsplatsen, bland annat krossade lampor.",
        "Påverkan: 3",
        "Kommentar: Gatuenheten har lagat belysningen.",
        "Kommentar: Fritidsgården har förlängt öppettiderna på fredagar.",
    ]),
    ("s06-leksand-pdf-september", [
        "Fråga 1, Ordningsstörningar och otrygghet:",
        "Några mindre bränder i papperskorgar på torget under helgerna.",
        "Påverkan: 2",
        "Kommentar: Läxhjälp på biblioteket har startat igen.",
    ]),
])
def test_sample_pdf_lines(name, expected):
    lines = texts(read_pdf(_sample_pdf(name)))
    for line in expected:
        assert line in lines
    assert lines.index(expected[0]) < lines.index(expected[1])


# --- any bytes ------------------------------------------------------------

def _read_or_reason(data: bytes) -> list[Block] | str:
    try:
        return read_pdf(data)
    except UnreadableDocument as e:
        assert e.reason
        return e.reason


_VALID = [
    pdf_factory.template_pdf(),
    pdf_factory.template_pdf(compress=False),
    pdf_factory.filled_table_pdf([[("Gult", "FFFF00"), ("Rött", None)]]),
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    original=st.sampled_from(_VALID),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8)),
                   min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_pdf_gives_blocks_or_unreadable(original, edits, cut):
    data = bytearray(original)
    for where, replacement in edits:
        start = int(where * len(data))
        data[start:start + len(replacement)] = replacement
    if cut is not None:
        data = data[: int(cut * len(data))]
    result = _read_or_reason(bytes(data))
    if not isinstance(result, str):
        assert all(isinstance(block, Block) and block.text == block.text.strip() and block.text
                   for block in result)
