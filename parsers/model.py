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
    question: int
    score: int | None = None
    color: str | None = None  # "grön", "gul", "röd"
    text: str = ""


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
class ParsedMail:
    """What `mailbot parse` prints for one mail (README, "Commands")."""

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

    def to_json(self) -> dict:
        return {
            "message_id": self.message_id,
            "from": self.sender,
            "kind": self.kind,
            "municipality": self.municipality,
            "period": self.period,
            "source": self.source,
            "answers": [
                {"question": a.question, "score": a.score, "color": a.color, "text": a.text}
                for a in self.answers
            ],
            "signals": [
                {"rule": s.rule, "question": s.question, "excerpt": s.excerpt}
                for s in self.signals
            ],
            "problems": [
                {"code": p.code, "question": p.question, "message": p.message}
                for p in self.problems
            ],
            "subject": self.subject,
            "sent_at": self.sent_at,
            **({"delivery_failures": [f.to_json() for f in self.delivery_failures]}
               if self.delivery_failures else {}),
        }
