"""Deciding what to do with one parsed mail: pure, no I/O.

Given the parsed record and a few facts looked up beforehand (when it
arrived, the current submission for that municipality and month, how many
automatic replies the sender got lately), return whether it counts as a
submission, which folder the mail goes to, and which mails to queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from parsers.classify import is_noreply_address
from parsers.dsn import reason_in_swedish
from parsers.model import Answer, ParsedMail, Problem, Signal
from parsers.questions import BY_NUMBER, QUESTIONS
from parsers.vocabulary import COLOR_RATINGS, LEVEL_NAMES, MONTH_NAMES
from rules.matcher import find_hits
from rules.model import RuleSet, Unit

from .config import Config
from .deadlines import SWEDEN, deadline_for, parse_period

PROCESSED, REVIEW = "processed", "review"
# Automatic answers to one sender (by normalised address) per day (RFC 3834: no
# loops). Receipts answer reports, which coordinators send (and correct), so they
# may come more often than replies to other mail. Over all senders, at most
# `[limits] auto_answers_per_hour` automatic answers go out in any hour: a flood
# of mail cannot turn the county's address into a mail cannon.
REPLY_LIMIT_PER_DAY = 3
RECEIPT_LIMIT_PER_DAY = 10
REVIEW_CODES = {"unknown_sender", "unknown_municipality", "unknown_period", "unreadable_attachment",
                "unsupported_format", "personal_data", "no_report", "processing_timeout", "encrypted"}
# Problems that stop a report from counting at all: it is held for an administrator and nothing
# current is replaced (the sources disagree, the sender is unclear, a correction has nothing to correct).
HOLD_CODES = {"municipality_conflict", "period_conflict", "joint_report", "invalid_sender", "processing_timeout",
              "processing_error", "nothing_to_correct"}
NOTHING_TO_CORRECT = ("Mejlet ser ut som en rättelse av några frågor, men vi har ingen rapport för {what} att "
                      "rätta. Skicka hela rapporten; en handläggare kontrollerar den här så länge.")


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
    replies_last_day: int = 0  # automatic answers of the kind this mail would get (receipt or reply), this sender
    auto_answers_last_hour: int = 0  # receipts and replies to anyone in the last hour
    bounced_mails: tuple[dict, ...] = ()  # for a bounce: our outbox rows it names (message_id, kind, subject)
    # (rule, question) already forwarded for this municipality and period
    already_forwarded: frozenset[tuple[str, int | None]] = frozenset()
    previous_answers: tuple[Answer, ...] = ()  # the current submission's answers (a correction merges into them)
    replaces_period: str | None = None  # the month of the submission this one replaces, when not the current one
    current_missing: str | None = None  # the month now due, when this municipality has not reported it
    accepted: bool = False  # an administrator accepted it from review: the receipt says it counts now
    again: str = ""  # the mail was read again (put back into the inbox): a fresh receipt key
    mail_sha256: str = ""  # of the raw bytes: tells apart mails without a Message-ID


@dataclass(frozen=True)
class Decision:
    counted: bool
    folder: str  # PROCESSED or REVIEW
    on_time: bool | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    forwarded: list[Signal] = field(default_factory=list)  # signals sent on to their units now
    answers: list[Answer] = field(default_factory=list)  # what to store when counted (a correction: merged)
    problems: list[Problem] = field(default_factory=list)  # the record's problems plus any decide() found


def merge_correction(previous: tuple[Answer, ...] | list[Answer], correction: list[Answer]
                     ) -> tuple[list[Answer], set[int]]:
    """The current answers with a correction applied, and the questions it changed.

    A corrected answer changes the rating when it gives one and the text when
    its text is not None; everything else is carried over.
    """
    merged = {a.question: a for a in previous}
    changed = set()
    for fix in correction:
        old = merged.get(fix.question, Answer(fix.question))
        rated = fix.score is not None or fix.color is not None
        new = Answer(fix.question, fix.score if rated else old.score, fix.color if rated else old.color,
                     fix.text if fix.text is not None else old.text)
        if new != old:
            changed.add(fix.question)
        merged[fix.question] = new
    return [merged[n] for n in sorted(merged)], changed


STRANGER_RECEIPT_SUBJECT = "Lägesbild mottagen"


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


def quoted_edit(parsed: ParsedMail) -> bool:
    """A reply whose only content is our receipt quoted back, perhaps with a rating changed in its table."""
    return (parsed.kind == "other" and parsed.quotes_receipt and bool(parsed.quoted_ratings)
            and bool(parsed.receipt_period) and bool(parsed.municipality))


def as_correction(parsed: ParsedMail, previous: tuple[Answer, ...]) -> ParsedMail:
    """The ratings changed inside a quoted receipt, as a correction of the report that receipt counted
    (`parsed` unchanged when it is no such reply or nothing changed)."""
    if not quoted_edit(parsed) or not previous:
        return parsed
    before = {a.question: (a.score, a.color) for a in previous}
    changed = [a for a in parsed.quoted_ratings if (a.score, a.color) != before.get(a.question)]
    if not changed:
        return parsed
    return replace(parsed, kind="report", partial=True, period=parsed.receipt_period, source="body",
                   answers=changed, problems=[p for p in parsed.problems if p.code != "no_report"])


def decide(parsed: ParsedMail, facts: Facts, config: Config, rules: RuleSet | None = None) -> Decision:
    registered = config.directory.by_address(parsed.sender) is not None
    problems = list(parsed.problems)
    answers, changed = list(parsed.answers), set[int]()
    if parsed.kind == "report" and parsed.partial:
        if facts.previous_answers:
            answers, changed = merge_correction(facts.previous_answers, parsed.answers)
        else:
            what = f"{parsed.municipality or 'kommunen'}, {period_label(parsed.period)}"
            problems.append(Problem("nothing_to_correct", NOTHING_TO_CORRECT.format(what=what)))
    codes = {p.code for p in problems}
    counted = (parsed.kind == "report" and registered and parsed.municipality is not None
               and parsed.period is not None and bool(answers) and not codes & HOLD_CODES)
    held = parsed.kind == "report" and registered and bool(codes & HOLD_CODES)
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
    parsed = replace(parsed, answers=answers, problems=problems)  # what the receipt and the forwards show
    outgoing: list[Outgoing] = []
    thread = _thread(parsed)
    may_reply = _may_auto_reply(parsed, facts, config)

    if parsed.kind == "bounce":
        return Decision(False, REVIEW, None, [_bounce_notice(parsed, facts, config, rules)])

    if parsed.kind == "report" and may_reply and parsed.sender and (registered or parsed.answers):
        # An unregistered sender is answered only for a report-shaped mail (someone who
        # plausibly is a coordinator), and the receipt quotes nothing they wrote.
        outgoing.append(_receipt(parsed, facts, config, counted, registered, on_time, deadline, thread,
                                 held=held, changed=changed))
    elif parsed.kind == "other" and may_reply and parsed.sender and registered:
        outgoing.append(Outgoing(
            f"reply:{_mail_key(parsed, facts)}", "reply", (parsed.sender,), reply_subject(parsed.subject),
            "no_report", {"county": config.county.name, "mailbox": config.county.mailbox}, *thread))
    # Everything else held for review (unknown senders, spam, unreadable mail) is listed
    # in the administrators' daily digest (mailbot/digest.py), not announced one by one.
    forwarded: list[Signal] = []
    if counted and rules is not None:
        where = config.folders.processed if folder == PROCESSED else config.folders.review
        forwards, forwarded = _forwards(parsed, facts, rules, config, where)
        outgoing.extend(forwards)
    return Decision(counted, folder, on_time, outgoing, forwarded, answers if counted else [], problems)


OUR_MAILS = {"receipt": "kvitto", "reply": "svar", "reminder": "påminnelse", "forward": "vidarebefordrad signal",
             "summary": "månadssammanställning", "feedback": "återkoppling",
             "admin_notice": "meddelande till administratörer"}


def _bounce_notice(parsed: ParsedMail, facts: Facts, config: Config, rules: RuleSet | None) -> Outgoing:
    """Urgent: which address failed, which of our mails it was, for whom, and why, in Swedish words."""
    ours = {row["message_id"]: row for row in facts.bounced_mails}
    failures = []
    for failure in parsed.delivery_failures:
        row = ours.get(failure.original_message_id)
        municipality = config.directory.by_address(failure.recipient)
        unit = next((u for u in (rules.units if rules else ()) if failure.recipient in
                     (a.lower() for a in u.addresses)), None)
        failures.append({
            "address": failure.recipient or "okänd adress",
            "what": OUR_MAILS.get(row["kind"], row["kind"]) if row else None,
            "subject": row["subject"] if row else None,
            "whom": municipality.name if municipality else unit.name if unit else None,
            "reason": reason_in_swedish(failure.status, failure.diagnostic),
            "permanent": failure.permanent, "server": failure.diagnostic, "status": failure.status,
        })
    first = failures[0] if failures else {"address": "okänd adress"}
    return Outgoing(
        f"admin:bounce:{_mail_key(parsed, facts)}", "admin_notice", config.county.admins,
        f"mailbot: mejl till {first['address']} kom inte fram", "admin_bounce",
        {"failures": failures, "subject": parsed.subject, "sender": parsed.sender})


def _receipt(parsed: ParsedMail, facts: Facts, config: Config, counted: bool, registered: bool,
             on_time: bool | None, deadline: date | None, thread, *, held: bool = False,
             changed: set[int] | frozenset[int] = frozenset()) -> Outgoing:
    assert parsed.sender is not None  # decide() answers only mail with a sender
    questions = []
    by_number = {a.question: a for a in parsed.answers}
    for q in QUESTIONS:
        answer = by_number.get(q.number)
        questions.append({
            "number": q.number, "title": q.title, "found": answer is not None, "changed": q.number in changed,
            "rating": "–" if not q.rated else rating_label(answer.score, answer.color) if answer else "saknas",
        })
    if registered:
        subject, problems = reply_subject(parsed.subject), [p.message for p in parsed.problems]
    else:  # nothing the sender wrote goes back out from the county's address
        subject, problems = STRANGER_RECEIPT_SUBJECT, []
    return Outgoing(
        f"receipt:{_mail_key(parsed, facts)}{':accepted' if facts.accepted else ''}{facts.again}", "receipt",
        (parsed.sender,), subject, "receipt",
        {"county": config.county.name, "municipality": parsed.municipality if registered else None,
         "period": period_label(parsed.period), "counted": counted, "registered": registered,
         "questions": questions if parsed.answers else [], "problems": problems,
         "on_time": on_time, "deadline": deadline.isoformat() if deadline else None,
         "replaces": facts.previous_submission_at, "source": parsed.source if registered else None,
         "mailbox": config.county.mailbox, "held": held, "correction": bool(changed) or parsed.partial,
         "accepted": facts.accepted,
         "replaces_period": period_label(facts.replaces_period) if facts.replaces_period else None,
         "current_missing": period_label(facts.current_missing) if facts.current_missing else None,
         "notes": list(parsed.notes) if registered else []},
        *thread)


def _forwards(parsed: ParsedMail, facts: Facts, rules: RuleSet, config: Config,
              folder: str) -> tuple[list[Outgoing], list[Signal]]:
    """One mail per unit with the signals not yet forwarded for this municipality and period;
    `folder` is where the report itself goes.

    Per question: the rules that fired (by their display names) and each sentence once,
    with every word that made any of them fire marked.
    """
    new = [s for s in parsed.signals if (s.rule, s.question) not in facts.already_forwarded]
    units: dict[str, list[Signal]] = {}
    known: dict[str, Unit] = {}
    for signal in new:
        found = rules.unit_for(signal.rule)
        if found is not None and found.addresses:
            known[found.key] = found
            units.setdefault(found.key, []).append(signal)
    if not units:
        return [], []
    hits = find_hits(parsed.answers, rules)
    by_question: dict[int | None, Answer] = {a.question: a for a in parsed.answers}
    outgoing = []
    for key, signals in units.items():
        unit = known[key]
        items = []
        titles: dict[str, None] = {}  # the rules' display names, in order, once
        for question in dict.fromkeys(s.question for s in signals):
            fired = [s for s in signals if s.question == question]
            names = {s.rule for s in fired}
            answer = by_question.get(question)
            shown = [rule.display for s in fired if (rule := rules.rule(s.rule)) is not None]
            titles.update(dict.fromkeys(shown))
            items.append({
                "question": question,
                "title": BY_NUMBER[question].title if question in BY_NUMBER else "",
                "rating": rating_label(answer.score, answer.color) if answer else "saknas",
                "rules": shown,
                "excerpts": _sentences([h for h in hits if h.rule in names and h.question == question])
                or list(dict.fromkeys(s.excerpt for s in fired)),
            })
        outgoing.append(Outgoing(
            f"forward:{_mail_key(parsed, facts)}:{key}", "forward", unit.addresses,
            f"Signal från {parsed.municipality} ({period_label(parsed.period)}): {', '.join(titles)}", "forward",
            {"county": config.county.name, "unit": unit.name, "municipality": parsed.municipality,
             "period": period_label(parsed.period), "items": items, "sender": parsed.sender,
             "received": facts.received.astimezone(SWEDEN).strftime("%Y-%m-%d kl. %H:%M"),
             "message_id": parsed.message_id or "", "subject": parsed.subject, "folder": folder}))
    forwarded = [s for unit_signals in units.values() for s in unit_signals]
    return outgoing, forwarded


MAX_EXCERPTS = 5


def _sentences(hits) -> list[str]:
    """Each sentence once, with the words of every hit in it marked » «."""
    marks: dict[str, set[tuple[int, int]]] = {}
    for hit in hits:
        marks.setdefault(hit.excerpt, set()).update(hit.marks)
    out = []
    for excerpt, spans in list(marks.items())[:MAX_EXCERPTS]:
        text, pos = [], 0
        for start, end in sorted(spans):
            if start < pos:  # overlapping marks: extend the open one
                continue
            text += [excerpt[pos:start], "»", excerpt[start:end], "«"]
            pos = end
        out.append("".join(text) + excerpt[pos:])
    return out


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
    if facts.auto_answers_last_hour >= config.auto_answers_per_hour:
        return False
    limit = RECEIPT_LIMIT_PER_DAY if parsed.kind == "report" else REPLY_LIMIT_PER_DAY
    return facts.replies_last_day < limit


def address_key(address: str) -> str:
    """The address as the reply limits count it: lower case, quotes and a +tag removed.

    '"Victim"@Gmail.com' and 'victim+1@gmail.com' are the same mailbox as victim@gmail.com.
    """
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.strip('"').split("+", 1)[0]
    return f"{local}@{domain}"
