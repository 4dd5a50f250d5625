"""Tell bounces and automatic replies from mail written by a person.

Headers and subject decide first. Only when they say nothing is the body
looked at, and only a short body without attachments or report content
(`looks_like_out_of_office`).

`X-Auto-Response-Suppress` and `X-MS-Exchange-Inbox-Rules-Loop` are weak
evidence: Outlook/Exchange also put them on ordinary mail (Discourse,
Redmine and osTicket all had false positives from the first one), and
newsletters set the first to silence out-of-office replies. They count only
together with `Precedence: bulk/junk` on mail without List-Id/List-Unsubscribe.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses, parseaddr

from parsers.html_reader import html_to_blocks
from parsers.mime import header
from parsers.model import Block
from parsers.quoting import split_reply

_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|olevererbart|unzustellbar|non remis|undelivered mail"
    r"|delivery status notification \((failure|delay)\)|mail delivery failed"
    r"|delivery failure|failure notice|returned mail|det gick inte att leverera"
    r"|meddelandet kunde inte levereras|nicht zustellbar)",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(automatiskt svar|autosvar|frånvaromeddelande|out of (the )?office"
    r"|automatic reply|auto[- ]?reply|abwesenheitsnotiz|automatische antwort"
    r"|ej på plats|läst:|read:|ej läst:|not read:)",
    re.I,
)
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoreply-from")
_WEAK_HEADERS = ("x-auto-response-suppress", "x-ms-exchange-inbox-rules-loop")
_DELIVERED = frozenset({"delivered", "relayed", "expanded"})
_NOREPLY = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster)([-_.+]|$)"
)
_SHORT_BODY = 1200  # characters of own text that an out-of-office notice fits in
_MAX_BODY_LINES = 400  # an out-of-office notice (with its quote) is never longer
_MAX_HTML_CHARS = 200_000  # enough HTML for those lines; a long newsletter is not read whole

_ABSENT = re.compile(
    r"\bjag är (för närvarande |just nu |tyvärr )?"
    r"(på semester|semesterledig|tjänstledig|föräldraledig|ledig|sjukskriven|bortrest"
    r"|på tjänsteresa|på resande fot|frånvarande|borta|inte på (plats|kontoret)"
    r"|på (kurs|konferens|utbildning))\b",
    re.I,
)
_UNTIL = re.compile(
    r"\b(till och med|t\.\s?o\.\s?m\.?|tom|fram till|till den|tills|från och med"
    r"|åter|tillbaka|\d{1,2}[/.]\d{1,2}|\d{1,2} (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec))",
    re.I,
)
_OUT_OF_OFFICE = re.compile(
    r"\bjag är (åter|tillbaka)( på kontoret| i tjänst)? (den|igen|på|från|måndag|tisdag|onsdag"
    r"|torsdag|fredag|v\.|vecka|\d)"
    r"|\bjag har (begränsad|ingen) tillgång till (min |mina )?(e-?post|mejl|mail)"
    r"|\bfrånvaromeddelande\b"
    r"|\bi(?: am|'m) (currently )?(out of (the )?office|on (annual |parental |sick )?"
    r"(leave|vacation|holiday)|away from (the office|my desk))"
    r"|\bi will (be back|return)( to the office)? on\b"
    r"|\blimited access to (my )?e-?mail",
    re.I,
)
_REPORT = re.compile(
    r"\bpåverkan\b|\bfråga\s*[1-7]\b|ordningsstörningar|\bkommentar\s*:|sammanställd bedömning",
    re.I,
)


def classify(msg: Message) -> str | None:
    """Return "bounce", "auto_reply", or None for a mail written by a person."""
    report = _report_kind(msg)
    if report is not None:
        return report
    if _is_bounce(msg):
        return "bounce"
    if _is_auto_reply(msg):
        return "auto_reply"
    return None


def looks_like_out_of_office(text: str) -> bool:
    """True for an absence notice ("Jag är ledig till och med ...") without report content."""
    text = re.sub(r"\s+", " ", text)
    if _REPORT.search(text):
        return False
    if _OUT_OF_OFFICE.search(text):
        return True
    return any(_UNTIL.search(text, m.end(), m.end() + 120) for m in _ABSENT.finditer(text))


def is_mailing_list(msg: Message) -> bool:
    """True for list or bulk mail (List-Id, List-Unsubscribe, Precedence list/bulk/junk)."""
    return _has_list_headers(msg) or _precedence(msg) in {"list", "bulk", "junk"}


def is_noreply_address(addr: str) -> bool:
    """True for addresses nobody reads (noreply, mailer-daemon, postmaster) or an empty one."""
    address = parseaddr(addr)[1] or addr.strip()
    local = address.rpartition("@")[0] if "@" in address else address
    local = local.strip().strip("<>").lower()
    return not local or _NOREPLY.match(local) is not None


# -- headers -------------------------------------------------------------


_header = header  # decoded text of a header, "" when absent (parsers.mime)


def _has_list_headers(msg: Message) -> bool:
    return bool(_header(msg, "List-Id") or _header(msg, "List-Unsubscribe"))


def _precedence(msg: Message) -> str:
    return _header(msg, "Precedence").lower()


def _sender_local_parts(msg: Message) -> set[str]:
    addresses = getaddresses([_header(msg, "From"), _header(msg, "Sender")])
    return {a.rpartition("@")[0].lower() or a.lower() for _, a in addresses if a}


# -- bounces and receipts ------------------------------------------------


def _report_kind(msg: Message) -> str | None:
    """Classify a multipart/report: DSN failures are bounces, receipts auto replies."""
    if msg.get_content_type() != "multipart/report":
        return None
    report_type = str(msg.get_param("report-type", "")).lower()
    if report_type in ("disposition-notification", "feedback-report"):
        return "auto_reply"  # a read receipt, or an abuse report (RFC 5965): automatic, never answered
    if report_type != "delivery-status":
        return None
    actions = _dsn_actions(msg)
    if actions and actions <= _DELIVERED:
        return "auto_reply"  # delivery receipt
    return "bounce"


def _dsn_actions(msg: Message) -> set[str]:
    actions = set()
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        for fields in payload if isinstance(payload, list) else []:
            if not isinstance(fields, Message):
                continue
            action = str(fields.get("Action", "")).strip().lower()
            if action:
                actions.add(action)
    return actions


def _is_bounce(msg: Message) -> bool:
    return bool(
        _sender_local_parts(msg) & _BOUNCE_SENDERS
        or _header(msg, "X-Failed-Recipients")
        or msg.get("X-MS-Exchange-Message-Is-Ndr") is not None
        or _BOUNCE_SUBJECT.match(_header(msg, "Subject"))
    )


# -- automatic replies ---------------------------------------------------


def _is_auto_reply(msg: Message) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(msg.get(name) is not None for name in _AUTO_HEADERS):
        return True
    precedence = _precedence(msg)
    if precedence == "auto_reply" or _AUTO_SUBJECT.match(_header(msg, "Subject")):
        return True
    if (
        precedence in {"bulk", "junk"}
        and any(msg.get(n) is not None for n in _WEAK_HEADERS)
        and not _has_list_headers(msg)
    ):
        return True
    if _has_attachment(msg):
        return False
    own, _ = split_reply(_first_text_blocks(msg)[:_MAX_BODY_LINES])
    text = "\n".join(b.text for b in own)
    return len(text) < _SHORT_BODY and looks_like_out_of_office(text)


def _leaf_parts(msg: Message):
    """Non-multipart parts in order, without descending into attached messages."""
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _leaf_parts(part)
    else:
        yield msg


def _has_attachment(msg: Message) -> bool:
    for part in _leaf_parts(msg):
        maintype = part.get_content_maintype()
        if maintype in ("application", "audio", "video", "model"):
            return True
        if maintype == "text" and part.get_content_disposition() == "attachment":
            return True
    return False


def _first_text_blocks(msg: Message) -> list[Block]:
    parts = [
        p for p in _leaf_parts(msg)
        if p.get_content_maintype() == "text" and p.get_content_disposition() != "attachment"
    ]
    plain = next((p for p in parts if p.get_content_subtype() == "plain"), None)
    if plain is not None:
        return [Block(line.strip()) for line in _decode(plain).splitlines() if line.strip()]
    html = next((p for p in parts if p.get_content_subtype() == "html"), None)
    return html_to_blocks(_decode(html)[:_MAX_HTML_CHARS]) if html is not None else []


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):  # unknown charset, or a NUL in its name
        return payload.decode("latin-1")
