"""Delivery reports (bounces): which address failed, why, and which of our mails it was.

Reads a standard DSN (RFC 3464: message/delivery-status with a returned
message/rfc822 or text/rfc822-headers part) and the common plain-text
bounces (Exim's X-Failed-Recipients with the returned message below the
text). Pure and bounded: at most MAX_FAILURES recipients, texts cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from .mime import decode_words

MAX_FAILURES = 20
MAX_SCAN_CHARS = 200_000
_ADDRESS = re.compile(r"[^\s<>()\[\];:,\"']{1,64}@[A-Za-z0-9.-]{1,253}")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"(?im)^message-id:\s*(<[^<>\s]{1,250}@[^<>\s]{1,250}>)")
_PERMANENT_TEXT = re.compile(r"permanent(?:ly)? (?:error|failure)|could not be delivered|user unknown|"
                             r"gick inte att leverera|kunde inte levereras", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    recipient: str | None  # the address that failed
    status: str | None  # RFC 3463 code, e.g. "5.1.1"
    diagnostic: str  # the remote server's words, cut short
    original_message_id: str | None  # the Message-ID of the mail that bounced (ours, if we sent it)

    @property
    def permanent(self) -> bool:
        return self.status is None or self.status.startswith("5")

    def to_json(self) -> dict:
        return {"recipient": self.recipient, "status": self.status, "diagnostic": self.diagnostic,
                "original_message_id": self.original_message_id, "permanent": self.permanent}


def delivery_failures(msg: Message) -> list[DeliveryFailure]:
    """Every failed recipient the report names (at least one entry, perhaps without an address)."""
    original = _original_message_id(msg)
    found: list[DeliveryFailure] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        for fields in (payload if isinstance(payload, list) else [])[:MAX_FAILURES + 1]:
            if not isinstance(fields, Message):
                continue
            action = str(fields.get("Action", "")).strip().lower()
            recipient = _address(str(fields.get("Final-Recipient", "") or fields.get("Original-Recipient", "")))
            if recipient is None or action in ("delivered", "relayed", "expanded"):
                continue
            diagnostic = _clean(str(fields.get("Diagnostic-Code", "")).split(";", 1)[-1])
            status = _status(str(fields.get("Status", ""))) or _status(diagnostic)
            found.append(DeliveryFailure(recipient, status, diagnostic, original))
    if not found:
        found = _plain_text_failures(msg, original)
    return found[:MAX_FAILURES] or [DeliveryFailure(None, None, "", original)]


def _plain_text_failures(msg: Message, original: str | None) -> list[DeliveryFailure]:
    text = _text(msg)
    status = _status(text[:5000])
    if status is None and _PERMANENT_TEXT.search(text[:5000]):
        status = "5.0.0"
    listed = [a.strip() for a in decode_words(msg.get("X-Failed-Recipients", "")).split(",") if "@" in a]
    out = []
    for address in listed[:MAX_FAILURES]:
        reason = ""
        at = text.find(address)
        if at >= 0:  # Exim: the address, then the reason indented on the next line
            following = text[at + len(address):at + len(address) + 400].splitlines()
            reason = _clean(following[1]) if len(following) > 1 else ""
        out.append(DeliveryFailure(_address(address), status, reason, original))
    return out


def _original_message_id(msg: Message) -> str | None:
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return _message_id(str(inner.get("Message-ID")))
        if kind == "text/rfc822-headers":
            match = _MESSAGE_ID.search(_payload_text(part))
            if match:
                return match.group(1)
    match = _MESSAGE_ID.search(_text(msg))  # a plain-text bounce with the message copied below
    if match:
        return match.group(1)
    return _message_id(str(msg.get("In-Reply-To", "")))  # Exchange threads the NDR to the original


def _text(msg: Message) -> str:
    chunks, size = [], 0
    for part in msg.walk():
        if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "rfc822-headers"):
            chunk = _payload_text(part)
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_SCAN_CHARS:
                break
    return "\n".join(chunks)[:MAX_SCAN_CHARS]


def _payload_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data[:MAX_SCAN_CHARS].decode(charset, "replace")
    except LookupError:
        return data[:MAX_SCAN_CHARS].decode("latin-1")


def _address(value: str) -> str | None:
    match = _ADDRESS.search(value[:1000])
    return match.group(0).lower() if match else None


def _message_id(value: str) -> str | None:
    match = re.search(r"<[^<>\s]{1,250}@[^<>\s]{1,250}>", value[:1000])
    return match.group(0) if match else None


def _status(text: str) -> str | None:
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else None


def _clean(text: str) -> str:
    return " ".join(text.split())[:300]


def reason_in_swedish(status: str | None, diagnostic: str) -> str:
    """The delivery failure in words an administrator understands."""
    code = status or ""
    lowered = diagnostic.lower()
    if code.startswith("4"):
        return "tillfälligt fel hos mottagarens server; leveransen kan lyckas senare"
    if code in ("5.1.1", "5.1.0", "5.1.10") or any(
            words in lowered for words in ("user unknown", "does not exist", "recipient not found", "no such user")):
        return "adressen finns inte (personen kan ha slutat eller bytt adress)"
    if code == "5.1.2":
        return "domänen finns inte"
    if code in ("5.2.2", "4.2.2") or "full" in lowered or "quota" in lowered:
        return "mottagarens brevlåda är full"
    if code.startswith("5.7"):
        return "mottagarens server vägrade ta emot mejlet (spam- eller säkerhetsfilter)"
    if code.startswith("5.4"):
        return "mottagarens server gick inte att nå"
    return "mejlet kunde inte levereras"
