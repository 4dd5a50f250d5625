"""The administrators' daily digest of held mail: one a day, each held mail once, with the command to resolve it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from mailbot.app import poll_once
from mailbot.county import run_county_jobs
from mailbot.maildir_mailbox import MaildirMailbox
from tests.mailbuilder import build_mail, template_text
from tests.server_config import local_config

CET = timezone(timedelta(hours=1))


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path)


def deliver(config, *raws: bytes) -> None:
    box = MaildirMailbox(config.maildir)
    for raw in raws:
        box.append("INBOX", raw, datetime.combine(date(2026, 11, 3), time(9), CET))
    box.close()
    poll_once(config)


def digests(config) -> list[str]:
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(config.outbox_dir.glob("*.eml"))]
    return [m.get_body(("plain",)).get_content() for m in mails if "att granska" in str(m["Subject"])]


def test_held_mail_is_listed_once_in_one_digest_a_day(config):
    spam = build_mail(sender="offers@spam.example", subject="Billiga klockor", body="Köp nu!")
    gmail = build_mail(sender="Sara Nord <sara.nord@gmail.com>", subject="Lägesbild oktober Mora",
                       body=template_text())
    deliver(config, spam, gmail)
    assert digests(config) == []  # nothing announced mail by mail

    run_county_jobs(config, date(2026, 11, 4))
    run_county_jobs(config, date(2026, 11, 4))  # twice the same day: one digest
    [first] = digests(config)
    assert "2 mejl har lagts i mappen \"Att granska\"" in first
    assert "offers@spam.example" in first and "ingen lägesbild hittades" in first
    assert "mailbot review accept 2 --municipality Mora --register" in first
    assert "mailbot review reject 1" in first

    run_county_jobs(config, date(2026, 11, 5))  # nothing new held: no digest
    assert len(digests(config)) == 1

    deliver(config, build_mail(sender="x@other.example", subject="Fråga", body="Hej"))
    run_county_jobs(config, date(2026, 11, 6))
    second = digests(config)[-1]
    assert "1 mejl har lagts" in second and "x@other.example" in second and "offers@spam.example" not in second
