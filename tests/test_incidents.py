"""The mailbox cannot be read: the administrators are told once per incident, and again at recovery."""

from __future__ import annotations

from datetime import timedelta

from mailbot.config import load_config
from mailbot.incidents import due_notices
from mailbot.store import Store, open_db, utcnow
from tests.dovecot import PASSWORD
from tests.server_config import write_server_config


def test_down_is_told_after_the_grace_time_and_up_once(tmp_path):
    (tmp_path / "config.toml").write_text('[storage]\ndatabase = "db.sqlite"\n[schedule]\nmailbox_down_minutes = 30\n')
    config = load_config(tmp_path / "config.toml")
    db = open_db(config.database)
    store = Store(db)
    now = utcnow()
    store.record_pass({"at": (now - timedelta(minutes=50)).isoformat(), "ok": 1})
    store.record_pass({"at": (now - timedelta(minutes=45)).isoformat(), "ok": 0, "error": "IMAP login refused"})
    store.record_pass({"at": (now - timedelta(minutes=20)).isoformat(), "ok": 0, "error": "IMAP login refused"})
    assert due_notices(config, store, now - timedelta(minutes=20)) == []  # 25 minutes: not yet
    [down] = due_notices(config, store, now)
    assert down.template == "admin_mailbox_down" and "login refused" in down.context["error"]
    db["outbox"].insert({"dedupe_key": down.dedupe_key, "kind": "admin_notice", "message_id": "<x@y>",
                         "raw": b"", "status": "sent", "created_at": now.isoformat()})
    assert [n.dedupe_key for n in due_notices(config, store, now)] == [down.dedupe_key]  # queue dedupes it
    store.record_pass({"at": now.isoformat(), "ok": 1})
    [up] = due_notices(config, store, now)
    assert up.template == "admin_mailbox_up"
    assert up.dedupe_key == "admin:mailbox_up:" + down.dedupe_key.removeprefix("admin:mailbox_down:")
    db.close()


def test_a_wrong_password_reaches_the_administrators_through_smtp(tmp_path, imap_config, smtp_server):
    import os
    import subprocess
    import sys

    path = write_server_config(tmp_path, imap_config, smtp_server.port,
                               extra='[county]\nadmins = ["it@lansstyrelsen.example"]\n'
                                     '[schedule]\nmailbox_down_minutes = 1\n')
    env = {**os.environ, "MAILBOT_TEST_IMAP_PASSWORD": "fel"}
    argv = [sys.executable, "-m", "mailbot", "--config", str(path), "poll"]
    assert subprocess.run(argv, env=env, capture_output=True, timeout=120).returncode == 75
    db = open_db(tmp_path / "mailbot.db")
    db.execute("update passes set at = ?", [(utcnow() - timedelta(minutes=5)).isoformat()])  # the outage began earlier
    db.conn.commit()
    db.close()
    assert subprocess.run(argv, env=env, capture_output=True, timeout=120).returncode == 75
    assert subprocess.run(argv, env=env, capture_output=True, timeout=120).returncode == 75  # told once
    [down] = smtp_server.wait_for(1)
    assert down.recipients == ["it@lansstyrelsen.example"]
    assert "kan inte läsas" in str(down.message["Subject"])
    env["MAILBOT_TEST_IMAP_PASSWORD"] = PASSWORD
    assert subprocess.run(argv, env=env, capture_output=True, timeout=120).returncode == 0
    _, up = smtp_server.wait_for(2)
    assert "läses igen" in str(up.message["Subject"])
