"""The county's Excel workbook for one year, built from the store (`mailbot export`).

Layout (the workbook the county keeps by hand today; README, "Commands"):
- one sheet per rated question (1-6): rows are the configured
  municipalities, columns the twelve months grouped by quarter, cells the
  level word of the current submission with its fill colour, blank where
  nothing was received and "–" where a report came without a rating;
- "Svar": every answer of every current submission, with its text;
- "Inlämningar": every submission of the year, superseded ones included.

Every string goes through `_put`, which strips characters Excel refuses
and stores text starting with "=" as text, never as a formula.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from parsers.personal_data import mask
from parsers.questions import QUESTIONS
from parsers.vocabulary import COLOR_NAMES, COLOR_PALETTE, LEVEL_NAMES, LEVEL_PALETTE, MONTH_ABBREVIATIONS

from .config import Config
from .deadlines import SWEDEN, format_period
from .store import Store

NO_RATING = "–"

# level word -> (fill RRGGBB, font RRGGBB)
LEVEL_STYLE = {
    **{LEVEL_NAMES[n]: LEVEL_PALETTE[n] for n in LEVEL_NAMES},
    **{COLOR_NAMES[c]: COLOR_PALETTE[c] for c in COLOR_NAMES},
}

MAX_CELL_CHARS = 32767  # Excel's limit for one cell
INVALID_SHEET_CHARS = str.maketrans({c: "-" for c in "[]:*?/\\"})
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="BFBFBF")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")


def export_year(store: Store, config: Config, year: int, path: Path) -> Path:
    """Write the workbook for `year` to `path` (mode 0600, like the database) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = build_workbook(store, config, year)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open
    with os.fdopen(fd, "wb") as out:
        workbook.save(out)
    return path


def build_workbook(store: Store, config: Config, year: int) -> Workbook:
    names = [m.name for m in config.directory.municipalities]
    submissions = _submissions(store, year, names)
    current = {(s["municipality"], s["period"]): s for s in submissions if s["is_current"]}
    answers = {s["id"]: {a["question"]: a for a in store.answers(s["id"])} for s in current.values()}

    wb = Workbook()
    wb.remove(wb.active)
    for question in QUESTIONS:
        if question.rated:
            _question_sheet(wb, question, year, names, current, answers)
    _answers_sheet(wb, current, answers)
    _submissions_sheet(wb, submissions)
    return wb


def level_word(answer: dict | None) -> str | None:
    """The level word, "Normalt".."Kritiskt" or "Grön"/"Gul"/"Röd"; None without a rating."""
    if answer is None:
        return None
    if answer.get("score") in LEVEL_NAMES:
        return LEVEL_NAMES[answer["score"]]
    return COLOR_NAMES.get(answer.get("color") or "")


def sheet_title(number: int, title: str) -> str:
    """A valid sheet name: no []:*?/\\, at most 31 characters.

    A long title is cut before an "och" ("1 Ordningsstörningar"), else at a word.
    """
    name = f"{number} {title}".translate(INVALID_SHEET_CHARS)
    if len(name) > 31:
        cut = name.rfind(" och ", 0, 31 + len(" och "))
        name = name[:cut] if cut > 0 else name[:32].rsplit(" ", 1)[0]
    return name.rstrip(" ,")[:31]


def _submissions(store: Store, year: int, names: list[str]) -> list[dict]:
    """All submissions of the year, in config order, then period and arrival."""
    rows = store.submissions_of_year(year)
    order = {name: i for i, name in enumerate(names)}
    return sorted(rows, key=lambda r: (order.get(r["municipality"], len(order)), r["municipality"],
                                       r["period"], r["received_at"], r["id"]))


def _question_sheet(wb: Workbook, question, year: int, names: list[str], current: dict, answers: dict) -> None:
    ws = wb.create_sheet(sheet_title(question.number, question.title))
    title = _put(ws, 1, 1, f"Lägesbild {year} – {question.title}")
    title.font = Font(bold=True, size=14)
    for quarter in range(4):
        first = 2 + quarter * 3
        cell = _put(ws, 2, first, f"Kv {quarter + 1}")
        ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + 2)
        cell.font, cell.alignment, cell.fill = BOLD, CENTER, HEADER_FILL
    for col, header in enumerate(("Kommun", *MONTH_ABBREVIATIONS), start=1):
        cell = _put(ws, 3, col, header)
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, GRID
        cell.alignment = CENTER if col > 1 else Alignment()
    for row, name in enumerate(names, start=4):
        _put(ws, row, 1, name).border = GRID
        for month in range(1, 13):
            cell = ws.cell(row, 1 + month)
            cell.border, cell.alignment = GRID, CENTER
            submission = current.get((name, format_period(year, month)))
            if submission is not None:
                word = level_word(answers[submission["id"]].get(question.number))
                _style_level(_put(ws, row, 1 + month, word or NO_RATING), word)
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = max(len(n) for n in names) + 4
    for col in range(2, 14):
        ws.column_dimensions[get_column_letter(col)].width = 11
    ws.page_setup.orientation = "landscape"


def _answers_sheet(wb: Workbook, current: dict, answers: dict) -> None:
    ws = wb.create_sheet("Svar")
    _header(ws, ("Kommun", "Period", "Fråga", "Rubrik", "Bedömning", "Text"), (16, 9, 7, 34, 12, 100))
    titles = {q.number: q.title for q in QUESTIONS}
    row = 2
    for submission in current.values():
        for number, answer in sorted(answers[submission["id"]].items()):
            word = level_word(answer)
            values = (submission["municipality"], submission["period"], number, titles.get(number, ""),
                      word, answer["text"])
            for col, value in enumerate(values, start=1):
                _put(ws, row, col, value).alignment = WRAP
            _style_level(ws.cell(row, 5), word)
            row += 1


def _submissions_sheet(wb: Workbook, submissions: list[dict]) -> None:
    ws = wb.create_sheet("Inlämningar")
    _header(ws, ("Kommun", "Period", "Mottagen", "I tid", "Avsändare", "Gällande"), (16, 9, 17, 7, 36, 9))
    for row, s in enumerate(submissions, start=2):
        on_time = "" if s["on_time"] is None else _yes_no(s["on_time"])
        values = (s["municipality"], s["period"], local_time(s["received_at"]), on_time, s["sender"],
                  _yes_no(s["is_current"]))
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
        ws.cell(row, 3).number_format = "yyyy-mm-dd hh:mm"


def local_time(iso: str) -> datetime:
    """A stored timestamp as naive Swedish local time (Excel has no time zones)."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SWEDEN).replace(tzinfo=None)


def _yes_no(flag) -> str:
    return "Ja" if flag else "Nej"


def _header(ws: Worksheet, headers: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for col, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = _put(ws, 1, col, header)
        cell.font, cell.fill = BOLD, HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"


def _style_level(cell, word: str | None) -> None:
    if word in LEVEL_STYLE:
        fill, font = LEVEL_STYLE[word]
        cell.fill = PatternFill("solid", fgColor=fill)
        cell.font = Font(color=font, bold=font == "FFFFFF")  # the darkest fills


def _put(ws: Worksheet, row: int, col: int, value):
    """Set a cell safely: strings cleaned, identity numbers masked, never a formula; returns the cell."""
    if isinstance(value, str):
        value = mask(ILLEGAL_CHARACTERS_RE.sub("", value))[:MAX_CELL_CHARS]
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # openpyxl would otherwise write it as a formula
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell
