"""The daily county job, driven day by day through a month (no real waiting)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.county import run_county_jobs
from mailbot.reminders import due_reminders
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config

CET = timezone(timedelta(hours=1))


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path)


def report(config, sender: str, subject: str, day: date) -> None:
    when = datetime.combine(day, time(9), CET)
    deliver(config, build_mail(sender=sender, subject=subject, body=template_text(municipality=None), date=when),
            when=when)
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
        ("admin_notice", "it@lansstyrelsen.example", "mailbot"): 1,
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


def test_summary_goes_out_once_after_the_deadline(config):
    import io

    from openpyxl import load_workbook

    report(config, "anna@mora.se", "Lägesbild oktober", date(2026, 11, 3))
    report(config, "erik@falun.se", "Lägesbild oktober", date(2026, 11, 5))
    before = len(sent(config))
    for day in (date(2026, 11, 6), date(2026, 11, 7)):  # up to and on the deadline: no summary
        run_county_jobs(config, day)
    assert not any(m["X-Mailbot-Kind"] == "summary" for m in sent(config)[before:])
    for day in (date(2026, 11, 8), date(2026, 11, 9), date(2026, 11, 20)):
        run_county_jobs(config, day)
    mails = sent(config)[before:]
    summaries = [m for m in mails if m["X-Mailbot-Kind"] == "summary"]
    feedback = sorted(m["To"] for m in mails if m["X-Mailbot-Kind"] == "feedback")
    assert len(summaries) == 1 and feedback == ["anna@mora.se", "erik@falun.se"]
    summary = summaries[0]
    assert set(summary["To"].addresses[i].addr_spec for i in range(len(summary["To"].addresses))) == \
        set(config.county.leadership) | set(config.county.admins)
    png = next(p for p in summary.walk() if p.get_content_type() == "image/png")
    assert png.get_content()[:8] == b"\x89PNG\r\n\x1a\n" and png["Content-ID"]
    xlsx = next(p for p in summary.walk() if (p.get_filename() or "").endswith(".xlsx"))
    book = load_workbook(io.BytesIO(xlsx.get_content()))
    assert book["1 Ordningsstörningar"]["A4"].value == "Avesta"
    text = summary.get_body(("plain",)).get_content()
    assert "Mora" in text and "Falun" in text


def test_summary_and_export_commands(config, tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from mailbot.cli import cli

    report(config, "anna@mora.se", "Lägesbild oktober", date(2026, 11, 3))
    printed = CliRunner().invoke(cli, ["--config", config.source, "summary", "--period", "2026-10"])
    assert printed.exit_code == 0, printed.output
    assert "Mora" in printed.output
    out = tmp_path / "lagesbild-2026.xlsx"
    result = CliRunner().invoke(cli, ["--config", config.source, "export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["1 Ordningsstörningar"]
    mora_row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "Mora")
    assert mora_row[10].value == "Normalt"  # column K = oktober; template_text() rates question 1 with 1


def test_reminder_days_come_from_the_configuration():
    from dataclasses import replace

    from mailbot.config import ReminderConfig

    status = {"period": "2026-10", "deadline": "2026-11-07",
              "municipalities": [{"name": "Mora", "status": "pending", "received": None}]}
    contacts = {"Mora": ("anna@mora.se",)}
    week = replace(load_config(), reminders=ReminderConfig(days_before=7, notice_days_after=2))
    assert len(due_reminders(week, status, date(2026, 10, 31), contacts)) == 1  # 7 days before
    status["municipalities"][0]["status"] = "missing"
    assert due_reminders(week, status, date(2026, 11, 8), contacts) == []  # notice only from day 2
    assert len(due_reminders(week, status, date(2026, 11, 9), contacts)) == 2  # notice + admin list
    none = replace(load_config(), reminders=ReminderConfig(days_before=0))
    status["municipalities"][0]["status"] = "pending"
    assert due_reminders(none, status, date(2026, 11, 6), contacts) == []
