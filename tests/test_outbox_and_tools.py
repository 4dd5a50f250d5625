"""Outbox retries against a real SMTP server; reprocess and demo on the local default."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailbot.app import poll_once, poller
from mailbot.cli import cli
from mailbot.demo import run_demo
from mailbot.sender import SmtpSender
from mailbot.store import open_db
from mailbot.web import _verify
from parsers.report import parse_message
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path)


def smtp_poller(config, server, clock):
    ctx = poller(config)
    p = ctx.__enter__()
    p.sender = SmtpSender(server.config())
    p.clock = clock
    return ctx, p


def test_temporary_failure_is_retried_later_and_sent_once(config, smtp_server):
    deliver(config, build_mail(body=template_text()))
    now = [datetime(2026, 11, 3, 10, 0, tzinfo=UTC)]
    ctx, p = smtp_poller(config, smtp_server, lambda: now[0])
    smtp_server.fail_with(451, "försök senare", times=1)
    first = p.run_once()
    assert first.sent == 0 and smtp_server.messages == []
    row = next(p.store.db["outbox"].rows)
    assert row["status"] == "queued" and row["attempts"] == 1 and "451" in row["last_error"]
    p.flush_outbox()  # not due yet: backoff
    assert smtp_server.messages == []
    now[0] += timedelta(minutes=5)
    p.flush_outbox()
    assert len(smtp_server.wait_for(1)) == 1
    p.flush_outbox()
    assert len(smtp_server.messages) == 1
    assert next(p.store.db["outbox"].rows)["status"] == "sent"
    ctx.__exit__(None, None, None)


def test_permanent_failure_gives_up_and_tells_the_administrators(config, smtp_server):
    deliver(config, build_mail(body=template_text()))
    ctx, p = smtp_poller(config, smtp_server, lambda: datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    smtp_server.fail_with(550, "okänd mottagare", times=1)
    p.run_once()
    rows = {r["kind"]: r for r in p.store.db["outbox"].rows}
    assert rows["receipt"]["status"] == "failed" and "550" in rows["receipt"]["last_error"]
    assert rows["admin_notice"]["status"] == "sent"
    [notice] = smtp_server.wait_for(1)
    assert notice.recipients == list(config.county.admins)
    assert "anna.berg@mora.se" in notice.message.get_body(("plain",)).get_content()
    ctx.__exit__(None, None, None)


def test_server_down_keeps_everything_queued(config, smtp_server):
    deliver(config, build_mail(body=template_text()))
    smtp_server.stop()
    ctx, p = smtp_poller(config, smtp_server, lambda: datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    p.run_once()
    assert next(p.store.db["outbox"].rows)["status"] == "queued"
    smtp_server.start()
    p.flush_outbox()
    assert len(smtp_server.wait_for(1)) == 1
    ctx.__exit__(None, None, None)


def test_reprocess_updates_stored_results_and_sends_nothing(config):
    deliver(config, (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes())
    with poller(config) as p:
        p.run_once()
    db = open_db(config.database)
    db.execute("update answers set score = null")  # as if an older parser had missed the ratings
    db.execute("update messages set kind = 'other'")
    db.conn.commit()
    before = len(list(config.outbox_dir.glob("*.eml")))
    result = CliRunner().invoke(cli, ["--config", config.source, "reprocess"])
    assert result.exit_code == 0, result.output
    assert "other Mora 2026-10 -> report Mora 2026-10 (changed)" in result.output
    db = open_db(config.database)
    assert [a["score"] for a in db["answers"].rows_where(order_by="question")][:6] == [2, 3, 1, 3, 1, 2]
    assert len(list(config.outbox_dir.glob("*.eml"))) == before


def test_reprocess_that_newly_counts_a_mail_queues_its_forwards_not_a_receipt(config):
    answers = [f"Svar {n}." for n in range(1, 8)]
    answers[4] = "Fortsatt droghandel vid torget."
    deliver(config, build_mail(body=template_text(answers=answers)))

    def older_parser(raw, context):  # as if an older parser had found no answers in this mail
        parsed = parse_message(raw, context)
        return dataclasses.replace(parsed, answers=type(parsed.answers)(), signals=type(parsed.signals)())

    with poller(config) as p:
        p.parse = older_parser
        assert p.run_once().review == 1
    db = open_db(config.database)
    assert db["submissions"].count == 0 and db["signals"].count == 0
    assert [r["kind"] for r in db["outbox"].rows] == ["receipt"]
    files = len(list(config.outbox_dir.glob("*.eml")))

    result = CliRunner().invoke(cli, ["--config", config.source, "reprocess"])
    assert result.exit_code == 0, result.output
    db = open_db(config.database)
    assert db["submissions"].count == 1
    assert db.execute("select rule, forwarded from signals").fetchall() == [("narkotika", 1)]
    rows = {r["kind"]: r for r in db["outbox"].rows}
    assert sorted(rows) == ["forward", "receipt"] and rows["forward"]["status"] == "queued"
    assert len(list(config.outbox_dir.glob("*.eml"))) == files  # reprocess itself sends nothing

    poll_once(config)  # the next poll's flush sends the forward
    kinds = [message_from_bytes(f.read_bytes(), policy=policy.default)["X-Mailbot-Kind"]
             for f in config.outbox_dir.glob("*.eml")]
    assert sorted(kinds) == ["forward", "receipt"]
    assert CliRunner().invoke(cli, ["--config", config.source, "reprocess"]).exit_code == 0
    assert open_db(config.database)["outbox"].count == 2  # counted already: nothing queued again


def test_a_sender_gets_at_most_three_automatic_replies_a_day_whatever_the_case(config):
    for n, sender in enumerate(["anna.berg@mora.se", "Anna.Berg@Mora.se", "ANNA.BERG@MORA.SE", "anna.berg@mora.se"]):
        deliver(config, build_mail(sender=f"Anna Berg <{sender}>", subject=f"Fråga {n}",
                                   body="Hej! När är nästa möte om samverkan?\n"))
    with poller(config) as p:
        p.run_once()
    db = open_db(config.database)
    replies = [r for r in db["outbox"].rows if r["kind"] == "reply"]
    assert len(replies) == 3 and {r["recipient"] for r in replies} == {"anna.berg@mora.se"}
    assert db["messages"].count == 4


def test_demo_shows_the_whole_path(config):
    text = run_demo(config, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert "6 read" in text and "Att granska" not in text
    files = list(config.outbox_dir.glob("*.eml"))
    assert len(files) >= 5  # receipts, the question's answer, admin notice (no answer to the out-of-office)
    db = open_db(config.database)
    assert {r["municipality"] for r in db["submissions"].rows} == {"Mora", "Avesta", "Orsa"}
    status = CliRunner().invoke(cli, ["--config", config.source, "status", "--period", "2026-10", "--json"])
    states = {m["name"]: m["status"] for m in json.loads(status.output)["municipalities"]}
    assert states["Mora"] == "on_time" and states["Orsa"] == "late" and states["Falun"] == "missing"
    # it says how to open the web desk on this data, with an account that works
    name, password = re.search(r"log in as '(\w+)' with the password '([^']+)'", text).groups()
    assert "mailbot web" in text and _verify(config, name, password) == {"name": name, "role": "admin"}
    assert _verify(config, name, password + "x") is None


def test_purge_removes_texts_but_keeps_ratings(config):
    deliver(config, (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes())
    with poller(config) as p:
        p.run_once()
    fresh = CliRunner().invoke(cli, ["--config", config.source, "purge", "--older-than", "30"])
    assert fresh.exit_code == 0 and "purged: 0 mail(s)" in fresh.output  # nothing is old yet
    db = open_db(config.database)
    db.execute("update messages set processed_at = '2020-01-01T00:00:00+00:00'")
    db.execute("update outbox set created_at = '2020-01-01T00:00:00+00:00'")
    db.conn.commit()
    result = CliRunner().invoke(cli, ["--config", config.source, "purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    db = open_db(config.database)
    assert db.execute("select count(*) from messages where raw is not null").fetchone()[0] == 0
    assert {a["text"] for a in db["answers"].rows} == {""}
    assert [a["score"] for a in db["answers"].rows_where(order_by="question")][:6] == [2, 3, 1, 3, 1, 2]
    assert {len(r["raw"]) for r in db["outbox"].rows} == {0}
    status = CliRunner().invoke(cli, ["--config", config.source, "status", "--period", "2026-10", "--json"])
    assert '"Mora", "status": "on_time"' in status.output
