"""The daily county job, driven day by day through a month (no real waiting)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.county import run_county_jobs
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.reminders import due_reminders
from tests.mailbuilder import build_mail, template_text

CET = timezone(timedelta(hours=1))


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    return load_config(path)


def report(config, sender: str, subject: str, day: date) -> None:
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", build_mail(sender=sender, subject=subject, body=template_text(), date=datetime.combine(day, time(9), CET)),
               datetime.combine(day, time(9), CET))
    box.close()
    poll_once(config)


def sent(config) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(config.outbox_dir.glob("*.eml"))]


def test_a_month_of_reminders(config):
    # September reports tell the bot who the coordinators are.
    for sender in ("anna@mora.se", "erik@falun.se", "olle@orsa.se"):
        report(config, sender, "Lägesbild september", date(2026, 10, 2))
    receipts = len(sent(config))
    day = date(2026, 10, 25)
    while day <= date(2026, 11, 30):
        if day == date(2026, 11, 3):
            report(config, "anna@mora.se", "Lägesbild oktober", day)  # on time
        if day == date(2026, 11, 10):
            report(config, "olle@orsa.se", "Lägesbild oktober", day)  # late
        run_county_jobs(config, day, send_summary=False)
        run_county_jobs(config, day, send_summary=False)  # twice a day changes nothing
        day += timedelta(days=1)

    mails = sent(config)[receipts:]
    reminders = Counter((m["X-Mailbot-Kind"], m["To"], m["Subject"].split(":")[0]) for m in mails
                        if m["X-Mailbot-Kind"] in ("reminder", "admin_notice"))
    assert reminders == Counter({
        ("reminder", "erik@falun.se", "Påminnelse"): 1,   # before the deadline, not yet reported
        ("reminder", "olle@orsa.se", "Påminnelse"): 1,
        ("reminder", "erik@falun.se", "Lägesbild för oktober 2026 saknas"): 1,  # the day after
        ("reminder", "olle@orsa.se", "Lägesbild för oktober 2026 saknas"): 1,
        ("admin_notice", "lagesbild-fas.dalarna@lansstyrelsen.se", "mailbot"): 1,
    })
    assert not any(m["To"] == "anna@mora.se" and m["X-Mailbot-Kind"] == "reminder" for m in mails)
    admin = next(m for m in mails if m["X-Mailbot-Kind"] == "admin_notice").get_body(("plain",)).get_content()
    assert "Falun" in admin and "Orsa" in admin and "Mora" not in admin.split("saknas från")[1].split("Aktuell")[0]
    assert "ingen känd kontaktadress" in admin  # the twelve with no known address


def test_reminder_days_are_relative_to_the_configured_deadline():
    config = load_config()
    # May 2026 under "last working day": the deadline is Friday 29 May (the 31st is a Sunday)
    status = {"period": "2026-05", "deadline": "2026-05-29",
              "municipalities": [{"name": "Mora", "status": "pending", "received": None}]}
    contacts = {"Mora": ("anna@mora.se",)}
    assert due_reminders(config, status, date(2026, 5, 25), contacts) == []
    [reminder] = due_reminders(config, status, date(2026, 5, 26), contacts)
    assert reminder.recipients == ("anna@mora.se",) and "2026-05-29" in reminder.subject
    status["municipalities"][0]["status"] = "on_time"
    assert due_reminders(config, status, date(2026, 5, 27), contacts) == []  # reported: no reminder
