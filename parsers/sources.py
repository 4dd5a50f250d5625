"""Where a report's municipality and month come from, and which report of a mail counts.

Precedence (issue "Trust the record"): the document's own heading (or file
name) outranks the subject, which outranks the mail's own text, which
outranks the date sent. A reply's subject ("SV: Lägesbild september") names
last month's thread and is never a source. Sources that disagree are
problems (`period_conflict`, `municipality_conflict`, `joint_report`), never
silently resolved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .context import ParseContext
from .directory import fold
from .extract import CLOSING
from .model import ParsedMail, ParsedReport, Problem
from .period import (
    MONTHS,
    find_heading_month,
    find_month,
    find_named_month,
    find_week_period,
    month_label,
    resolve_year,
)
from .questions import match_heading

FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:sv|re|aw)\s*:\s*)*(?:vb|fw|fwd|vs|wg)\s*:", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:vb|fw|fwd|wg)\s*:\s*", re.IGNORECASE)
_OUR_REMINDER = re.compile(r"^\s*påminnelse\s*:\s*lägesbild", re.IGNORECASE)  # mailbot/reminders.py's subject
_REPLY_SUBJECT = re.compile(r"^\s*(?:(?:sv|re|aw|vs|antw|odp)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass
class MailFacts:
    """What every report in one mail shares."""

    result: ParsedMail
    registered: tuple
    sent_day: date | None
    own_text: str

    @property
    def is_reply(self) -> bool:
        r = self.result
        return bool(r.in_reply_to or r.references or r.quotes_receipt
                    or (_REPLY_SUBJECT.match(r.subject) and not FORWARD_SUBJECT.match(r.subject)))

    @property
    def subject_for_period(self) -> str:
        """The subject, unless it is a reply's: "SV: Lägesbild september" names last month's thread.

        A forward's subject ("VB: Lägesbild oktober") counts: it is the forwarded mail's own; so does
        a reply to our reminder ("SV: Påminnelse: lägesbild för oktober 2026 senast 2026-11-07")."""
        subject = self.result.subject
        for _ in range(5):  # "VB: Fwd: Lägesbild oktober": the forwarded report's own subject names its month
            if not (forward := _FORWARD_PREFIX.match(subject)):
                break
            subject = subject[forward.end():]
        if (reply := _REPLY_SUBJECT.match(subject)) and _OUR_REMINDER.match(subject[reply.end():]):
            return subject[reply.end():]  # "SV: Påminnelse: lägesbild för oktober 2026": the month asked for
        return "" if _REPLY_SUBJECT.match(subject) or FORWARD_SUBJECT.match(subject) else subject


_MONTH_WORD = re.compile(r"(?<![a-z])(" + "|".join(MONTHS) + r")")
_NOT_THIS = re.compile(r"misstag|av fel|fel fil|felaktig|ignorera|bortse|gammal|gamla|forra manadens|forra rapporten"
                       r"|ska inte|skall inte|inte raknas|redan skickat|redan inskickad")
_THIS = re.compile(r"\bgaller\b|\bratt\b|aktuell|ska raknas|skall raknas|den nya|denna manad|den har manaden")


def choose_primary(reports: list[ParsedReport], mail: MailFacts) -> ParsedReport:
    """The report the mail counts: the one its text says counts, else the subject's month, else the latest;
    among equals, one for the sender's own municipality."""
    chosen: set[str] = set()
    rejected: set[str] = set()
    for clause in re.split(r"[.!?;,\n]|\bmen\b", fold(mail.own_text)[:5000]):
        found = _MONTH_WORD.search(clause)
        if not found:
            continue
        for r in reports:
            if r.period and int(r.period[5:]) == MONTHS[found.group(1)]:
                (rejected if _NOT_THIS.search(clause) else chosen if _THIS.search(clause) else set()).add(r.period)
    for r in reports:
        if r.period in chosen and r.period not in rejected:
            return r
    remaining = [r for r in reports if r.period not in rejected] or reports
    remaining.sort(key=lambda r: any(p.code == "municipality_conflict" for p in r.problems))  # stable
    subject = find_named_month(mail.subject_for_period) if mail.subject_for_period else None
    for r in remaining:
        if subject and r.period and int(r.period[5:]) == subject[0]:
            return r
    return max(remaining, key=lambda r: (r.period or "",
                                         not any(p.code == "municipality_conflict" for p in r.problems)))


_SUBMISSION_WORDS = re.compile(r"lagesbild|lagesrapport|rapport|sociala risker|underlag|redovisning")


def looks_like_submission(mail: MailFacts, names: list[str | None]) -> bool:
    """An unreadable attachment is a report only in a mail that reads like one."""
    texts = [mail.result.subject, mail.own_text[:3000], *(n or "" for n in names)]
    if any(_SUBMISSION_WORDS.search(fold(t)) for t in texts):
        return True
    return bool(mail.registered) and any(find_month(t, abbreviations=False) for t in texts[:1] + texts[2:])


_TITLE_WORDS = re.compile(r"lagesbild|lagesrapport|mall for|sociala risker|manad|rapport|period|avser|galler|kommun")


_PERIOD_WORDS = re.compile(r"lagesbild|lagesrapport|mall for|sociala risker|manad|rapport|period|avser|galler"
                           r"|redovisning|underlag")
_MONTH_ALONE = re.compile(r"^[\W\d]*(?:" + "|".join(MONTHS) + r")[\W\d]*$")


def heading_month(lines: list[str]) -> tuple[int, int | None] | None:
    """The month a document's title names: only title lines ("Lägesbild oktober", "Sociala
    risker, oktober månad", "Oktober 2026"), never prose ("Nästa möte i december")."""
    return find_heading_month([line for line in title_lines(lines)
                               if _PERIOD_WORDS.search(fold(line)) or _MONTH_ALONE.match(fold(line))])


def title_lines(lines: list[str]) -> list[str]:
    """The lines of a preamble that read like a title, not prose."""
    return [line for line in lines
            if len(line) <= 40 or (len(line) <= 100 and _TITLE_WORDS.search(fold(line)))]


def letter_month(text: str) -> tuple[int, int | None] | None:
    """The month the mail's own words name ("här kommer oktobers lägesbild"), read up to the
    report's first question or the sign-off: never an answer's "julmarknad i december", a
    signature's "Trygghetsdagen 12 november", or a date."""
    kept = []
    for line in text[:20_000].splitlines():
        folded = fold(line.strip())
        if CLOSING.match(folded) or ((h := match_heading(line)) is not None and (h.explicit or h.titled)):
            break
        kept.append(line)
    return find_heading_month(kept)


def set_municipality(report: ParsedReport, mail: MailFacts, ctx: ParseContext,
                      title_text: str, heading_lines: Sequence[str] = (), is_report: bool = True) -> None:
    """The registered sender's municipality, checked against what the report and subject state.

    An address registered for several municipalities: the text decides. A
    registered sender whose report or subject names another municipality:
    `municipality_conflict`; the record keeps the registered municipality (so
    nothing is counted for a municipality the sender does not represent) and
    `named_municipality` holds the stated one. A report naming two municipalities: `joint_report`.
    """
    directory = ctx.directory
    result = mail.result
    registered = mail.registered
    subject = result.subject
    titles = title_lines(list(heading_lines))
    stated = None
    for text in ("\n".join(titles), subject):
        if text and (stated := directory.find_in_text(text)):
            break
    joint = directory.joint_in_text("\n".join([subject, *titles[:4]]))
    if joint:
        names = " och ".join(m.name for m in joint)
        report.problems.append(Problem(
            "joint_report",
            f"Rapporten gäller flera kommuner ({names}). Varje kommun räknas för sig, så en gemensam "
            "lägesbild kan inte räknas automatiskt för en enda kommun. Skicka gärna en rapport per kommun; "
            "en handläggare tittar på den här."))
    if len(registered) == 1:
        report.municipality = registered[0].name
        if stated is not None and stated != registered[0] and not joint:
            report.named_municipality = stated.name
            report.problems.append(Problem(
                "municipality_conflict",
                f"Rapporten anger kommunen {stated.name}, men avsändaradressen är registrerad för "
                f"{registered[0].name}. Den räknas inte förrän en handläggare har kontrollerat vilken "
                "kommun den gäller."))
        return
    if len(registered) > 1:
        named = stated or (directory.find_in_text(title_text) if title_text else None) or (
            directory.find_in_text(mail.own_text) if mail.own_text else None)
        names = ", ".join(m.name for m in registered)
        if named is not None and named in registered:
            report.municipality = named.name
        elif named is not None:
            report.named_municipality = named.name
            report.problems.append(Problem(
                "municipality_conflict",
                f"Rapporten anger kommunen {named.name}, men avsändaradressen är registrerad för "
                f"{names}. Den räknas inte förrän en handläggare har kontrollerat vilken kommun den gäller."))
        elif is_report:
            report.problems.append(Problem(
                "unknown_municipality",
                f"Avsändaradressen är registrerad för flera kommuner ({names}). Skriv vilken kommun "
                "rapporten gäller (\"Underlaget inlämnat av kommun: ...\") eller ange den i ämnesraden."))
        return
    if result.sender and result.sender in ctx.own_addresses:
        return
    named = None
    for text in [title_text, subject, mail.own_text]:
        if text and (named := directory.find_in_text(text)):
            break
    report.municipality = named.name if named else None
    report.problems.append(Problem(
        "unknown_sender",
        f"Avsändaren {result.sender or '(okänd)'} finns inte i listan över kommunernas adresser, "
        "så rapporten kan inte räknas automatiskt. En handläggare kontrollerar den.",))
    if named is None and is_report:
        report.problems.append(Problem(
            "unknown_municipality",
            "Vi kunde inte avgöra vilken kommun rapporten gäller. Skriv kommunens namn i rapporten "
            "(\"Underlaget inlämnat av kommun: ...\") eller i ämnesraden."))


def set_period(report: ParsedReport, mail: MailFacts, ctx: ParseContext,
                title_text: str, heading_lines: Sequence[str] = (), filename: str = "") -> None:
    """The document's own heading (or file name) outranks the subject, which outranks the mail's
    text, which outranks the date sent. A reply's subject ("SV: Lägesbild september") is never used.
    Heading and subject naming different months: `period_conflict`, the heading's month kept."""
    sent_day, today = mail.sent_day, ctx.today
    heading = heading_month(list(heading_lines))
    if heading is None and filename:
        heading = find_named_month(filename)
    subject_text = mail.subject_for_period
    subject = find_named_month(subject_text) if subject_text else None
    if heading:
        report.period, report.period_source = resolve_year(*heading, sent_day, today), "heading"
        if subject and (subject[0] != heading[0] or (subject[1] and heading[1] and subject[1] != heading[1])):
            named = report.named_period = resolve_year(*subject, sent_day, today)
            report.problems.append(Problem(
                "period_conflict",
                f"Dokumentet gäller {month_label(report.period)} men ämnesraden säger {month_label(named)}. "
                "Rapporten räknas inte förrän en handläggare har kontrollerat vilken månad den gäller."))
        return
    if subject:
        report.period, report.period_source = resolve_year(*subject, sent_day, today), "subject"
        return
    for text in (subject_text, title_text):
        if text and (by_week := find_week_period(text, sent_day, today)):
            report.period, report.period_source = by_week, "subject" if text is subject_text else "heading"
            return
    own = letter_month(mail.own_text) if mail.own_text else None
    if own:
        report.period, report.period_source = resolve_year(*own, sent_day, today), "text"
        return
    if sent_day is not None:
        report.period, report.period_source = ctx.period_for_sent_date(sent_day), "sent_date"
        return
    report.problems.append(Problem(
        "unknown_period",
        "Vi kunde inte avgöra vilken månad rapporten gäller. Skriv månaden i ämnesraden, "
        "till exempel \"Lägesbild oktober 2026\"."))
