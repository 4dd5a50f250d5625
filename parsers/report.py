"""One mail in, one ParsedMail out: the parser's single entry point.

Pure: bytes and a ParseContext in, a record out. No I/O, no clock except
the mail's own dates. Never raises on bad input.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from . import mime, sniff
from .classify import classify, is_mailing_list
from .directory import Directory
from .doc_reader import read_doc
from .docx_reader import MAX_BLOCKS, read_docx
from .extract import Extraction, extract, normalize, report_problems
from .html_reader import html_to_blocks
from .model import (
    Answer,
    Attachment,
    Block,
    Limits,
    ParsedMail,
    Problem,
    Signal,
    UnreadableDocument,
)
from .odf_reader import read_odt
from .pdf_reader import read_pdf
from .period import find_month, find_week_period, resolve_year
from .personal_data import find_personal_numbers
from .quoting import forwarded_body, split_reply

logger = logging.getLogger(__name__)

_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:sv|re|aw)\s*:\s*)*(?:vb|fw|fwd|vs|wg)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ParseContext:
    directory: Directory
    period_for_sent_date: Callable[[date], str]  # the deadline rule's guess when no month is written
    own_addresses: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)
    # Routing: answers in, signals out (rules.matcher.match bound to the rules in
    # force, injected by mailbot so that parsers/ does not depend on rules/).
    find_signals: Callable[[list[Answer]], list[Signal]] | None = None


@dataclass
class _Candidate:
    source: str
    extraction: Extraction
    title_text: str  # text that may name the municipality/period (preamble, file name)


def parse_message(raw: bytes, ctx: ParseContext) -> ParsedMail:
    """Read one mail; any failure becomes a problem on the record, never an exception."""
    try:
        return _parse(raw, ctx)
    except Exception:  # noqa: BLE001 - the boundary: a parser bug must not lose the mail
        logger.exception("parser failed on a message of %d bytes", len(raw))
        return ParsedMail(kind="other", problems=[Problem(
            "no_report", "Meddelandet kunde inte läsas automatiskt. En handläggare tittar på det.")])


def headers_only_record(raw: bytes, ctx: ParseContext, problem: Problem) -> ParsedMail:
    """A record from the headers alone, for a mail whose reading failed (timed out, crashed).

    Kind `report` so the sender gets a receipt naming the problem; never counted
    (no answers), so it goes for review.
    """
    try:
        msg = mime.parse_bytes(raw, headers_only=True)
        result = ParsedMail(
            kind="report",
            message_id=mime.header(msg, "Message-ID").strip() or None,
            sender=mime.sender_address(msg),
            subject=normalize(re.sub(r"\s+", " ", mime.header(msg, "Subject"))),
            problems=[problem],
        )
        sent = mime.sent_date(msg)
        result.sent_at = sent.isoformat() if sent else None
        registered = ctx.directory.by_address(result.sender)
        result.municipality = registered.name if registered else None
        return result
    except Exception:  # noqa: BLE001 - the same boundary as parse_message
        logger.exception("could not read the headers of a message of %d bytes", len(raw))
        return ParsedMail(kind="other", problems=[problem])


def _parse(raw: bytes, ctx: ParseContext) -> ParsedMail:
    msg = mime.parse_bytes(raw)
    result = ParsedMail(
        message_id=mime.header(msg, "Message-ID").strip() or None,
        sender=mime.sender_address(msg),
        subject=normalize(re.sub(r"\s+", " ", mime.header(msg, "Subject"))),
    )
    if (invalid_sender := mime.sender_problem(msg)) is not None:
        result.problems.append(invalid_sender)  # held: no address to count or answer
    sent = mime.sent_date(msg)
    result.sent_at = sent.isoformat() if sent else None
    if not msg.keys() or (result.sender is None and not msg.get_payload()):
        result.problems.append(Problem("no_report", "Filen är inte ett läsbart e-postmeddelande."))
        return result

    registered = ctx.directory.by_address(result.sender)
    result.mailing_list = is_mailing_list(msg)
    result.auth_failures = mime.authentication_failures(msg)
    kind = classify(msg)
    if kind:
        result.kind = kind
        result.municipality = registered.name if registered else None
        return result

    parts = mime.collect_parts(msg, max_bytes=ctx.limits.max_attachment_bytes)
    candidates, unreadable = _attachment_candidates(parts.attachments, ctx.limits)
    body_text = _body_candidates(parts, result.subject, candidates)
    for inner in parts.forwarded[:5]:  # a report forwarded as an attached mail (.eml/.msg as rfc822)
        inner_parts = mime.collect_parts(inner, depth=1, max_bytes=ctx.limits.max_attachment_bytes)
        more, more_unreadable = _attachment_candidates(inner_parts.attachments, ctx.limits)
        candidates += more
        unreadable += more_unreadable
        _body_candidates(inner_parts, "VB:", candidates)
    best = max(candidates, key=lambda c: c.extraction.weight, default=None)
    if best is not None and not best.extraction.found:
        best = None

    if best is None and unreadable:
        name, problem = unreadable[0]
        result.kind = "report"
        result.source = f"attachment:{name}" if name else None
        result.problems.append(problem)
    elif best is None:
        result.kind = "other"
        result.problems.append(Problem(
            "no_report",
            "Vi hittade ingen lägesbild i ditt meddelande. Skicka rapporten som Word- eller PDF-fil "
            "eller klistra in frågorna med svar direkt i mejlet."))
    else:
        result.kind = "report"
        result.source = best.source
        result.answers = [best.extraction.answers[n] for n in sorted(best.extraction.answers)]
        result.problems.extend(report_problems(best.extraction))
        result.problems.extend(_personal_data_problems(result))
        if ctx.find_signals is not None:
            result.signals = ctx.find_signals(result.answers)

    title_text = best.title_text if best else ""
    _set_municipality(result, registered, ctx, [title_text, result.subject, body_text])
    if result.kind == "report":
        _set_period(result, sent, ctx, [result.subject, title_text, body_text])
    result.problems.sort(key=lambda p: (p.question or 0, p.code))
    return result


# Formats a report may come in that we do not read: tell the sender.
_UNSUPPORTED_EXTENSIONS = (".xlsx", ".xls", ".pages", ".msg", ".wpd", ".wps", ".odp", ".ods", ".pptx", ".ppt", ".heic")


def _attachment_candidates(attachments: list[Attachment], limits: Limits):
    """Read every document attachment; return (candidates, [(name, problem) for unreadable ones])."""
    candidates: list[_Candidate] = []
    unreadable: list[tuple[str | None, Problem]] = []
    order = {sniff.DOCX: 0, sniff.ODT: 1, sniff.DOC: 2, sniff.RTF: 3, sniff.PDF: 4, sniff.TEXT: 5}
    typed = [(sniff.sniff(a.data, a.filename), a) for a in attachments]
    typed.sort(key=lambda t: order.get(t[0], 9))
    for kind, attachment in typed:
        name = attachment.filename or f"bilaga.{kind}"
        if kind not in order:
            if name.lower().endswith(_UNSUPPORTED_EXTENSIONS):
                unreadable.append((name, Problem("unsupported_format", f"Bilagan \"{name}\": {_UNSUPPORTED}")))
            continue
        try:
            if attachment.oversize:
                raise UnreadableDocument(_too_big(attachment.oversize, limits))
            blocks = _read_document(kind, attachment.data, limits)
        except UnreadableDocument as e:
            code = "unsupported_format" if kind == sniff.RTF else "unreadable_attachment"
            unreadable.append((name, Problem(code, f"Bilagan \"{name}\" kunde inte läsas: {e.reason}")))
            continue
        extraction = extract(blocks)
        title = "\n".join([name] + extraction.preamble[:15])
        candidates.append(_Candidate(f"attachment:{name}", extraction, title))
    return candidates, unreadable


def _read_document(kind: str, data: bytes, limits: Limits) -> list[Block]:
    if len(data) > limits.max_attachment_bytes:
        raise UnreadableDocument(_too_big(len(data), limits))
    if kind == sniff.DOCX:
        return read_docx(data, limits)
    if kind == sniff.PDF:
        return read_pdf(data, limits)
    if kind == sniff.TEXT:
        return text_blocks(data.decode("utf-8", errors="replace"))
    if kind == sniff.ODT:
        return read_odt(data, limits)
    if kind == sniff.DOC:
        return read_doc(data, limits)
    raise UnreadableDocument(_UNSUPPORTED)


def _too_big(size: int, limits: Limits) -> str:
    return (f"filen är för stor ({size // (1024 * 1024)} MB; gränsen är "
            f"{limits.max_attachment_bytes // (1024 * 1024)} MB).")


_UNSUPPORTED = ("det filformatet kan vi inte läsa automatiskt. Skicka rapporten som "
                "Word-fil (.docx), PDF eller direkt i mejlet.")


def text_blocks(text: str) -> list[Block]:
    """Plain text to one block per line, undoing format=flowed soft breaks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    carry = ""
    for line in lines:
        if len(blocks) >= MAX_BLOCKS:
            break
        if line.endswith(" ") and not line.startswith(">") and line.strip() and not line.startswith("-- "):
            carry += line
            continue
        blocks.append(Block(carry + line))
        carry = ""
    if carry:
        blocks.append(Block(carry))
    return blocks[:MAX_BLOCKS]  # the extractor's work is linear in blocks: bounded like every reader's


def _body_candidates(parts: mime.Parts, subject: str, candidates: list[_Candidate]) -> str:
    """Add the mail body's report (own text; forwarded text for forwards) to candidates.

    Returns the body's own text, used later to find municipality and period.
    """
    variants: list[list[Block]] = [text_blocks(t) for t in parts.plain]
    variants += [html_to_blocks(h) for h in parts.html]
    own_text = ""
    is_forward = bool(_FORWARD_SUBJECT.match(subject))
    for blocks in variants:
        own, quoted = split_reply(blocks)
        if not own_text:
            own_text = "\n".join(b.text for b in own)
        extraction = extract(own)
        if not extraction.found and (is_forward or not any(b.text.strip() for b in own)) and quoted:
            extraction = extract(forwarded_body(quoted))
        candidates.append(_Candidate("body", extraction, "\n".join(extraction.preamble[:15])))
    return own_text


def _personal_data_problems(result: ParsedMail) -> list[Problem]:
    problems = []
    for answer in result.answers:
        if find_personal_numbers(answer.text):
            problems.append(Problem(
                "personal_data",
                f"Svaret på fråga {answer.question} innehåller något som ser ut som ett personnummer. "
                "Lägesbilden får inte innehålla individuppgifter: ta bort personnumret och skicka "
                "rapporten igen.", answer.question))
    return problems


def _set_municipality(result: ParsedMail, registered, ctx: ParseContext, texts: list[str]) -> None:
    if registered is not None:
        result.municipality = registered.name
        return
    if result.sender and result.sender in ctx.own_addresses:
        return
    named = None
    for text in texts:
        if text and (named := ctx.directory.find_in_text(text)):
            break
    result.municipality = named.name if named else None
    result.problems.append(Problem(
        "unknown_sender",
        f"Avsändaren {result.sender or '(okänd)'} finns inte i listan över kommunernas adresser, "
        "så rapporten kan inte räknas automatiskt. En handläggare kontrollerar den.",))
    if named is None and result.kind == "report":
        result.problems.append(Problem(
            "unknown_municipality",
            "Vi kunde inte avgöra vilken kommun rapporten gäller. Skriv kommunens namn i rapporten "
            "(\"Underlaget inlämnat av kommun: ...\") eller i ämnesraden."))


def _set_period(result: ParsedMail, sent, ctx: ParseContext, texts: list[str]) -> None:
    sent_day = sent.date() if sent else None
    for i, text in enumerate(texts):
        found = find_month(text, abbreviations=i < 2) if text else None
        if found:
            result.period = resolve_year(*found, sent_day)
            return
    for text in texts[:2]:
        if text and (by_week := find_week_period(text, sent_day)):
            result.period = by_week
            return
    if sent_day is not None:
        result.period = ctx.period_for_sent_date(sent_day)
        return
    result.problems.append(Problem(
        "unknown_period",
        "Vi kunde inte avgöra vilken månad rapporten gäller. Skriv månaden i ämnesraden, "
        "till exempel \"Lägesbild oktober 2026\"."))
