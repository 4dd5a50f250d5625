"""Plain records that the parsers produce. No I/O, no third-party imports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph, line or table cell of a document, in reading order.

    Every reader (docx, PDF, HTML, plain text) turns its input into a list of
    blocks; the report extractor only ever sees blocks.
    """

    text: str
    cell: bool = False  # came from a table cell
    fill: str | None = None  # cell shading as upper-case "RRGGBB", if any


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for reading one mail and its attachments (configurable)."""

    max_attachment_bytes: int = 20 * 1024 * 1024
    max_unpacked_bytes: int = 50 * 1024 * 1024  # docx/odt: sum of unzipped parts
    max_pages: int = 200  # PDF pages read
    max_text_chars: int = 2_000_000
    max_seconds: float = 60.0  # one whole mail; enforced by mailbot's parse worker


class UnreadableDocument(Exception):
    """An attachment could not be read (corrupt, encrypted, image-only, too big).

    `reason` is a short Swedish sentence fit to show the sender.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Answer:
    """One question's answer.

    In a full report `text` is always a string ("" when nothing was written) and
    a rated question without `score`/`color` has a `missing_score` problem.
    In a partial record (a correction, `ParsedReport.partial`) each half says
    whether the sender gave it: `text is None` means "text not given, keep the
    old one"; `score is None and color is None` means "rating not given, keep
    the old one". A merge therefore changes the rating only when one is given
    and the text only when `text is not None`.
    """

    question: int
    score: int | None = None
    color: str | None = None  # "grön", "gul", "röd"
    text: str | None = ""


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str  # Swedish, fit to show the sender
    question: int | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    rule: str
    question: int | None
    excerpt: str


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str | None
    content_type: str
    data: bytes  # decoded; for an oversize part only its first kilobytes (enough to tell what it is)
    oversize: int = 0  # > 0: the part's estimated size, over the limit, so it was not decoded whole


@dataclass(slots=True)
class ParsedReport:
    """One report found in a mail (a mail may hold several: two months attached).

    - `source`: "body", "body#2" (the second template pasted in one body) or
      "attachment:<file name>".
    - `municipality`, `period`: as on ParsedMail, decided for this report
      (its own heading first, then the subject, the mail text, the date sent).
    - `period_source`: where the period came from: "heading" (the document's
      own title lines or file name), "subject", "text" (the mail's own text),
      "sent_date" (the deadline rule's guess), "receipt" (a partial record:
      the month the receipt it answers counted) or None.
    - `answers`, `signals`, `problems`: this report's own (problems include the
      mail-level ones, e.g. `unknown_sender`, `municipality_conflict`).
    - `named_municipality` / `named_period`: set only with a
      `municipality_conflict` / `period_conflict` problem: the other value the
      mail states (the text's municipality when the record keeps the
      registered sender's; the subject's month when the record keeps the
      heading's), so a reviewer can pick either.
    - `partial`: a correction that gives only some questions (see Answer):
      never a full report; missing questions are not problems.
    - `primary`: the report the mail counts as its submission (exactly one per
      mail); the others are extra months read from the same mail.
    """

    source: str | None = None
    municipality: str | None = None
    period: str | None = None
    period_source: str | None = None
    answers: list[Answer] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    partial: bool = False
    primary: bool = True
    named_municipality: str | None = None
    named_period: str | None = None

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "municipality": self.municipality,
            "period": self.period,
            "period_source": self.period_source,
            "named_municipality": self.named_municipality,
            "named_period": self.named_period,
            "partial": self.partial,
            "primary": self.primary,
            "answers": _answers_json(self.answers),
            "signals": _signals_json(self.signals),
            "problems": _problems_json(self.problems),
        }


def _answers_json(answers: list[Answer]) -> list[dict]:
    return [{"question": a.question, "score": a.score, "color": a.color, "text": a.text} for a in answers]


def _signals_json(signals: list[Signal]) -> list[dict]:
    return [{"rule": s.rule, "question": s.question, "excerpt": s.excerpt} for s in signals]


def _problems_json(problems: list[Problem]) -> list[dict]:
    return [{"code": p.code, "question": p.question, "message": p.message} for p in problems]


@dataclass(slots=True)
class ParsedMail:
    """What `mailbot parse` prints for one mail (README, "Commands").

    The top-level municipality/period/source/answers/signals/problems are the
    PRIMARY report's (the one the mail counts), so single-report consumers keep
    working. `reports` lists every report found, primary first (empty when the
    mail holds none); `partial` mirrors the primary's flag. `notes` are Swedish
    sentences for the receipt that are not problems (e.g. which of two months
    counted). `in_reply_to`/`references` are the Message-IDs (with <>) from
    those headers, so a poll can tell a reply to one of its receipts;
    `quotes_receipt` says the quoted or forwarded part is one of our receipts;
    `receipt_period` is the month that quoted receipt said it counted.
    """

    message_id: str | None = None
    sender: str | None = None
    kind: str = "other"  # report | auto_reply | bounce | other
    municipality: str | None = None
    period: str | None = None  # YYYY-MM
    source: str | None = None  # "body" | "attachment:<name>"
    answers: list[Answer] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    subject: str = ""
    sent_at: str | None = None  # ISO 8601 from the Date header, if any
    mailing_list: bool = False  # List-Id / Precedence: bulk: never answered automatically
    # e.g. ["dmarc=fail"], from our receiving server's Authentication-Results
    auth_failures: list[str] = field(default_factory=list)
    delivery_failures: list = field(default_factory=list)  # kind "bounce": parsers.dsn.DeliveryFailure records
    period_source: str | None = None  # see ParsedReport
    named_municipality: str | None = None  # see ParsedReport
    named_period: str | None = None  # see ParsedReport
    partial: bool = False  # the primary report is a correction of some questions only
    reports: list[ParsedReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    quotes_receipt: bool = False
    receipt_period: str | None = None  # YYYY-MM our quoted receipt said it counted, if any
    # The ratings of the receipt table quoted below the new text (text None), never answers:
    # a poll may compare them with the receipt it sent to find a value edited inside the quote.
    quoted_ratings: list[Answer] = field(default_factory=list)

    def to_json(self) -> dict:
        result = {
            "message_id": self.message_id,
            "from": self.sender,
            "kind": self.kind,
            "municipality": self.municipality,
            "period": self.period,
            "source": self.source,
            "answers": _answers_json(self.answers),
            "signals": _signals_json(self.signals),
            "problems": _problems_json(self.problems),
            "subject": self.subject,
            "sent_at": self.sent_at,
            "period_source": self.period_source,
            "named_municipality": self.named_municipality,
            "named_period": self.named_period,
            "partial": self.partial,
            "notes": list(self.notes),
            "in_reply_to": list(self.in_reply_to),
            "references": list(self.references),
            "quotes_receipt": self.quotes_receipt,
            "receipt_period": self.receipt_period,
            "quoted_ratings": _answers_json(self.quoted_ratings),
            **({"delivery_failures": [f.to_json() for f in self.delivery_failures]}
               if self.delivery_failures else {}),
        }
        if len(self.reports) > 1:
            result["reports"] = [r.to_json() for r in self.reports]
        return result
