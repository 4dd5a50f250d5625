"""Outgoing mail: render a template and build the message bytes.

Everything that came from an incoming mail (subject, names, file names) is
cleaned of line breaks before it goes into a header, and HTML templates
autoescape, so no mail can inject headers or markup into what we send.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import cast

import jinja2

from parsers.personal_data import mask

from .decide import Outgoing
from .store import utcnow

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("outbox_templates", ""),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def header_safe(value: str, limit: int = 200) -> str:
    """`value` fit for an unstructured header: one line, no lone surrogates, no literal encoded words.

    The email package re-reads "=?charset?q?...?=" in a header value as an encoded
    word and fails to fold malformed ones; a subject that came from a mail with a
    broken encoded word must come out as text, never as an exception.
    """
    value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from undecodable bytes
    value = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+", " ", value).replace("=?", "= ?")  # incl. NEL, LS, PS
    return value.strip()[:limit]


_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>")  # printable ASCII, no <>


def message_ids(values) -> list[str]:
    """The syntactically valid Message-IDs among `values` (anything else is dropped, not sent on)."""
    return [m for v in values if v for m in _MESSAGE_ID.findall(v)][:20]


def message_id_for(dedupe_key: str, sender: str) -> str:
    """A Message-ID derived from the outbox key: the same row always gets the same ID."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "mailbot.invalid"
    return f"<mailbot.{digest}@{domain}>"


def render(template: str, context: dict) -> tuple[str, str | None]:
    text = _ENV.get_template(f"{template}.txt.j2").render(**context)
    try:
        html = _ENV.get_template(f"{template}.html.j2").render(**context)
    except jinja2.TemplateNotFound:
        html = None
    return text, html


@dataclass(frozen=True)
class InlineImage:
    """A picture shown inside the HTML part, which refers to it as `<img src="cid:{cid}">`.

    `cid` is given without angle brackets, e.g. "heatmap.2026-03@mailbot".
    It may be passed to `build_message` either as `inline=[...]` or among
    the `attachments` (so callers that only forward attachments need no change).
    """

    cid: str
    data: bytes
    maintype: str = "image"
    subtype: str = "png"
    filename: str | None = None


def build_message(out: Outgoing, sender: str,
                  attachments: Sequence[tuple[str, bytes, str, str] | InlineImage] = (),
                  inline: Sequence[InlineImage] = ()) -> tuple[str, bytes]:
    """(Message-ID, message bytes) for an outgoing mail.

    With inline images the HTML alternative becomes multipart/related:
    mixed( alternative( text/plain, related( text/html, image/png ) ), attachments... ).
    Personal identity numbers are masked in the subject, the text and file names
    (attachments built by mailbot, such as the workbook, are masked where they are made).
    """
    text, html = render(out.template, out.context)
    text, html = mask(text), mask(html) if html else None
    images = [*inline, *(a for a in attachments if isinstance(a, InlineImage))]
    files = [a for a in attachments if not isinstance(a, InlineImage)]
    if images and not html:
        raise ValueError(f"template {out.template!r} has no HTML part to show inline images in")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(out.recipients)
    msg["Subject"] = header_safe(mask(out.subject))
    msg["Date"] = format_datetime(utcnow())
    message_id = message_id_for(out.dedupe_key, sender)
    msg["Message-ID"] = message_id
    in_reply_to = message_ids([out.in_reply_to])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to[0]
        msg["References"] = " ".join(message_ids(out.references) or in_reply_to)
    msg["Auto-Submitted"] = "auto-replied" if out.kind in ("receipt", "reply") else "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Mailbot-Kind"] = out.kind
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
        payload = msg.get_payload()
        assert isinstance(payload, list)  # multipart/alternative: [text/plain, text/html]
        html_part = cast(EmailMessage, payload[-1])
        for image in images:
            html_part.add_related(image.data, maintype=image.maintype, subtype=image.subtype,
                                  cid=f"<{header_safe(image.cid, 250)}>", disposition="inline",
                                  filename=header_safe(mask(image.filename)) if image.filename else None)
    for filename, data, maintype, subtype in files:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_safe(mask(filename)))
    return message_id, msg.as_bytes(policy=policy.SMTP)  # CRLF line ends, as SMTP wants them
