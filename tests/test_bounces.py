"""Bounces: the administrators learn which address failed, which of our mails, for whom and why;
the next reminder goes to another known address of that municipality."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailbot.app import poll_once
from mailbot.county import run_county_jobs
from mailbot.maildir_mailbox import MaildirMailbox
from parsers.dsn import delivery_failures, reason_in_swedish
from parsers.mime import parse_bytes
from tests.mailbuilder import MAILBOX, build_mail, template_text
from tests.server_config import local_config

CET = timezone(timedelta(hours=1))
SAMPLES = Path(__file__).resolve().parent / "samples" / "bounce"


def dsn(recipient: str, original_id: str, status: str = "5.1.1", text: str = "550 5.1.1 User unknown") -> bytes:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.mora.se>
To: {MAILBOX}
Subject: Undelivered Mail Returned to Sender
Date: Thu, 5 Nov 2026 08:00:00 +0100
Message-ID: <bounce-{recipient}@mx.mora.se>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.mora.se. I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.mora.se

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp; {text}

--B
Content-Type: text/rfc822-headers

From: {MAILBOX}
To: {recipient}
Subject: =?utf-8?q?P=C3=A5minnelse?=
Message-ID: {original_id}

--B--
""".replace("\n", "\r\n").encode()


@pytest.mark.parametrize("name, address, status, words", [
    ("exchange-ndr-sv.eml", "sofia.berglund@leksand.se", "5.2.2", "brevlåda är full"),
    ("exim-mail-delivery-failed.eml", "jonas.ek@malung-salen.se", "5.0.0", "brevlåda är full"),
    ("postfix-undelivered.eml", "per.olsson@smedjebacken.se", "5.1.10", "adressen finns inte"),
])
def test_real_bounces_name_the_address_the_reason_and_our_mail(name, address, status, words):
    [failure] = delivery_failures(parse_bytes((SAMPLES / name).read_bytes()))
    assert (failure.recipient, failure.status, failure.permanent) == (address, status, True)
    assert failure.original_message_id.endswith("@mailbot.lansstyrelsen.se>")
    assert words in reason_in_swedish(failure.status, failure.diagnostic)


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path)


def deliver(config, raw: bytes, day: date) -> None:
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", raw, datetime.combine(day, time(9), CET))
    box.close()
    poll_once(config)


def sent(config) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(config.outbox_dir.glob("*.eml"))]


def test_a_bounced_reminder_is_explained_and_the_next_one_goes_elsewhere(config):
    deliver(config, build_mail(sender="erik@mora.se", subject="Lägesbild augusti", body=template_text()), date(2026, 9, 2))
    deliver(config, build_mail(sender="anna@mora.se", subject="Lägesbild september", body=template_text()),
            date(2026, 10, 2))
    run_county_jobs(config, date(2026, 11, 4), send_summary=False)  # reminder before the October deadline
    [reminder] = [m for m in sent(config) if m["X-Mailbot-Kind"] == "reminder" and "mora" in m["To"]]
    assert reminder["To"] == "anna@mora.se"

    deliver(config, dsn("anna@mora.se", reminder["Message-ID"]), date(2026, 11, 5))
    [notice] = [m for m in sent(config) if m["X-Mailbot-Kind"] == "admin_notice"]
    text = notice.get_body(("plain",)).get_content()
    assert notice["Subject"] == "mailbot: mejl till anna@mora.se kom inte fram"
    assert "Mottagare: anna@mora.se (Mora)" in text and "Vårt mejl: påminnelse" in text
    assert "adressen finns inte" in text and "550 5.1.1 User unknown" in text
    assert "mailer-daemon" not in notice["Subject"].lower()

    run_county_jobs(config, date(2026, 11, 8), send_summary=False)  # the notice after the deadline
    after = [m for m in sent(config) if m["X-Mailbot-Kind"] == "reminder" and "saknas" in m["Subject"]
             and "mora" in m["To"]]
    assert [m["To"] for m in after] == ["erik@mora.se"]
