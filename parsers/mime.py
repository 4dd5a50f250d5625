"""Taking a mail apart: headers, text bodies and attachments, defensively.

Built on the standard library's `email` package with the `compat32`
policy, which parses 8x faster than `policy.default` because it does not
build header objects; we decode the few headers we read ourselves (RFC 2047
words, RFC 2231 file names, stray 8-bit bytes). Every accessor here
survives malformed input: a header that cannot be decoded is returned raw,
a part whose payload cannot be decoded is skipped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import logging
import quopri
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesFeedParser, BytesHeaderParser
from email.utils import parsedate_to_datetime
from typing import Any

from .containers import PKCS7_TYPES
from .model import Attachment, Problem
from .smime import SIGNED, pkcs7_content

logger = logging.getLogger(__name__)

MAX_DEPTH = 10  # nested message/rfc822 levels followed


_FEED_BYTES = 64 * 1024
# What of one mail the stdlib parser is given; the rest of such a mail is not read.
# - Lines: it costs 1-2 µs a line. 600,000 lines is a 45 MB mail of base64, far
#   over the attachment limit, but a 20 MB mail of empty lines has 10 million.
# - Lines times nested multiparts: each line passes through every open level
#   (500,000 lines 50 levels deep took 5 s; 1,000 levels overflow the stack).
#   Past MULTIPART_FREE levels, the line budget shrinks in proportion.
# - Part delimiters ("--" at a line start): `_walk` reads 500 parts; a mail of
#   50,000 empty parts took 4 s to build.
MAX_MAIL_LINES = 600_000
MULTIPART_FREE, MAX_MULTIPARTS = 10, 100
MAX_DELIMITERS = 5_000
_MULTIPART = re.compile(rb"boundary\s*=", re.IGNORECASE)
MAX_BODY_CHARS = 2_000_000  # a text body's characters read (as Limits.max_text_chars for documents)


_HEADER_SECTION_CAP = 256 * 1024  # a headers-only read (the poll's parent) never looks further


def parse_bytes(raw: bytes, headers_only: bool = False) -> Message:
    """The MIME tree of `raw` (compat32: fast, and forgiving of broken mail).

    Fed in pieces: given the whole mail at once, the stdlib parser holds it in
    a StringIO at four bytes a character, about nine times the mail's size at
    the peak (295 MB for a 34 MB mail); in pieces, under three times.
    `headers_only` reads at most the first 256 kB (it runs in the poll's
    parent, outside the parse worker's time limit).
    """
    if headers_only:
        head = raw[:_HEADER_SECTION_CAP]
        end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=len(head))
        return _trim_headers(BytesHeaderParser(policy=policy.compat32).parsebytes(head[:end] + b"\n\n"))
    parser = BytesFeedParser(policy=policy.compat32)
    end = _read_limit(raw)
    if end < len(raw):
        logger.warning("mail of %d bytes over the line, part or nesting limit; read the first %d bytes", len(raw), end)
    for start in range(0, end, _FEED_BYTES):
        parser.feed(raw[start:min(end, start + _FEED_BYTES)])
    return _trim_headers(parser.close())


def _trim_headers(msg: Message) -> Message:
    """Cut every header value to MAX_HEADER_CHARS, in every part.

    The stdlib's parameter parser (Content-Type, Content-Disposition) slices
    its input once per parameter: quadratic on 20,000 RFC 2231 continuations.
    """
    for part in msg.walk():
        headers = part._headers  # type: ignore[attr-defined]  # compat32's (name, raw value) pairs; no setter
        if any(len(value) > MAX_HEADER_CHARS for _, value in headers):
            part._headers = [(name, value[:MAX_HEADER_CHARS] if isinstance(value, str) else value)  # type: ignore[attr-defined]
                             for name, value in headers]
    return msg


def _read_limit(raw: bytes) -> int:
    """How many bytes of `raw` the stdlib parser is given (see MAX_MAIL_LINES)."""
    end = min(_nth_end(raw, b"\n", MAX_MAIL_LINES), _nth_end(raw, b"\n--", MAX_DELIMITERS))
    multiparts = 0
    for match in _MULTIPART.finditer(raw, 0, end):
        multiparts += 1
        if multiparts > MAX_MULTIPARTS:
            end = match.start()
            break
    if multiparts > MULTIPART_FREE:
        end = min(end, _nth_end(raw, b"\n", MAX_MAIL_LINES * MULTIPART_FREE // multiparts))
    return end


def _nth_end(raw: bytes, needle: bytes, n: int) -> int:
    """The offset just after the `n`-th `needle` in `raw`, or len(raw) when it has fewer."""
    if raw.count(needle) <= n:
        return len(raw)
    position = 0
    while True:
        chunk = raw.count(needle, position, position + _FEED_BYTES)
        if chunk >= n:
            break
        n -= chunk
        position += _FEED_BYTES - len(needle) + 1  # overlap: a needle across the chunk edge is counted once
    for _ in range(n):
        position = raw.index(needle, position) + len(needle)
    return position


_SURROGATES = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]{1,64}\?[bBqQ]\?[^?\s]*\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)[ \t\r\n]+(?==\?)")


def eight_bit(text: str) -> str:
    """A header value's raw 8-bit bytes (RFC 6532) as UTF-8, else windows-1252.

    compat32 hands them over as surrogate escapes; this comes before anything
    else reads the value ("Lägesbild Älvdalen" stays readable).
    """
    if not _SURROGATES.search(text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def decode_words(value) -> str:
    """Decode raw 8-bit bytes (UTF-8, then windows-1252), then RFC 2047 encoded words, in a header value."""
    text = eight_bit(str(value))
    if text.isascii():
        try:
            text = str(make_header(decode_header(text)))
        except (MessageError, LookupError, UnicodeError, ValueError, AssertionError):
            pass  # malformed encoded words or an unknown charset in them: keep the raw text
    elif "=?" in text:  # 8-bit text and encoded words: decode each word where it stands
        text = _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub("", text))
    return re.sub(r"\s+", " ", text).strip()


def _decode_word(match: re.Match) -> str:
    try:
        return str(make_header(decode_header(match.group(0))))
    except (MessageError, LookupError, UnicodeError, ValueError, AssertionError):
        return match.group(0)


def raw_values(msg: Message, name: str) -> list[str]:
    """Every `name` header as it came (8-bit bytes as surrogate escapes, folding kept)."""
    wanted = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]


MAX_HEADER_CHARS = 16_384  # of one header value decoded: a 400 kB From is cut here


def header(msg: Message, name: str) -> str:
    """A header as decoded text ("" when absent), from its first MAX_HEADER_CHARS characters."""
    values = raw_values(msg, name)
    return decode_words(values[0][:MAX_HEADER_CHARS]) if values else ""


# --- the sender --------------------------------------------------------------

MAX_FROM_CHARS = 998  # RFC 5322 line limit: a longer From is not read at all
MAX_LOCAL_OCTETS, MAX_ADDRESS_OCTETS = 64, 254  # RFC 5321 4.5.3.1
# RFC 5322 dot-atom (atext, plus UTF-8 per RFC 6532) for the local part; the
# domain as dot-separated labels of letters, digits and hyphens (UTF-8 allowed).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]"
_LOCAL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_LABEL = r"[A-Za-z0-9\u0080-\U0010ffff](?:[A-Za-z0-9\u0080-\U0010ffff-]{0,61}[A-Za-z0-9\u0080-\U0010ffff])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
# "Big Bug bb@bug.com": words, then one bare address. Both readings (the last
# word as the address, or all of it as a quoted local part) have the same
# domain, so taking the last word never changes which municipality it is.
_ATOM = r"[^\s<>@\"(),:;\\\[\]]+"
_PHRASE_THEN_ADDRESS = re.compile(rf"({_ATOM}(?:[ \t]+{_ATOM})*)[ \t]+({_ATOM}@{_ATOM})")
_REGISTRY = HeaderRegistry()


@dataclass(frozen=True, slots=True)
class Sender:
    address: str | None  # lower case; None when absent or not exactly one valid address
    problem: str | None = None  # why the From header was refused (English, for the log and tests)


def parse_sender(msg: Message) -> Sender:
    """The one address in the raw From header, read with the standard library's RFC 5322 parser.

    Never from decoded display text: `=?utf-8?q?anna=40falun.se?= <x@evil.example>`
    is x@evil.example. No From, several From headers or addresses, group
    syntax, any parse defect (a stray parenthesis, "x@evil@falun.se",
    "@falun.se"), control characters or spaces in the address, a local part
    that is not a dot-atom, or an address over the RFC length limits:
    address None, and `problem` says why.
    """
    values = raw_values(msg, "From")
    if not values:
        return Sender(None, "no From header")
    if len(values) > 1:
        return Sender(None, "several From headers")
    value = eight_bit(values[0])
    if len(value) > MAX_FROM_CHARS:
        return Sender(None, "From header too long")
    value = re.sub(r"\r?\n(?=[ \t])", "", value).strip()  # unfold
    if any(ord(ch) < 0x20 and ch != "\t" or ord(ch) == 0x7F for ch in value):
        return Sender(None, "control character in From")
    bare = _PHRASE_THEN_ADDRESS.fullmatch(value)
    if bare is not None and "=?" not in bare.group(1):
        return _checked(bare.group(2))
    try:
        parsed: Any = _REGISTRY("From", value)  # an AddressHeader (typeshed lacks its defects)
    except Exception:  # noqa: BLE001 - the stdlib parser's own bugs on hostile input
        return Sender(None, "unparseable From")
    if parsed.defects:
        return Sender(None, "malformed From: " + type(parsed.defects[0]).__name__)
    if len(parsed.groups) != 1 or parsed.groups[0].display_name is not None:
        return Sender(None, "group syntax or several addresses in From")
    addresses = parsed.groups[0].addresses
    if len(addresses) != 1:
        return Sender(None, "no address or several addresses in From")
    return _checked(addresses[0].addr_spec)


def _checked(address: str) -> Sender:
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return Sender(None, "not one plain address in From")
    if len(local.encode()) > MAX_LOCAL_OCTETS or len(address.encode()) > MAX_ADDRESS_OCTETS:
        return Sender(None, "address in From over the RFC length limits")
    return Sender(address.lower())


def sender_address(msg: Message) -> str | None:
    """The From address (lower case), or None when there is not exactly one valid one."""
    return parse_sender(msg).address


SENDER_PROBLEM = ("Avsändaradressen i meddelandet (From) saknas, är ogiltig eller innehåller flera adresser, "
                  "så meddelandet kan inte räknas eller besvaras automatiskt. En handläggare tittar på det.")


def sender_problem(msg: Message) -> Problem | None:
    """The `invalid_sender` problem for a mail whose From gave no address (see parse_sender)."""
    sender = parse_sender(msg)
    if sender.address is not None:
        return None
    logger.info("sender refused: %s", sender.problem)
    return Problem("invalid_sender", SENDER_PROBLEM)


def sent_date(msg: Message) -> datetime | None:
    """The Date header, else the newest Received timestamp."""
    candidates = [header(msg, "Date")]
    received = header(msg, "Received")
    if ";" in received:
        candidates.append(received.rsplit(";", 1)[1])
    for value in candidates:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            continue
        if when is not None:
            return when
    return None


@dataclass(slots=True)
class Parts:
    plain: list[str]
    html: list[str]
    attachments: list[Attachment]
    forwarded: list[Message]  # attached message/rfc822 mails


def _decode_text(part: Message) -> str | None:
    try:
        payload = part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001 - broken transfer encoding
        return None
    if not isinstance(payload, bytes):
        return None
    try:
        declared = part.get_content_charset() or "utf-8"
    except Exception:  # noqa: BLE001 - unparseable charset parameter
        declared = "utf-8"
    cut = len(payload) > 4 * MAX_BODY_CHARS
    payload = payload[: 4 * MAX_BODY_CHARS]
    for charset in (declared, "utf-8", "cp1252"):
        try:
            if not cut:
                return payload.decode(charset)[:MAX_BODY_CHARS]
            # incremental: a character cut in two at the end is dropped, not an error
            text = codecs.getincrementaldecoder(charset)().decode(payload, final=False)
            if isinstance(text, str):  # not a bytes-to-bytes codec such as "base64"
                return text[:MAX_BODY_CHARS]
        except (LookupError, UnicodeDecodeError, ValueError):  # ValueError: NUL in the charset name
            continue
    return payload.decode("latin-1")[:MAX_BODY_CHARS]


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
        if name and "\ufffd" in name:  # raw 8-bit bytes in the parameter (HCL Notes): read them as eight_bit does
            name = _eight_bit_filename(part) or name
    except Exception:  # noqa: BLE001 - broken RFC 2231 parameters
        name = None
    if name:
        return decode_words(name).replace("\\", "/").rsplit("/", 1)[-1] or None
    return None


def collect_parts(msg: Message, depth: int = 0, max_bytes: int | None = None) -> Parts:
    """Split a message into its text bodies and attachments (first level of nesting).

    Attachments larger than `max_bytes` are not decoded whole (see `_payload`).
    """
    parts = Parts([], [], [], [])
    for part in _walk(msg, depth):
        if isinstance(part, tuple):  # an attached mail
            parts.forwarded.append(part[1])
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        name = _filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not name:
            text = _decode_text(part)
            if text is not None and ctype == "text/plain":
                text, inline = uudecoded(text)
                parts.attachments.extend(inline)
            if text is not None:
                (parts.plain if ctype == "text/plain" else parts.html).append(text)
            continue
        if part.is_multipart():
            continue
        parts.attachments.append(Attachment(name, ctype, *_payload(part, max_bytes)))
    return parts


def _eight_bit_filename(part: Message) -> str | None:
    """The file name from the raw Content-Disposition/Content-Type, 8-bit bytes decoded first.

    compat32 turns a header with raw 8-bit bytes into "unknown-8bit" and its
    parameters into U+FFFD; decoded here first, "Lägesbild.docx" stays readable.
    """
    probe = Message()
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            probe[key] = eight_bit(str(value))[:MAX_HEADER_CHARS]
    return probe.get_filename()


_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} ([^\r\n]{1,255})\r?$", re.MULTILINE)
MAX_UU_FILES = 10


def uudecoded(text: str) -> tuple[str, list[Attachment]]:
    """Files uuencoded into a plain-text body ("begin 644 name" ... "end": HCL Notes, old
    clients), taken out of the text as attachments. One pass: each file's lines once."""
    if "begin " not in text:
        return text, []
    kept: list[str] = []
    files: list[Attachment] = []
    position = 0
    end = 0
    failed_at = 0  # a begin line before a line that failed to decode fails there too: not read again
    for match in _UU_BEGIN.finditer(text):
        if match.start() < max(position, failed_at):
            continue  # inside a file already taken, or bound to fail
        if end < match.end():  # the next "end" line after this one (found once for every begin before it)
            end = text.find("\nend", match.end())
        if end < 0 or len(files) >= MAX_UU_FILES:
            break
        data = bytearray()
        at = match.end() + 1
        try:
            while at < end:
                stop = text.find("\n", at, end)
                stop = end if stop < 0 else stop
                line = text[at:stop].rstrip("\r")
                if line.strip():
                    data += binascii.a2b_uu(line)
                at = stop + 1
        except (binascii.Error, ValueError):
            failed_at = at
            continue  # not uuencoded after all: the text stays
        files.append(Attachment(_base_name(match.group(1).strip()), "application/octet-stream", bytes(data)))
        kept.append(text[position:match.start()])
        position = end + len("\nend")
        position += text.startswith("\r\n", position) * 2 or text.startswith("\n", position)  # the end line's break
    kept.append(text[position:])
    return "".join(kept), files


def _base_name(name: str) -> str | None:
    return name.replace("\\", "/").rsplit("/", 1)[-1] or None


_HEAD_CHARS = 8192  # encoded characters decoded from an oversize part: enough to sniff its type


def _payload(part: Message, max_bytes: int | None) -> tuple[bytes, int]:
    """(decoded bytes, 0), or for a part over `max_bytes`: (its first bytes, its estimated size).

    The size is estimated from the encoded text, so a 25 MB attachment that
    will be refused anyway never costs another 25 MB to decode.
    """
    encoded = part.get_payload()
    if max_bytes is not None and isinstance(encoded, str):
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        estimate = len(encoded) * 3 // 4 if encoding == "base64" else len(encoded)
        if estimate > max_bytes:
            return _decode_head(encoded[:_HEAD_CHARS], encoding), estimate
    try:
        decoded = part.get_payload(decode=True)
        return decoded if isinstance(decoded, bytes) else b"", 0
    except Exception:  # noqa: BLE001 - broken base64 and friends
        return b"", 0


def _decode_head(text: str, encoding: str) -> bytes:
    try:
        if encoding == "base64":
            compact = re.sub(r"\s+", "", text)
            return base64.b64decode(compact[: len(compact) // 4 * 4])
        if encoding == "quoted-printable":
            return quopri.decodestring(text.encode("ascii", "ignore"))
        return text.encode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return b""


_ENCODED = ("base64", "quoted-printable")


def _decode_attached_mail(part: Message, inner: Message) -> Message | None:
    encoded = inner.get_payload()
    if not isinstance(encoded, str):
        return inner
    try:
        if header(part, "Content-Transfer-Encoding").strip().lower() == "base64":
            raw = base64.b64decode(encoded.encode("ascii", "ignore"), validate=False)
        else:
            raw = quopri.decodestring(encoded.encode("ascii", "ignore"))
    except (binascii.Error, ValueError):
        return None
    return parse_bytes(raw)


MAX_SIGNED_LEVELS = 3  # opaque S/MIME signatures opened, one inside another


def _signed_content(part: Message) -> Message | None:
    """The MIME entity inside an opaque signed S/MIME part (`smime.p7m`), or None.

    An encrypted one stays an attachment: containers.unpack turns it into the
    `encrypted` problem.
    """
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 and friends
        return None
    if not isinstance(data, bytes) or not data:
        return None
    kind, content = pkcs7_content(data)
    return parse_bytes(content) if kind == SIGNED and content else None


def _walk(msg: Message, depth: int):
    """Like Message.walk(), but yields ("rfc822", inner) for attached mails and bounds depth."""
    stack = [msg]
    seen = unwrapped = 0
    while stack:
        part = stack.pop(0)
        seen += 1
        if seen > 500:
            logger.warning("too many MIME parts; stopped at 500")
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
            if inner is not None and header(part, "Content-Transfer-Encoding").strip().lower() in _ENCODED:
                inner = _decode_attached_mail(part, inner)  # against RFC 2046, but clients do it
            if isinstance(inner, Message) and depth < MAX_DEPTH:
                yield ("rfc822", inner)
            continue
        if ctype.startswith("message/"):  # delivery-status and friends: no report inside
            continue
        if unwrapped < MAX_SIGNED_LEVELS and (ctype in PKCS7_TYPES or ctype == "application/octet-stream"
                                              and (_filename(part) or "").lower().endswith(".p7m")):
            signed = _signed_content(part)
            if signed is not None:  # opaque signed S/MIME: the signed entity is the mail's content
                unwrapped += 1
                stack.insert(0, signed)
                continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack[0:0] = [p for p in payload if isinstance(p, Message)]
            continue
        yield part


# "softfail" is left out on purpose: SPF soft-fails routinely on forwarded mail.
_AUTH_RESULT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*(fail|permerror)\b", re.IGNORECASE)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;()\"]+)", re.IGNORECASE)
HEADER_FROM_MISMATCH = "header.from mismatch"


def authentication_failures(msg: Message) -> list[str]:
    """Failed DKIM/SPF/DMARC checks in the topmost Authentication-Results header.

    Only the topmost one is written by our own receiving server; any further
    down came with the mail and could be forged. Where it names the From
    domain it checked (`header.from=`), that must be the domain of the
    sender address we use, else "header.from mismatch": the checks were
    about another address than the one we would count and answer.
    """
    values = raw_values(msg, "Authentication-Results")
    if not values:
        return []
    text = decode_words(values[0][:_AUTH_RESULTS_CHARS])
    failures = {f"{m.group(1).lower()}={m.group(2).lower()}" for m in _AUTH_RESULT.finditer(text)}
    checked = {_domain_of(m.group(1)) for m in _HEADER_FROM.finditer(text)}
    if checked:
        sender = sender_address(msg)
        if sender is None or checked != {_domain_of(sender)}:
            failures.add(HEADER_FROM_MISMATCH)
    return sorted(failures)


_AUTH_RESULTS_CHARS = 8192


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip(".").lower()
