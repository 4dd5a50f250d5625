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

from .decide import Outgoing
from .store import utcnow

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("outbox_templates", ""),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def header_safe(value: str, limit: int = 200) -> str:
    return re.sub(r"[\r\n\x00-\x1f]+", " ", value).strip()[:limit]


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
    """
    text, html = render(out.template, out.context)
    images = [*inline, *(a for a in attachments if isinstance(a, InlineImage))]
    files = [a for a in attachments if not isinstance(a, InlineImage)]
    if images and not html:
        raise ValueError(f"template {out.template!r} has no HTML part to show inline images in")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(out.recipients)
    msg["Subject"] = header_safe(out.subject)
    msg["Date"] = format_datetime(utcnow())
    message_id = message_id_for(out.dedupe_key, sender)
    msg["Message-ID"] = message_id
    if out.in_reply_to:
        msg["In-Reply-To"] = header_safe(out.in_reply_to, 998)
        msg["References"] = header_safe(" ".join(out.references), 998)
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
                                  filename=header_safe(image.filename) if image.filename else None)
    for filename, data, maintype, subtype in files:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_safe(filename))
    return message_id, msg.as_bytes(policy=policy.SMTP)  # CRLF line ends, as SMTP wants them
