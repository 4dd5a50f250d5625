"""`mailbot demo`: a newcomer's tour of the whole path, with no server.

Drops a handful of example mails into the local Maildir of the embedded
default, runs one poll, and prints what happened: which mails counted,
which went for review, and the receipts written to the file outbox.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import docx

from parsers.questions import QUESTIONS
from parsers.vocabulary import MONTH_NAMES

from .config import Config, DeadlineConfig
from .deadlines import SWEDEN, deadline_for, format_period, parse_period, previous_month


def _report_text(municipality: str, scores: list[int | None], answers: list[str]) -> str:
    lines = [f"Underlaget inlämnat av kommun: {municipality}", ""]
    for q in QUESTIONS:
        lines += [f"Fråga {q.number}, {q.title}:", answers[q.number - 1]]
        if q.rated and scores[q.number - 1] is not None:
            lines.append(f"Påverkan: {scores[q.number - 1]}")
        lines += ["Kommentar:", ""]
    return "\n".join(lines)


def _mail(sender: str, to: str, subject: str, body: str, when: datetime,
          attachment: tuple[str, bytes] | None = None, headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1].rstrip(">"))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename=attachment[0])
    return bytes(msg)


def _docx(text: str, month: str) -> bytes:
    document = docx.Document()
    document.add_heading(f"Mall för lägesbildsinsamling - Sociala risker, {month} månad", 1)
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def demo_period(now: datetime, rule: DeadlineConfig) -> tuple[str, datetime, datetime]:
    """The latest period whose late demo report (two days after its deadline) already lies in the past,
    with the arrival times of an on-time and a late report (both before `now`)."""
    year, month = previous_month(now.year, now.month)
    while True:
        deadline = datetime.combine(deadline_for(year, month, rule), time(9), SWEDEN)
        on_time, late = deadline - timedelta(days=2), deadline + timedelta(days=2)
        if late < now:
            return format_period(year, month), on_time, late
        year, month = previous_month(year, month)


def demo_mails(now: datetime, to: str, rule: DeadlineConfig | None = None) -> list[tuple[str, bytes, datetime]]:
    """(description, raw mail to `to`, arrival time) for the tour: reports for `demo_period`, all arrived by `now`."""
    period, on_time, late = demo_period(now, rule or DeadlineConfig())
    month = MONTH_NAMES[parse_period(period)[1] - 1]
    quiet = ["Lugnt under perioden."] * 6 + ["Nattvandring varje fredag."]
    worried = ["Skadegörelse vid resecentrum.", "Hot mot personal på fritidsgården.", "Inget att rapportera.",
               "Bråk vid högstadieskolan.", "Fältgruppen har sett tecken på narkotikahandel vid skateparken.",
               "Inget övrigt.", "Trygghetsvandring med polisen."]
    with_problems = list(quiet)
    with_problems[1] = "En elev (850709-9805) hotade en lärare."
    return [
        ("Mora: report in the mail body, on time",
         _mail("Anna Berg <anna.berg@mora.se>", to, f"Lägesbild {month} Mora",
               "Hej!\n\n" + _report_text("Mora", [1, 2, 1, 1, 1, 1], quiet), on_time), on_time),
        ("Avesta: Word report mentioning drug dealing",
         _mail("Tobias Rosén <tobias.rosen@avesta.se>", to, f"Lägesbild {month} Avesta", "Hej, se bifogad fil.\n",
               on_time,
               ("Lägesbild Avesta.docx", _docx(_report_text("Avesta", [3, 2, 1, 3, 4, 1], worried), month))), on_time),
        ("Orsa: late, a missing rating and an identity number",
         _mail("Magnus Lind <magnus.lind@orsa.se>", to, f"Lägesbild {month} Orsa",
               _report_text("Orsa", [1, 2, None, 1, 1, 1], with_problems), late), late),
        ("Unregistered sender claiming Älvdalen",
         _mail("Sara Nord <sara.nord.privat@gmail.com>", to, f"Lägesbild {month} Älvdalen",
               _report_text("Älvdalen", [1] * 6, quiet), on_time), on_time),
        ("Out-of-office reply (gets no answer)",
         _mail("Per Holm <per.holm@falun.se>", to, "Automatiskt svar: Påminnelse lägesbild",
               "Jag är på semester och läser inte mejl förrän nästa vecka.\n", on_time,
               headers={"Auto-Submitted": "auto-replied"}), on_time),
        ("A question, not a report",
         _mail("Lisa Ståhl <lisa.stahl@borlange.se>", to, "Fråga om mallen",
               "Hej! Var hittar jag den nya mallen?\n", on_time), on_time),
    ]


def run_demo(config: Config, now: datetime | None = None) -> str:
    """Drop the demo mails into the local Maildir, poll once, and describe what happened."""
    from .app import poll_once
    from .maildir_mailbox import MaildirMailbox

    if config.imap is not None or config.smtp is not None:
        raise SystemExit("mailbot demo runs only on the local Maildir and file outbox (no [imap]/[smtp]).")
    now = now or datetime.now(UTC)
    before = set(config.outbox_dir.glob("*.eml")) if config.outbox_dir.exists() else set()
    mailbox = MaildirMailbox(config.maildir)
    try:
        period = demo_period(now, config.deadline)[0]
        mails = demo_mails(now, config.county.mailbox, config.deadline)
        for _, raw, when in mails:
            mailbox.append(config.folders.inbox, raw, when)
    finally:
        mailbox.close()
    report = poll_once(config)
    written = sorted(set(config.outbox_dir.glob("*.eml")) - before)
    lines = [f"Dropped {len(mails)} example mails into {config.maildir}:"]
    lines += [f"  - {description}" for description, _, _ in mails]
    lines += ["", f"Poll: {report.seen} read, {report.processed} processed, {report.review} for review, "
                  f"{report.sent} mails written to {config.outbox_dir}:"]
    for path in written:
        subject, to = _headers(path.read_bytes())
        lines.append(f"  - {path.name}: to {to}: {subject}")
    lines += ["", f"Database: {config.database}. Try: mailbot status --period {period}, or open an .eml above."]
    lines += ["", *desk_instructions(config, period)]
    return "\n".join(lines)


DEMO_USER = "demo"


def desk_instructions(config: Config, period: str) -> list[str]:
    """Give the demo database an administrator account with a fresh password, and say how to open the desk."""
    import secrets

    from .web import add_user

    password = secrets.token_urlsafe(9)
    add_user(config, DEMO_USER, "admin", password)  # a second demo run sets a new password
    return [
        "The web desk on this data: run `mailbot web`, open http://127.0.0.1:8025/"
        f"?period={period} and log in as {DEMO_USER!r} with the password {password!r}",
        "(an administrator account in this demo database only; a reader: "
        "`mailbot web user add ledning --role reader`, password on stdin).",
    ]


def _headers(raw: bytes) -> tuple[str, str]:
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    return str(msg["Subject"]), str(msg["To"])
