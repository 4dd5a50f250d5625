"""One mail in, one ParsedMail out: the parser's single entry point.

Pure: bytes and a ParseContext in, a record out. No I/O, no clock except
the mail's own dates and `ParseContext.today`. Never raises on bad input.

Every attachment and the body's own text are read; each template found is a
candidate. Full reports (`Extraction.found`) are grouped by the month and
municipality their own heading names, so a docx and its PDF twin are one
report while September's and October's are two (`ParsedMail.reports`, the
primary first, see `sources.choose_primary`). Without a full report, a
correction (`correction.py`: a few questions, "fråga 2 ska vara 3", the
receipt's table pasted back) is a partial record. Our receipts, quoted or
echoed, are never read as answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import containers, mime, sniff
from .classify import classify, is_mailing_list
from .context import ParseContext
from .correction import (
    is_receipt,
    mentions_receipt,
    phrased_ratings,
    receipt_period,
    strip_receipt,
    table_rating,
)
from .doc_reader import read_doc
from .docx_reader import MAX_BLOCKS, read_docx
from .dsn import delivery_failures
from .extract import Extraction, extract_all, normalize, report_problems
from .html_reader import html_to_blocks
from .model import (
    Answer,
    Attachment,
    Block,
    Limits,
    ParsedMail,
    ParsedReport,
    Problem,
    UnreadableDocument,
)
from .odf_reader import read_odt
from .pdf_reader import read_pdf
from .period import find_named_month, month_label, resolve_year
from .personal_data import find_personal_numbers
from .questions import BY_NUMBER, match_heading
from .quoting import forwarded_body, split_reply
from .ratings import Rating
from .rtf_reader import read_rtf
from .scans import scans
from .sources import (
    FORWARD_SUBJECT,
    MailFacts,
    choose_primary,
    heading_month,
    looks_like_submission,
    set_municipality,
    set_period,
    title_lines,
)
from .xls_reader import read_xls
from .xlsx_reader import read_xlsx

logger = logging.getLogger(__name__)



@dataclass
class _Candidate:
    source: str
    extraction: Extraction
    title_text: str  # text that may name the municipality (file name, preamble)
    heading_lines: list[str] = field(default_factory=list)  # the document's own title lines (preamble)
    filename: str = ""


@dataclass
class _Body:
    """The mail body's own text and what a correction by reply may hold."""

    own_text: str = ""
    table: dict[int, str] = field(default_factory=dict)  # receipt table rows pasted in the own text
    quoted_table: dict[int, str] = field(default_factory=dict)  # the rows of a quoted receipt
    phrased: dict[int, Rating] = field(default_factory=dict)  # "Påverkan på fråga 2 är 3"
    quotes_receipt: bool = False
    receipt_period: str | None = None  # the month a quoted receipt of ours counted
    echo: bool = False  # the own text is one of our receipts itself (echoed by an auto-responder)
    partial_candidates: list[_Candidate] = field(default_factory=list)  # the own text read for a correction


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
        registered = ctx.directory.registered_for(result.sender)
        result.municipality = registered[0].name if len(registered) == 1 else None
        result.in_reply_to = message_ids(mime.header(msg, "In-Reply-To"))
        result.references = message_ids(mime.header(msg, "References"))
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
    result.in_reply_to = message_ids(mime.header(msg, "In-Reply-To"))
    result.references = message_ids(mime.header(msg, "References"))
    if not msg.keys() or (result.sender is None and not msg.get_payload()):
        result.problems.append(Problem("no_report", "Filen är inte ett läsbart e-postmeddelande."))
        return result

    registered = ctx.directory.registered_for(result.sender)
    result.mailing_list = is_mailing_list(msg)
    result.auth_failures = mime.authentication_failures(msg)
    kind = classify(msg)
    if kind:
        result.kind = kind
        result.municipality = registered[0].name if len(registered) == 1 else None
        if kind == "bounce":
            result.delivery_failures = delivery_failures(msg)
        return result

    parts = mime.collect_parts(msg, max_bytes=ctx.limits.max_attachment_bytes)
    candidates, unreadable = _attachment_candidates(parts.attachments, ctx.limits)
    body = _body_candidates(parts, result.subject, candidates)
    for inner in parts.forwarded[:5]:  # a report forwarded as an attached mail (.eml/.msg as rfc822)
        inner_parts = mime.collect_parts(inner, depth=1, max_bytes=ctx.limits.max_attachment_bytes)
        more, more_unreadable = _attachment_candidates(inner_parts.attachments, ctx.limits)
        candidates += more
        unreadable += more_unreadable
        _body_candidates(inner_parts, "VB:", candidates)
    result.quotes_receipt = body.quotes_receipt
    result.receipt_period = body.receipt_period
    result.quoted_ratings = [Answer(n, r.score, r.color, None) for n, text in sorted(body.quoted_table.items())
                             if BY_NUMBER[n].rated and (r := table_rating(text)) is not None]
    mail = MailFacts(result, registered, sent.date() if sent else None, body.own_text)
    scanned: set[str] = set()
    if (ctx.ocr is not None and not any(c.extraction.found for c in candidates)
            and looks_like_submission(mail, [a.filename or "" for a in parts.attachments])):
        # No report in any text, but the mail says it brings one: a scanned PDF or a photo of the
        # printed report may hold it (OCR costs seconds a page: never for mail that is not a submission).
        read = _ocr_candidates(parts.attachments, ctx.ocr)
        candidates += read
        scanned = {c.filename for c in read if c.extraction.found}
        unreadable = [(name, p) for name, p in unreadable if name not in scanned]

    reports = _full_reports(candidates, mail, ctx)
    if not reports:
        partial = _partial_report(candidates, body, mail, ctx)
        reports = [partial] if partial is not None else []
    if reports:
        result.kind = "report"
        result.reports = reports
        _adopt(result, reports[0])
        if len(reports) > 1:
            result.notes.append(_several_note(reports))
        if any(r.source and r.source.split(":", 1)[-1].split("#")[0] in scanned for r in reports):
            result.notes.append(OCR_NOTE)
    elif body.echo and not unreadable and not parts.attachments:
        result.kind = "auto_reply"  # our own receipt echoed back (a responder without Auto-Submitted)
        result.municipality = registered[0].name if len(registered) == 1 else None
    elif unreadable and (looks_like_submission(mail, [name for name, _ in unreadable])
                         or any(p.code == "encrypted" for _, p in unreadable)):
        name, problem = unreadable[0]
        result.kind = "report"
        report = ParsedReport(source=f"attachment:{name}" if name else None, problems=[problem])
        set_municipality(report, mail, ctx, "")
        set_period(report, mail, ctx, "", filename=name or "")
        result.reports = [report]
        _adopt(result, report)
    else:
        result.kind = "other"
        result.problems.append(Problem(
            "no_report",
            "Vi hittade ingen lägesbild i ditt meddelande. Skicka rapporten som Word- eller PDF-fil "
            "eller klistra in frågorna med svar direkt i mejlet."))
        holder = ParsedReport()
        set_municipality(holder, mail, ctx, "", is_report=False)
        result.municipality = holder.municipality
        result.problems.extend(p for p in holder.problems if p.code == "unknown_sender")
    result.problems.sort(key=lambda p: (p.question or 0, p.code))
    return result


def _several_note(reports: list[ParsedReport]) -> str:
    """A Swedish sentence for the receipt: which reports the mail held and which one counts."""
    places = {r.named_municipality or r.municipality for r in reports}

    def label(r: ParsedReport) -> str:
        month = month_label(r.period) if r.period else "okänd månad"
        return f"{r.named_municipality or r.municipality or 'okänd kommun'}, {month}" if len(places) > 1 else month

    labels = [label(r) for r in reports]
    listed = ", ".join(labels[:-1]) + " och " + labels[-1]
    return (f"Mejlet innehöll {len(reports)} lägesbilder ({listed}). Vi läste var och en för sig; "
            f"{labels[0]} räknas som det här mejlets rapport.")


_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_MAX_IDS = 50


def message_ids(value: str) -> list[str]:
    """The Message-IDs ("<...>") in an In-Reply-To or References header, at most 50."""
    ids: list[str] = []
    for m in _MESSAGE_ID.finditer(value[:20_000]):
        if m.group() not in ids:
            ids.append(m.group())
        if len(ids) >= _MAX_IDS:
            break
    return ids


def _adopt(result: ParsedMail, report: ParsedReport) -> None:
    """The primary report's fields become the mail's top-level fields."""
    result.source = report.source
    result.municipality = report.municipality
    result.period = report.period
    result.period_source = report.period_source
    result.answers = list(report.answers)
    result.signals = list(report.signals)
    mail_level = [p for p in result.problems if p.code == "invalid_sender"]  # the From, not the report
    result.problems = mail_level + [p for p in report.problems if p not in mail_level]
    result.partial = report.partial
    result.named_municipality = report.named_municipality
    result.named_period = report.named_period


def _full_reports(candidates: list[_Candidate], mail: MailFacts, ctx: ParseContext) -> list[ParsedReport]:
    """One report per month found (twins of one report, like a docx and its PDF, count once), primary first."""
    found = [c for c in candidates if c.extraction.found]
    if not found:
        return []
    # One group per (month, municipality) the document itself names: a docx and
    # its PDF twin are one report; September's and October's, or Mora's and
    # Orsa's, are two.
    groups: dict[tuple[str | None, str | None], _Candidate] = {}
    for candidate in found:
        own = _own_month(candidate)
        stated = ctx.directory.find_in_text("\n".join(title_lines(candidate.heading_lines)))
        key = (resolve_year(*own, mail.sent_day, ctx.today) if own else None, stated.name if stated else None)
        if key not in groups or candidate.extraction.weight > groups[key].extraction.weight:
            groups[key] = candidate
    for key in sorted((k for k in groups if None in k), key=lambda k: (k[0] is None) + (k[1] is None), reverse=True):
        compatible = [g for g in groups if g != key and all(a is None or a == b for a, b in zip(key, g, strict=True))]
        if compatible:  # a twin that does not say its month or municipality: part of the best it fits
            best = max(compatible, key=lambda k: groups[k].extraction.weight)
            undated = groups.pop(key)
            if undated.extraction.weight > groups[best].extraction.weight:
                groups[best] = undated
    reports = [_full_report(c, mail, ctx) for c in groups.values()]
    if len(reports) > 1:
        for r in reports:  # the subject names one of them; the others are not in conflict with it
            r.problems = [p for p in r.problems if p.code != "period_conflict"]
            r.named_period = None
        primary = choose_primary(reports, mail)
        reports.sort(key=lambda r: (r is not primary, r.period or ""))
        for r in reports[1:]:
            r.primary = False
    return reports


def _own_month(candidate: _Candidate) -> tuple[int, int | None] | None:
    """The month a candidate's own heading or file name names."""
    found = heading_month(candidate.heading_lines)
    if found is None and candidate.filename:
        found = find_named_month(candidate.filename)
    return found


def _full_report(candidate: _Candidate, mail: MailFacts, ctx: ParseContext) -> ParsedReport:
    extraction = candidate.extraction
    report = ParsedReport(source=candidate.source)
    report.answers = [extraction.answers[n] for n in sorted(extraction.answers)]
    report.problems.extend(report_problems(extraction))
    report.problems.extend(_personal_data_problems(report.answers))
    if ctx.find_signals is not None:
        report.signals = ctx.find_signals(report.answers)
    set_municipality(report, mail, ctx, candidate.title_text, candidate.heading_lines)
    set_period(report, mail, ctx, candidate.title_text, candidate.heading_lines, candidate.filename)
    report.problems.sort(key=lambda p: (p.question or 0, p.code))
    return report


def _partial_report(candidates: list[_Candidate], body: _Body, mail: MailFacts, ctx: ParseContext
                    ) -> ParsedReport | None:
    """A correction that gives only some questions, or None.

    Any of: "Påverkan på fråga 2 är 3", "fråga 2 ska vara 3, inte 4", the
    receipt's table pasted with a value changed (only the rows that differ
    from the quoted receipt, when there is one), and, in a reply
    (In-Reply-To/References, "SV:", or our receipt quoted), questions of the
    template filled in again ("Fråga 2: Påverkan 3"). Outside a reply those
    need the template's clear evidence (two titles, or a title and a rating).
    """
    answers: dict[int, Answer] = {}
    problems: list[Problem] = []
    source = None
    readable = [c for c in candidates if c.source.startswith("attachment")] + body.partial_candidates
    usable = [c for c in readable if c.extraction.answers and c.extraction.evidence]
    best = max(usable, key=lambda c: c.extraction.weight, default=None)
    if best is not None:
        ex = best.extraction
        clear = len(ex.titled) >= 2 or (ex.titled and ex.rated)
        if mail.is_reply or clear:
            source = best.source
            for number, a in ex.answers.items():
                answers[number] = Answer(number, a.score, a.color, a.text or None)
            problems += [p for p in ex.problems if p.code == "invalid_score"]
    # The receipt table pasted back and "fråga 2 ska vara 3" are corrections by their shape alone.
    for number, text in body.table.items():
        if body.quoted_table.get(number, "") == text:
            continue  # the row as we sent it: not a change
        rating = table_rating(text)
        if rating is not None and BY_NUMBER[number].rated:
            old = answers.get(number, Answer(number, text=None))
            answers[number] = Answer(number, rating.score, rating.color, old.text)
            source = source or "body"
    for number, rating in body.phrased.items():
        old = answers.get(number, Answer(number, text=None))
        answers[number] = Answer(number, rating.score, rating.color, old.text)
        source = source or "body"
    if not answers:
        return None
    report = ParsedReport(source=source, partial=True)
    report.answers = [answers[n] for n in sorted(answers)]
    report.problems = problems + _personal_data_problems(report.answers)
    if ctx.find_signals is not None:
        report.signals = ctx.find_signals(report.answers)
    own = best if best is not None and best.source == source else None
    set_municipality(report, mail, ctx, own.title_text if own else "", own.heading_lines if own else [])
    set_period(report, mail, ctx, own.title_text if own else "", own.heading_lines if own else [],
               own.filename if own else "")
    if body.receipt_period and report.period_source != "heading":
        # A correction of the report our receipt counted: that receipt's month.
        report.period, report.period_source = body.receipt_period, "receipt"
        report.problems = [p for p in report.problems if p.code != "unknown_period"]
    report.problems.sort(key=lambda p: (p.question or 0, p.code))
    return report


# Formats a report may come in that we do not read: tell the sender.
_UNSUPPORTED_EXTENSIONS = (".pages", ".msg", ".wpd", ".wps", ".odp", ".pptx", ".ppt", ".heic")


def _attachment_candidates(attachments: list[Attachment], limits: Limits):
    """Read every document attachment; return (candidates, [(name, problem) for unreadable ones])."""
    candidates: list[_Candidate] = []
    attachments, unreadable = containers.unpack(attachments, limits)  # zip, winmail.dat, S/MIME
    order = {sniff.DOCX: 0, sniff.ODT: 1, sniff.DOC: 2, sniff.RTF: 3, sniff.PDF: 4, sniff.XLSX: 5, sniff.XLS: 6,
             sniff.TEXT: 7}
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
            reason = f"Bilagan \"{name}\" kunde inte läsas: {e.reason}"
            unreadable.append((name, Problem("unreadable_attachment", reason)))
            continue
        blocks, _ = strip_receipt(blocks)
        for k, extraction in enumerate(extract_all(blocks)):
            title = "\n".join([name] + extraction.preamble[:15])
            source = f"attachment:{name}" if k == 0 else f"attachment:{name}#{k + 1}"
            candidates.append(_Candidate(source, extraction, title, extraction.preamble[:15], name))
    return candidates, unreadable


OCR_NOTE = ("Rapporten lästes ur en bild (inskannad eller fotograferad), och det kan ha blivit fel. "
            "Kontrollera gärna påverkansgraderna ovan; rätta genom att svara på det här mejlet.")


def _ocr_candidates(attachments: list[Attachment], ocr: Callable[[list[bytes]], str]) -> list[_Candidate]:
    """Pictures of pages read by OCR, as candidates like any document's."""
    candidates = []
    for scan in scans(attachments):
        blocks, _ = strip_receipt(text_blocks(ocr(list(scan.pages))))
        for k, extraction in enumerate(extract_all(blocks)):
            title = "\n".join([scan.name] + extraction.preamble[:15])
            source = f"attachment:{scan.name}" if k == 0 else f"attachment:{scan.name}#{k + 1}"
            candidates.append(_Candidate(source, extraction, title, extraction.preamble[:15], scan.name))
    return candidates


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
    if kind == sniff.RTF:
        return read_rtf(data, limits)
    if kind == sniff.XLSX:
        return read_xlsx(data, limits)
    if kind == sniff.XLS:
        return read_xls(data, limits)
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
        blocks.extend(_tab_row(carry + line))
        carry = ""
    if carry:
        blocks.append(Block(carry))
    return blocks[:MAX_BLOCKS]  # the extractor's work is linear in blocks: bounded like every reader's


def _tab_row(line: str) -> list[Block]:
    """A line; a table row pasted as text ("1. Ordningsstörningar<TAB>Inbrott ...<TAB>2") as its cells."""
    if "\t" in line:
        cells = [c.strip() for c in line.split("\t", 8) if c.strip()]
        if len(cells) >= 2 and match_heading(cells[0]) is not None:
            return [Block(c, cell=True) for c in cells]
    return [Block(line)]


def _body_candidates(parts: mime.Parts, subject: str, candidates: list[_Candidate]) -> _Body:
    """Add the mail body's report(s) (own text; forwarded text for forwards) to candidates.

    Our receipt's table and wording are taken out first: quoted or pasted,
    they are never answers. Returns the body's own text and the pieces a
    correction by reply may hold.
    """
    variants: list[list[Block]] = [text_blocks(t) for t in parts.plain]
    variants += [html_to_blocks(h) for h in parts.html]
    body = _Body()
    is_forward = bool(FORWARD_SUBJECT.match(subject))
    for blocks in variants:
        own, quoted = split_reply(blocks)
        own_empty = not any(b.text.strip() for b in own)
        body.receipt_period = body.receipt_period or receipt_period(quoted) or receipt_period(own)
        echo = is_receipt(own)  # our receipt itself (forwarded back, echoed): its table is ours
        body.quotes_receipt = body.quotes_receipt or mentions_receipt(quoted) or echo
        own, table = strip_receipt(own)
        if echo:
            table = {}
            body.echo = body.echo or not body.own_text
        phrased, without_phrases = phrased_ratings(own)
        first = not body.own_text and not own_empty
        if first:
            body.own_text = "\n".join(b.text for b in own)
            body.table, body.phrased = table, phrased
        if (first or own_empty) and not body.quoted_table:  # a reply with nothing above may edit the quote itself
            body.quoted_table = strip_receipt(quoted)[1]
        extractions = extract_all(own)
        if not any(e.found for e in extractions) and (is_forward or own_empty) and quoted:
            extractions = extract_all(strip_receipt(forwarded_body(quoted))[0])
        for k, extraction in enumerate(extractions):
            candidates.append(_body_candidate(k, extraction))
        if first:  # a correction reads the own text without its "fråga 2 ska vara 3" lines
            body.partial_candidates = [_body_candidate(k, e) for k, e in enumerate(extract_all(without_phrases))
                                       ] if phrased else [c for c in candidates if c.source.startswith("body")]
    return body


def _body_candidate(index: int, extraction: Extraction) -> _Candidate:
    preamble = extraction.preamble[:15]
    return _Candidate("body" if index == 0 else f"body#{index + 1}", extraction, "\n".join(preamble), preamble)


def _personal_data_problems(answers: list[Answer]) -> list[Problem]:
    problems = []
    for answer in answers:
        if answer.text and find_personal_numbers(answer.text):
            problems.append(Problem(
                "personal_data",
                f"Svaret på fråga {answer.question} innehåller något som ser ut som ett personnummer. "
                "Lägesbilden får inte innehålla individuppgifter: ta bort personnumret och skicka "
                "rapporten igen.", answer.question))
    return problems
