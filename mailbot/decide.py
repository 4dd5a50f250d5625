"""Deciding what to do with one parsed mail: pure, no I/O.

Given the parsed record and a few facts looked up beforehand (when it
arrived, the current submission for that municipality and month, how many
automatic replies the sender got lately), return whether it counts as a
submission, which folder the mail goes to, and which mails to queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from parsers.classify import is_noreply_address
from parsers.model import Answer, ParsedMail, Signal
from parsers.questions import BY_NUMBER, QUESTIONS
from parsers.vocabulary import COLOR_RATINGS, LEVEL_NAMES, MONTH_NAMES
from rules.matcher import find_hits
from rules.model import RuleSet, Unit

from .config import Config
from .deadlines import SWEDEN, deadline_for, parse_period

PROCESSED, REVIEW = "processed", "review"
# Automatic answers to one sender in any 24 hours (RFC 3834: no loops). Receipts answer
# reports, which only people send, so they may come more often than replies.
REPLY_LIMIT_PER_DAY = 3
RECEIPT_LIMIT_PER_DAY = 10
REVIEW_CODES = {"unknown_sender", "unknown_municipality", "unknown_period", "unreadable_attachment",
                "unsupported_format", "personal_data", "no_report", "processing_timeout"}


@dataclass(frozen=True)
class Outgoing:
    dedupe_key: str  # one row per key, ever: this is what makes "sent once" hold
    kind: str  # receipt | reply | admin_notice
    recipients: tuple[str, ...]
    subject: str
    template: str  # outbox_templates/<template>.txt.j2 (+ .html.j2 if present)
    context: dict
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    received: datetime  # IMAP INTERNALDATE
    previous_submission_at: str | None = None  # the current submission this one would replace
    replies_last_day: int = 0  # automatic answers of the kind this mail would get (receipt or reply)
    # (rule, question) already forwarded for this municipality and period
    already_forwarded: frozenset[tuple[str, int | None]] = frozenset()
    mail_sha256: str = ""  # of the raw bytes: tells apart mails without a Message-ID


@dataclass(frozen=True)
class Decision:
    counted: bool
    folder: str  # PROCESSED or REVIEW
    on_time: bool | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    forwarded: list[Signal] = field(default_factory=list)  # signals sent on to their units now


def period_label(period: str | None) -> str:
    if not period:
        return "okänd månad"
    year, month = parse_period(period)
    return f"{MONTH_NAMES[month - 1]} {year}"


def rating_label(score: int | None, color: str | None) -> str:
    if score is not None:
        return f"{score} ({LEVEL_NAMES[score]})"
    if color is not None:
        return COLOR_RATINGS[color]
    return "saknas"


def reply_subject(subject: str) -> str:
    clean = " ".join(subject.split())[:150] or "Lägesbild"
    return clean if clean.lower().startswith(("sv:", "re:")) else f"SV: {clean}"


def decide(parsed: ParsedMail, facts: Facts, config: Config, rules: RuleSet | None = None) -> Decision:
    registered = config.directory.by_address(parsed.sender) is not None
    codes = {p.code for p in parsed.problems}
    counted = (parsed.kind == "report" and registered and parsed.municipality is not None
               and parsed.period is not None and bool(parsed.answers))
    on_time = None
    deadline: date | None = None
    if counted and parsed.period is not None:
        deadline = deadline_for(*parse_period(parsed.period), config.deadline)
        on_time = facts.received.astimezone(SWEDEN).date() <= deadline

    if parsed.kind in ("auto_reply",):
        return Decision(False, PROCESSED)
    if parsed.auth_failures and config.hold_failed_authentication:
        # Possibly forged: not counted, no answer to the (claimed) sender, an administrator decides.
        return Decision(False, REVIEW, None, [Outgoing(
            f"admin:auth_failed:{_mail_key(parsed, facts)}", "admin_notice", config.county.admins,
            f"mailbot: mejl från {parsed.sender or 'okänd'} hålls kvar (äkthetskontroll misslyckades)",
            "admin_auth_failed",
            {"sender": parsed.sender, "subject": parsed.subject, "failures": ", ".join(parsed.auth_failures),
             "municipality": parsed.municipality, "period": period_label(parsed.period)})])
    folder = PROCESSED if counted and not (codes & REVIEW_CODES) else REVIEW
    outgoing: list[Outgoing] = []
    thread = _thread(parsed)
    may_reply = _may_auto_reply(parsed, facts, config)

    if parsed.kind == "bounce":
        outgoing.append(Outgoing(
            f"admin:bounce:{_mail_key(parsed, facts)}", "admin_notice", config.county.admins,
            "mailbot: ett mejl kunde inte levereras", "admin_bounce",
            {"subject": parsed.subject, "sender": parsed.sender}))
        return Decision(False, REVIEW, None, outgoing)

    if parsed.kind == "report" and may_reply and parsed.sender:
        questions = []
        by_number = {a.question: a for a in parsed.answers}
        for q in QUESTIONS:
            answer = by_number.get(q.number)
            questions.append({
                "number": q.number, "title": q.title, "found": answer is not None,
                "rating": "–" if not q.rated else rating_label(answer.score, answer.color) if answer else "saknas",
            })
        outgoing.append(Outgoing(
            f"receipt:{_mail_key(parsed, facts)}", "receipt", (parsed.sender,), reply_subject(parsed.subject),
            "receipt",
            {"county": config.county.name, "municipality": parsed.municipality,
             "period": period_label(parsed.period), "counted": counted, "registered": registered,
             "questions": questions if parsed.answers else [],
             "problems": [p.message for p in parsed.problems],
             "on_time": on_time, "deadline": deadline.isoformat() if deadline else None,
             "replaces": facts.previous_submission_at, "source": parsed.source,
             "mailbox": config.county.mailbox},
            *thread))
    elif parsed.kind == "other" and may_reply and parsed.sender:
        outgoing.append(Outgoing(
            f"reply:{_mail_key(parsed, facts)}", "reply", (parsed.sender,), reply_subject(parsed.subject),
            "no_report", {"county": config.county.name, "mailbox": config.county.mailbox}, *thread))

    if parsed.kind == "report" and not registered:
        outgoing.append(Outgoing(
            f"admin:unknown_sender:{_mail_key(parsed, facts)}", "admin_notice", config.county.admins,
            f"mailbot: rapport från okänd avsändare {parsed.sender or ''}".strip(), "admin_unknown_sender",
            {"sender": parsed.sender, "subject": parsed.subject, "municipality": parsed.municipality,
             "period": period_label(parsed.period)}))
    if folder == REVIEW and not outgoing and not _is_own(parsed.sender, config):
        # Nobody can be answered (no usable sender address): the administrators must hear of it.
        outgoing.append(Outgoing(
            f"admin:review:{_mail_key(parsed, facts)}", "admin_notice", config.county.admins,
            "mailbot: ett mejl behöver granskas", "admin_review",
            {"sender": parsed.sender, "subject": parsed.subject, "problems": [p.message for p in parsed.problems],
             "folder": config.folders.review}))
    forwarded: list[Signal] = []
    if counted and rules is not None:
        where = config.folders.processed if folder == PROCESSED else config.folders.review
        forwards, forwarded = _forwards(parsed, facts, rules, config, where)
        outgoing.extend(forwards)
    return Decision(counted, folder, on_time, outgoing, forwarded)


def _forwards(parsed: ParsedMail, facts: Facts, rules: RuleSet, config: Config,
              folder: str) -> tuple[list[Outgoing], list[Signal]]:
    """One mail per unit with the signals not yet forwarded for this municipality and period;
    `folder` is where the report itself goes."""
    new = [s for s in parsed.signals if (s.rule, s.question) not in facts.already_forwarded]
    hits = find_hits(parsed.answers, rules)
    by_question: dict[int | None, Answer] = {a.question: a for a in parsed.answers}
    units: dict[str, list[Signal]] = {}
    known: dict[str, Unit] = {}
    for signal in new:
        found = rules.unit_for(signal.rule)
        if found is not None and found.addresses:
            known[found.key] = found
            units.setdefault(found.key, []).append(signal)
    outgoing = []
    for key, signals in units.items():
        unit = known[key]
        items = []
        for signal in signals:
            answer = by_question.get(signal.question)
            excerpts = [h.highlighted("»", "«") for h in hits
                        if h.rule == signal.rule and h.question == signal.question] or [signal.excerpt]
            items.append({
                "rule": signal.rule, "question": signal.question,
                "title": BY_NUMBER[signal.question].title if signal.question in BY_NUMBER else "",
                "rating": rating_label(answer.score, answer.color) if answer else "saknas",
                "excerpts": excerpts[:3],
            })
        names = ", ".join(dict.fromkeys(s.rule for s in signals))
        outgoing.append(Outgoing(
            f"forward:{_mail_key(parsed, facts)}:{key}", "forward", unit.addresses,
            f"Signal från {parsed.municipality} ({period_label(parsed.period)}): {names}", "forward",
            {"county": config.county.name, "unit": unit.name, "municipality": parsed.municipality,
             "period": period_label(parsed.period), "items": items, "sender": parsed.sender,
             "received": facts.received.astimezone(SWEDEN).strftime("%Y-%m-%d kl. %H:%M"),
             "message_id": parsed.message_id or "", "subject": parsed.subject, "folder": folder}))
    forwarded = [s for unit_signals in units.values() for s in unit_signals]
    return outgoing, forwarded


def _mail_key(parsed: ParsedMail, facts: Facts) -> str:
    if parsed.message_id:
        return parsed.message_id
    if facts.mail_sha256:
        return f"sha256:{facts.mail_sha256}"
    return f"{parsed.sender}|{parsed.subject}|{parsed.sent_at}"


def _thread(parsed: ParsedMail) -> tuple[str | None, tuple[str, ...]]:
    if not parsed.message_id:
        return None, ()
    return parsed.message_id, (parsed.message_id,)


def _is_own(address: str | None, config: Config) -> bool:
    """One of our own addresses or an administrator's: never answered (no loops)."""
    if not address:
        return False
    address = address.lower()
    return address in config.own_addresses or address in {a.lower() for a in config.county.admins}


def _may_auto_reply(parsed: ParsedMail, facts: Facts, config: Config) -> bool:
    """RFC 3834: never answer automatic mail, lists, no-reply addresses or ourselves; limit per sender."""
    sender = parsed.sender
    if not sender or parsed.kind in ("auto_reply", "bounce") or is_noreply_address(sender):
        return False
    if _is_own(sender, config):
        return False
    if parsed.mailing_list:
        return False
    limit = RECEIPT_LIMIT_PER_DAY if parsed.kind == "report" else REPLY_LIMIT_PER_DAY
    return facts.replies_last_day < limit
