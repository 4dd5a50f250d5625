"""The whole path on the embedded default's parts: a local Maildir and a file outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailbot.app import poll_once
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config

SAMPLES = Path(__file__).resolve().parent / "samples"
ARRIVED = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path, database="db/mailbot.db")


def outbox(config) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(config.outbox_dir.glob("*.eml"))]


def folder_count(config, name: str) -> int:
    box = MaildirMailbox(config.maildir)
    try:
        if name == "INBOX":
            return len(box.waiting()[1])
        return len(list((config.maildir / f".{name}" / "cur").iterdir()) + list((config.maildir / f".{name}" / "new").iterdir()))
    finally:
        box.close()


def test_report_is_stored_receipted_and_moved(config):
    raw = (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes()
    deliver(config, raw)
    report = poll_once(config)
    assert (report.seen, report.processed, report.sent) == (1, 1, 1)
    [receipt] = outbox(config)
    assert receipt["To"] == "anna.berg@mora.se"
    assert receipt["Subject"] == "SV: Lägesbild oktober Mora"
    original_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
    assert receipt["In-Reply-To"] == original_id and receipt["Auto-Submitted"] == "auto-replied"
    text = receipt.get_body(("plain",)).get_content()
    assert "Mora, oktober 2026" in text and "i tid" in text
    db = open_db(config.database)
    [submission] = list(db["submissions"].rows)
    assert (submission["municipality"], submission["period"], submission["on_time"]) == ("Mora", "2026-10", 1)
    assert db["answers"].count == 7
    assert folder_count(config, "INBOX") == 0 and folder_count(config, "Behandlade") == 1


def test_second_poll_sends_nothing(config):
    deliver(config, (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes())
    poll_once(config)
    again = poll_once(config)
    assert (again.seen, again.sent) == (0, 0)
    assert len(outbox(config)) == 1


def test_resubmission_supersedes_and_says_so(config):
    first = build_mail(subject="Lägesbild oktober", body=template_text(scores=(1, 1, 1, 1, 1, 1)))
    second = build_mail(subject="Lägesbild oktober, rättad", body=template_text(scores=(3, 3, 3, 3, 3, 3)))
    deliver(config, first)
    poll_once(config)
    deliver(config, second, when=datetime(2026, 11, 4, 8, 0, tzinfo=UTC))
    poll_once(config)
    db = open_db(config.database)
    rows = list(db["submissions"].rows_where(order_by="id"))
    assert [r["is_current"] for r in rows] == [0, 1] and rows[0]["superseded_by"] == rows[1]["id"]
    current_scores = [a["score"] for a in db["answers"].rows_where("submission_id = ?", [rows[1]["id"]])]
    assert current_scores[:6] == [3] * 6
    receipts = outbox(config)
    assert "ersätter" in receipts[-1].get_body(("plain",)).get_content()


def test_out_of_office_gets_no_answer(config):
    deliver(config, (SAMPLES / "auto_reply" / "exchange-oof-sv.eml").read_bytes())
    report = poll_once(config)
    assert report.seen == 1 and report.sent == 0
    assert outbox(config) == []


def test_problems_and_unknown_sender_go_for_review(config):
    deliver(config, (SAMPLES / "reports" / "unknown-sender-alvdalen.eml").read_bytes(),
            (SAMPLES / "reports" / "personal-data-hedemora.eml").read_bytes())
    report = poll_once(config)
    assert report.review == 2
    kinds = sorted(m["X-Mailbot-Kind"] for m in outbox(config))
    assert kinds == ["receipt", "receipt"]  # the administrators hear of both in the daily digest
    db = open_db(config.database)
    assert [r["municipality"] for r in db["submissions"].rows] == ["Hedemora"]  # the unknown sender is not counted
    assert folder_count(config, "Att granska") == 2
    hedemora = next(m for m in outbox(config) if m["To"] == "olle.dahl@hedemora.se")
    assert "personnummer" in hedemora.get_body(("plain",)).get_content()


class MoveFailsOnce(MaildirMailbox):
    """A real Maildir whose first move fails, as when the process dies right after the commit."""

    failed = False

    def move(self, uid, folder):
        if not MoveFailsOnce.failed:
            MoveFailsOnce.failed = True
            raise OSError("simulated crash between commit and move")
        super().move(uid, folder)


def test_crash_between_commit_and_move_is_finished_next_pass(config):
    from mailbot.app import poller

    deliver(config, (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes())
    with poller(config, mailbox=MoveFailsOnce(config.maildir)) as p:
        first = p.run_once()
    assert first.errors == 1 and folder_count(config, "INBOX") == 1
    second = poll_once(config)
    assert second.seen == 1 and folder_count(config, "INBOX") == 0
    db = open_db(config.database)
    assert db["messages"].count == 1 and db["submissions"].count == 1
    assert len(outbox(config)) == 1  # queued once, sent once


def test_mail_failing_dmarc_is_held_not_counted_not_answered(config):
    raw = b"Authentication-Results: mx.lansstyrelsen.se; spf=fail smtp.mailfrom=mora.se; dmarc=fail\r\n" + \
        (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes()
    deliver(config, raw)
    report = poll_once(config)
    assert report.review == 1
    assert [m["X-Mailbot-Kind"] for m in outbox(config)] == ["admin_notice"]
    assert "dmarc=fail" in outbox(config)[0].get_body(("plain",)).get_content()
    assert open_db(config.database)["submissions"].count == 0
    assert folder_count(config, "Att granska") == 1
