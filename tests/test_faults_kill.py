"""Kill `mailbot poll` with SIGKILL at random points over a batch of 30 mails, restart until done.

Afterwards every submission is stored once, every receipt went out once (by
its stable Message-ID, counted in the SMTP capture), every mail is in its folder.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text
from tests.server_config import mailbot_argv, mailbot_env, write_server_config

CET = timezone(timedelta(hours=1))
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni"]
SENDERS = ["anna@mora.se", "erik@falun.se", "olle@orsa.se", "lena@leksand.se", "per@vansbro.se"]
KILLS = 20


def test_sigkill_at_random_points_loses_nothing_and_sends_nothing_twice(tmp_path, imap_config, imap_client,
                                                                        smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    client = imap_client
    for n in range(30):  # 5 municipalities x 6 months: 30 distinct submissions
        month = MONTHS[n % 6]
        raw = build_mail(sender=SENDERS[n // 6], subject=f"Lägesbild {month} 2026", body=template_text(municipality=None))
        client.append("INBOX", raw, msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))

    env, argv = mailbot_env(), mailbot_argv(config, "poll")
    rng = random.Random(20261123)
    kills = 0
    for _ in range(200):
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kills < KILLS:
            # The scenario, not a wait: a kill at a random moment (imports take ~0.3 s, then the batch).
            time.sleep(rng.uniform(0.3, 1.6))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                continue
        assert process.wait(timeout=120) == 0
        client.select_folder("INBOX")
        outbox = open_db(tmp_path / "mailbot.db")["outbox"]
        done = not client.search(["NOT", "DELETED"]) and all(r["status"] == "sent" for r in outbox.rows)
        if kills >= KILLS and done:
            break
    assert kills >= KILLS

    db = open_db(tmp_path / "mailbot.db")
    assert db.execute("select count(*) from messages where duplicate_of is null").fetchone()[0] == 30
    assert db["submissions"].count == 30
    assert db.execute("select count(distinct municipality || period) from submissions").fetchone()[0] == 30
    assert db.execute("select count(*) from answers").fetchone()[0] == 30 * 7
    receipts = Counter(m.message["Message-ID"] for m in smtp_server.messages
                       if m.message["X-Mailbot-Kind"] == "receipt")
    assert len(receipts) == 30
    outbox_ids = {r["message_id"] for r in db["outbox"].rows if r["kind"] == "receipt"}
    assert set(receipts) == outbox_ids
    resent = sum(c - 1 for c in receipts.values())
    # A kill between the server's "250 OK" and our "sent" mark resends with the same
    # Message-ID (at-least-once, deduplicated by ID): it must stay rare.
    assert resent <= 2, f"{resent} receipts went out twice under the same Message-ID"
    client.select_folder("Behandlade")
    assert len(client.search(["ALL"])) == 30
