"""The retention period runs by itself: the daemon's daily purge, strangers' traces and old folder mail included."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone

from mailbot.app import poll_once
from mailbot.daemon import Daemon
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text
from tests.server_config import local_config

CET = timezone(timedelta(hours=1))


def test_the_daily_purge_keeps_ratings_and_removes_the_rest(tmp_path):
    config = local_config(tmp_path, "[retention]\ndays = 30\nmailbox_folders = true\n")
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", build_mail(sender="anna@mora.se", body=template_text()), datetime(2026, 11, 3, 9, tzinfo=CET))
    box.append("INBOX", build_mail(sender="offers@spam.example", subject="Billiga klockor", body="Köp!"),
               datetime(2026, 11, 3, 9, tzinfo=CET))
    box.close()
    poll_once(config)
    old = time.time() - 40 * 86400
    filed = [p for p in config.maildir.glob(".*/*/*") if p.is_file()]
    assert len(filed) == 2 and len(list(config.outbox_dir.glob("*.eml"))) == 1  # Mora's receipt
    for path in [*config.outbox_dir.glob("*.eml"), *filed]:
        os.utime(path, (old, old))
    db = open_db(config.database)
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    db.execute("update messages set processed_at = ?", [long_ago])
    db.execute("update outbox set created_at = ?", [long_ago])
    db.conn.commit()
    db.close()

    daemon = Daemon(config)
    try:
        daemon.retention_job()
    finally:
        daemon.worker.close()

    db = open_db(config.database)
    spam = next(db["messages"].rows_where("outcome != 'counted'"))
    assert (spam["sender"], spam["subject"], spam["raw"]) == (None, None, None)
    assert [a["score"] for a in db["answers"].rows_where(order_by="question")][:6] == [1, 2, 1, 2, 1, 2]
    assert {a["text"] for a in db["answers"].rows} == {""}
    db.close()
    assert list(config.outbox_dir.glob("*.eml")) == []
    assert [p for p in config.maildir.glob(".*/*/*") if p.is_file()] == []
