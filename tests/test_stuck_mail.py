"""A mail that fails every pass is stored as it is after three, held for review, and the administrators told once."""

from __future__ import annotations

from email import message_from_bytes, policy

from mailbot.app import poller
from mailbot.config import load_config
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from tests.mailbuilder import build_mail, deliver, template_text


def test_a_mail_failing_three_passes_is_held_and_reported_once(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n'
        '[county]\nadmins = ["it@lansstyrelsen.example"]\n')
    config = load_config(tmp_path / "config.toml")
    raw = build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body=template_text())
    deliver(config, raw)

    def broken(raw, context):
        raise RuntimeError("a parser bug")

    for attempt in range(4):
        with poller(config) as p:
            p.parse = broken
            report = p.run_once()
        assert report.errors == (1 if attempt < 3 else 0)
    box = MaildirMailbox(config.maildir)
    assert box.waiting()[1] == []  # no longer stuck in the inbox
    box.close()
    db = open_db(config.database)
    [stored] = list(db["messages"].rows)
    assert stored["raw"] == raw and stored["target_folder"] == "review"
    assert [p["code"] for p in db["problems"].rows] == ["processing_error"]
    db.close()
    notices = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in config.outbox_dir.glob("*.eml")]
    assert len(notices) == 1 and notices[0]["To"] == "it@lansstyrelsen.example"
    text = notices[0].get_body(("plain",)).get_content()
    assert "3 gånger i rad" in text and "RuntimeError: a parser bug" in text
