"""The monthly county summary, and the feedback to each municipality that reported.

`build_summary` reads the store once into plain data (who reported, the
county picture per question, trends, forwarded signals, positive actions);
`summary_mails` turns it into the mails, `heatmap_png` draws the picture
shown inline in the summary, and `render_text` gives the summary as text
for `mailbot summary` without sending anything.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from dataclasses import dataclass
from datetime import date

from parsers.personal_data import find_personal_numbers
from parsers.questions import BY_NUMBER, QUESTIONS
from parsers.vocabulary import (
    COLOR_NAMES,
    COLOR_PALETTE,
    LEVEL_NAMES,
    LEVEL_PALETTE,
    MISSING_FILL,
    MONTH_ABBREVIATIONS,
    listing,
)
from rules.loader import load_rules, rules_from_texts
from rules.model import RulesError

from .compose import InlineImage, render
from .config import Config
from .deadlines import format_period, parse_period, previous_month
from .decide import Outgoing, period_label, rating_label
from .status import period_status
from .store import Store

logger = logging.getLogger(__name__)

RATED = tuple(q.number for q in QUESTIONS if q.rated)  # questions 1-6
TREND_MONTHS = 6  # months in a municipality's trend, the summary's month included
WORSENED_BY = 2  # levels up since last month that put a question on the watch list
RISING_MONTHS = 3  # consecutive monthly rises (four reports in a row) that do the same
MAX_POSITIVES = 5
QUOTE_CHARS = 220
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

# For trends only, the traffic light is placed on the 1-5 scale: grön = 1 (handled
# by ordinary routines, like Normalt), gul = 3 (Oroande), röd = 5 (Kritiskt).
# The county picture counts the two scales apart and never mixes them.
COLOR_LEVEL = {"grön": 1, "gul": 3, "röd": 5}
_NOTHING = re.compile(
    r"^(?:-+|–|inget?a?|nej|ingenting|inget (?:nytt|att (?:rapportera|notera))|se ovan|ej aktuellt)\.?$")


@dataclass(frozen=True)
class Mark:
    """One rating: a score 1-5 or a traffic-light colour."""

    score: int | None = None
    color: str | None = None

    @property
    def level(self) -> int:
        """The level for trends (colours mapped, see COLOR_LEVEL)."""
        return self.score if self.score is not None else COLOR_LEVEL[self.light]

    @property
    def light(self) -> str:
        """The traffic-light colour of a mark without a score."""
        if self.color is None:
            raise ValueError(f"{self!r} has neither a score nor a colour")
        return self.color

    @property
    def label(self) -> str:
        return rating_label(self.score, self.color)

    @property
    def short(self) -> str:
        return str(self.score) if self.score is not None else COLOR_NAMES[self.light]


@dataclass(frozen=True)
class MunicipalityRow:
    name: str
    status: str  # on_time | late | missing | pending, as status.period_status says
    received: str | None
    sender: str | None  # who sent the current submission for the period
    trend: tuple[tuple[Mark | None, ...] | None, ...]  # per Summary.trend_periods; None: no report that month

    @property
    def reported(self) -> bool:
        return self.trend[-1] is not None

    @property
    def marks(self) -> tuple[Mark | None, ...]:
        """Questions 1-6 for the summary's month."""
        return self.trend[-1] or (None,) * len(RATED)


@dataclass(frozen=True)
class QuestionPicture:
    number: int
    title: str
    levels: tuple[int, ...]  # municipalities at 1 Normalt .. 5 Kritiskt
    colors: tuple[int, ...]  # municipalities at Grön, Gul, Röd
    unrated: int  # reported, but gave this question no rating

    @property
    def level_counts(self) -> tuple[tuple[str, int], ...]:
        return tuple((LEVEL_NAMES[i + 1], n) for i, n in enumerate(self.levels))

    @property
    def color_counts(self) -> tuple[tuple[str, int], ...]:
        return tuple(zip(COLOR_NAMES.values(), self.colors, strict=True))

    def text(self) -> str:
        """'Normalt 4, Avvikande 2, ...; Grön 1, Gul 0, Röd 0; ej bedömd 1'."""
        parts = [", ".join(f"{name} {n}" for name, n in self.level_counts)]
        if any(self.colors):
            parts.append(", ".join(f"{name} {n}" for name, n in self.color_counts))
        if self.unrated:
            parts.append(f"ej bedömd {self.unrated}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Watch:
    """A municipality's question whose rating went up: the months compared, oldest first."""

    municipality: str
    question: int
    periods: tuple[str, ...]
    marks: tuple[Mark, ...]

    @property
    def title(self) -> str:
        return BY_NUMBER[self.question].title

    @property
    def change(self) -> str:
        return " → ".join(m.label for m in self.marks)

    @property
    def months(self) -> str:
        return f"{period_label(self.periods[0])} – {period_label(self.periods[-1])}"


@dataclass(frozen=True)
class UnitSignals:
    unit: str  # the unit's key in rules/units.toml
    name: str
    count: int
    municipalities: tuple[str, ...]


@dataclass(frozen=True)
class Positive:
    municipality: str
    quote: str


@dataclass(frozen=True)
class Summary:
    county: str
    mailbox: str
    period: str  # YYYY-MM
    label: str  # "mars 2026"
    deadline: str  # ISO date
    trend_periods: tuple[str, ...]  # oldest first, ending with `period`
    rows: tuple[MunicipalityRow, ...]  # every configured municipality, in directory order
    questions: tuple[QuestionPicture, ...]  # questions 1-6
    worsened: tuple[Watch, ...]  # up WORSENED_BY+ levels since last month
    rising: tuple[Watch, ...]  # up RISING_MONTHS months in a row
    signals: tuple[UnitSignals, ...]  # forwarded for the period, most first
    positives: tuple[Positive, ...]  # at most MAX_POSITIVES quotes from question 7
    # Reports for the previous month that arrived after its summary went out: (municipality, "ny"/"rättad")
    after_last: tuple[tuple[str, str], ...] = ()
    after_last_label: str = ""

    def names(self, status: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows if r.status == status)

    @property
    def on_time(self) -> tuple[str, ...]:
        return self.names("on_time")

    @property
    def late(self) -> tuple[str, ...]:
        return self.names("late")

    @property
    def missing(self) -> tuple[str, ...]:
        return self.names("missing")

    @property
    def pending(self) -> tuple[str, ...]:
        return self.names("pending")

    @property
    def reported(self) -> tuple[MunicipalityRow, ...]:
        return tuple(r for r in self.rows if r.reported)

    def watches_for(self, municipality: str) -> tuple[Watch, ...]:
        """The municipality's watched questions, each once (a worsening before a rise)."""
        found: dict[int, Watch] = {}
        for w in (*self.worsened, *self.rising):
            if w.municipality == municipality:
                found.setdefault(w.question, w)
        return tuple(sorted(found.values(), key=lambda w: w.question))


# -- building -----------------------------------------------------------------


def build_summary(store: Store, config: Config, period: str, today: date) -> Summary:
    """Everything the summary and feedback mails show for `period`, as of `today`."""
    status = period_status(store, config, period, today)
    periods = _window(period, TREND_MONTHS)
    previous = format_period(*previous_month(*parse_period(period)))
    marks = _marks(store, periods)
    senders = store.current_senders(period)
    rows = tuple(
        MunicipalityRow(r["name"], r["status"], r["received"], senders.get(r["name"]),
                        tuple(marks.get((r["name"], p)) for p in periods))
        for r in status["municipalities"])
    return Summary(
        county=config.county.name, mailbox=config.county.mailbox, period=period, label=period_label(period),
        deadline=status["deadline"], trend_periods=periods, rows=rows,
        questions=tuple(_picture(number, rows) for number in RATED),
        worsened=tuple(_watches(rows, periods, 1, lambda a, b: b - a >= WORSENED_BY)),
        rising=tuple(_watches(rows, periods, RISING_MONTHS, lambda a, b: b > a)),
        signals=_signals(store, config, period),
        positives=_positives(store, period, [r.name for r in rows]),
        after_last=_after_last_summary(store, previous),
        after_last_label=period_label(previous),
    )


def _after_last_summary(store: Store, period: str) -> tuple[tuple[str, str], ...]:
    """Reports for `period` that reached us after its summary was queued (each municipality once)."""
    sent = store.outbox_row(f"summary:{period}")
    if sent is None:
        return ()
    found: dict[str, str] = {}
    for row in store.arrived_after(period, sent["created_at"]):
        found.setdefault(row["municipality"], "rättad" if row["had_earlier"] else "ny")
    return tuple(found.items())


def _window(period: str, months: int) -> tuple[str, ...]:
    year, month = parse_period(period)
    out = [format_period(year, month)]
    for _ in range(months - 1):
        year, month = previous_month(year, month)
        out.append(format_period(year, month))
    return tuple(reversed(out))


def _marks(store: Store, periods: tuple[str, ...]) -> dict[tuple[str, str], tuple[Mark | None, ...]]:
    """(municipality, period) -> ratings for questions 1-6 of the current submission."""
    rows = store.current_ratings(periods)
    found: dict[tuple[str, str], dict[int, Mark]] = {}
    for municipality, period, question, score, color in rows:
        ratings = found.setdefault((municipality, period), {})
        if question in RATED and (score is not None or color in COLOR_LEVEL):
            ratings[question] = Mark(score, None) if score is not None else Mark(None, color)
    return {key: tuple(ratings.get(q) for q in RATED) for key, ratings in found.items()}


def _picture(number: int, rows: tuple[MunicipalityRow, ...]) -> QuestionPicture:
    levels, colors, unrated = [0] * 5, [0, 0, 0], 0
    for row in rows:
        if not row.reported:
            continue
        mark = row.marks[RATED.index(number)]
        if mark is None:
            unrated += 1
        elif mark.score is not None:
            levels[mark.score - 1] += 1
        else:
            colors[list(COLOR_NAMES).index(mark.light)] += 1
    return QuestionPicture(number, BY_NUMBER[number].title, tuple(levels), tuple(colors), unrated)


def _watches(rows, periods, steps: int, rose) -> list[Watch]:
    """Questions whose last `steps` month-to-month changes all satisfy `rose(before, after)`."""
    out = []
    for row in rows:
        if not row.reported or len(periods) < steps + 1:
            continue
        for i, number in enumerate(RATED):
            months = row.trend[-(steps + 1):]
            marks = [mark for m in months if m is not None and (mark := m[i]) is not None]
            if len(marks) < len(months):
                continue
            if all(rose(a.level, b.level) for a, b in itertools.pairwise(marks)):
                out.append(Watch(row.name, number, periods[-(steps + 1):], tuple(marks)))
    return out


def _unit_names(store: Store, config: Config) -> dict[str, str]:
    try:
        rules = load_rules(config.rules_dir)
    except (RulesError, OSError):
        snapshot = store.rules_snapshot()
        try:
            rules = rules_from_texts(snapshot) if snapshot else load_rules(None)
        except RulesError:
            return {}
    return {u.key: u.name for u in rules.units}


def _signals(store: Store, config: Config, period: str) -> tuple[UnitSignals, ...]:
    rows = store.forwarded_signal_counts(period)
    if not rows:
        return ()
    names = _unit_names(store, config)
    units: dict[str | None, list] = {}
    for unit, municipality, count in rows:
        units.setdefault(unit, []).append((municipality, count))
    out = [UnitSignals(key or "", names.get(key or "", key or "okänd enhet"), sum(n for _, n in items),
                       tuple(m for m, _ in items)) for key, items in units.items()]
    return tuple(sorted(out, key=lambda u: (-u.count, u.name)))


def _positives(store: Store, period: str, order: list[str]) -> tuple[Positive, ...]:
    """Up to MAX_POSITIVES quotes from question 7, one per municipality.

    When more municipalities wrote something, the choice rotates with the
    month, so that over a year different municipalities are quoted.
    """
    texts = store.current_answer_texts(period, 7)
    candidates = [(m, q) for m in order if (q := quote(texts.get(m) or ""))]
    if len(candidates) > MAX_POSITIVES:
        start = parse_period(period)[1] * MAX_POSITIVES % len(candidates)
        chosen = {m for m, _ in (candidates[start:] + candidates[:start])[:MAX_POSITIVES]}
        candidates = [c for c in candidates if c[0] in chosen]
    return tuple(Positive(m, q) for m, q in candidates)


def quote(text: str) -> str | None:
    """A short quote from an answer: its first sentences up to QUOTE_CHARS; None for 'inget' and the like."""
    text = " ".join(re.sub(r"(?m)^\s*[-•*▪◦·]\s*", "", text).split())
    if len(text) < 12 or _NOTHING.match(text.lower()) or find_personal_numbers(text):
        return None
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text[:QUOTE_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= 60:
        return cut[:end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + " …"


# -- the picture --------------------------------------------------------------

def _style(mark: Mark | None) -> tuple[str, str]:
    """(fill, text) colours of a heatmap cell, "#rrggbb"."""
    if mark is None:
        fill, text = MISSING_FILL, "000000"
    elif mark.score is not None:
        fill, text = LEVEL_PALETTE[mark.score]
    else:
        fill, text = COLOR_PALETTE[mark.light]
    return f"#{fill}", f"#{text}"


def _column_label(number: int) -> str:
    """ "1 Ordning/\notrygghet", "2 Hot och\nvåld": the question's short title on two lines."""
    short = BY_NUMBER[number].short
    two_lines = short.replace("/", "/\n", 1) if "/" in short else "\n".join(short.rsplit(" ", 1))
    return f"{number} {two_lines}"


STATUS_NOTE = {"late": " (sen)", "missing": " (saknas)", "pending": " (väntar)", "on_time": ""}


def heatmap_png(summary: Summary) -> bytes:
    """Municipalities × questions 1-6 for the period, coloured by level, grey where missing."""
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure  # no pyplot: no global state, no display
    from matplotlib.patches import Patch

    rows = summary.rows
    grid = [[to_rgb(_style(m)[0]) for m in row.marks] for row in rows]
    fig = Figure(figsize=(9, 2.6 + 0.36 * len(rows)), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.imshow(grid, aspect="auto", interpolation="nearest")
    for y, row in enumerate(rows):
        for x, mark in enumerate(row.marks):
            ax.text(x, y, mark.short if mark else "–", ha="center", va="center", fontsize=9,
                    color=_style(mark)[1])
    ax.set_xticks(range(len(RATED)), [_column_label(q) for q in RATED], fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)), [r.name + STATUS_NOTE.get(r.status, "") for r in rows], fontsize=9)
    ax.set_xticks([x - 0.5 for x in range(1, len(RATED))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(rows))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="both", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"Lägesbild {summary.label}: påverkan per kommun och fråga", fontsize=11, pad=12)
    levels = [Patch(facecolor=f"#{LEVEL_PALETTE[n][0]}", label=f"{n} {LEVEL_NAMES[n]}") for n in LEVEL_NAMES]
    others = [Patch(facecolor=f"#{COLOR_PALETTE[c][0]}", label=COLOR_NAMES[c]) for c in COLOR_NAMES]
    others.append(Patch(facecolor=f"#{MISSING_FILL}", label="Saknas / ej bedömd"))
    # the legend fills column by column: interleave so the first row holds the levels, the second the rest
    legend = [p for pair in itertools.zip_longest(levels, others) for p in pair if p is not None]
    fig.legend(handles=legend, loc="outside lower center", ncol=len(levels), fontsize=8, frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# -- the mails ----------------------------------------------------------------


def _context(summary: Summary, heatmap_cid: str | None, workbook: str | None) -> dict:
    return {"s": summary, "heatmap_cid": heatmap_cid, "workbook": workbook,
            "color_scale": listing(f"{color} = {level}" for color, level in COLOR_LEVEL.items()),
            "level_names": [LEVEL_NAMES[n] for n in LEVEL_NAMES], "color_names": list(COLOR_NAMES.values())}


def render_text(summary: Summary) -> str:
    """The summary as plain text (what `mailbot summary` prints without sending)."""
    return render("summary", _context(summary, None, None))[0]


def summary_mails(summary: Summary, config: Config, workbook: bytes | None = None) -> list[tuple[Outgoing, list]]:
    """The summary to leadership and administrators, and one feedback mail per municipality that reported.

    Each entry is (Outgoing, attachments) for `compose.build_message`; the
    summary's heatmap travels among the attachments as an `InlineImage`.
    """
    out: list[tuple[Outgoing, list]] = []
    recipients = tuple(dict.fromkeys((*config.county.leadership, *config.county.admins)))
    if recipients:
        domain = summary.mailbox.rsplit("@", 1)[-1] or "mailbot.invalid"
        cid = f"lagesbild-{summary.period}@{domain}"
        year = parse_period(summary.period)[0]
        filename = f"Lägesbild {year}.xlsx" if workbook is not None else None
        attachments: list = [InlineImage(cid, heatmap_png(summary), filename=f"lagesbild-{summary.period}.png")]
        if workbook is not None:
            attachments.append((filename, workbook, *XLSX))
        out.append((Outgoing(
            f"summary:{summary.period}", "summary", recipients,
            f"Lägesbild {summary.label}: länets sammanställning", "summary",
            _context(summary, cid, filename)), attachments))
    for row in summary.reported:
        if not row.sender:
            logger.info("feedback %s %s: no sender address, not sent", summary.period, row.name)
            continue
        out.append((Outgoing(
            f"feedback:{summary.period}:{row.name}", "feedback", (row.sender,),
            f"Återkoppling: länets lägesbild för {summary.label}", "feedback",
            _feedback_context(summary, row)), []))
    return out


def _feedback_context(summary: Summary, row: MunicipalityRow) -> dict:
    first = next(i for i, marks in enumerate(row.trend) if marks is not None)
    periods = summary.trend_periods[first:]
    months = [MONTH_ABBREVIATIONS[parse_period(p)[1] - 1] for p in periods]
    questions = []
    for i, picture in enumerate(summary.questions):
        trend = [(m.short if marks and (m := marks[i]) else "–") for marks in row.trend[first:]]
        mark = row.marks[i]
        questions.append({"number": picture.number, "title": picture.title,
                          "own": mark.label if mark else "ej bedömd", "county": picture, "trend": trend})
    quoted = next((p.quote for p in summary.positives if p.municipality == row.name), None)
    return {"s": summary, "municipality": row.name, "row": row, "questions": questions, "months": months,
            "trend_from": period_label(periods[0]), "watches": summary.watches_for(row.name),
            "quoted": quoted, "reported_count": len(summary.reported), "total": len(summary.rows)}
