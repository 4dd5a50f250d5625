"""Build test mails with email.message.EmailMessage instead of hand-written strings; deliver them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailbot.maildir_mailbox import MaildirMailbox

MAILBOX = "lagesbild-fas.dalarna@lansstyrelsen.se"

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def build_mail(
    sender: str = "Anna Berg <anna.berg@mora.se>",
    subject: str = "Lägesbild oktober Mora",
    body: str | None = "Hej!\nHär kommer lägesbilden.\n",
    html: str | None = None,
    attachments: list[tuple[str, bytes, tuple[str, str]]] = (),
    date: datetime = datetime(2026, 11, 3, 9, 12, tzinfo=UTC),
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    for key, value in (headers or {}).items():
        msg[key] = value
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, data, (maintype, subtype) in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def template_text(
    scores=(1, 2, 1, 2, 1, 2),
    answers=None,
    style: str = "fraga",
    rating_label: str = "Påverkan: {}",
    municipality: str | None = "Mora",
) -> str:
    """The Dalarna template as plain text, filled in.

    `municipality` is named in "Underlaget inlämnat av kommun: ..."; None leaves the
    line out (the registered sender decides), for mails from other municipalities.
    """
    titles = [
        "Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
        "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt",
        "Positiva åtgärder eller händelser",
    ]
    answers = answers or [f"Svar på fråga {n}." for n in range(1, 8)]
    lines = [f"Underlaget inlämnat av kommun: {municipality}", ""] if municipality else [""]
    for n, title in enumerate(titles, start=1):
        lines.append(f"Fråga {n}, {title}:" if style == "fraga" else f"{n}. {title}")
        lines.append(answers[n - 1])
        if n <= 6 and scores[n - 1] is not None:
            lines.append(rating_label.format(scores[n - 1]))
        lines.append("Kommentar:")
        lines.append("")
    return "\n".join(lines)


ARRIVED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # in time for October's deadline


def deliver(config, *raws: bytes, when: datetime | None = ARRIVED) -> None:
    """Put mails into the INBOX of `config`'s local Maildir, arrived at `when` (None: now)."""
    box = MaildirMailbox(config.maildir)
    try:
        for raw in raws:
            box.append("INBOX", raw, when)
    finally:
        box.close()
