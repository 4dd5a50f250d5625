"""The outbox claims what it sends: flushers racing over one queue deliver each mail once.

Two processes and two threads flush the same queued rows at the same moment
against a real aiosmtpd server; the server counts deliveries per Message-ID.
A claim left behind by a process that is gone goes back to the queue.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailbot.config import load_config
from mailbot.decide import Outgoing
from mailbot.outbox import STALE_CLAIM_MINUTES, Outbox
from mailbot.sender import SmtpSender
from mailbot.store import Store, open_db

MAILS = 60
FLUSHERS = 4  # two processes, two threads
ADMIN = "admin@lansstyrelsen.se"


def write_config(directory: Path, server) -> Path:
    path = directory / "config.toml"
    path.write_text(f'[storage]\ndatabase = "{directory / "mailbot.db"}"\n{server.toml()}'
                    f'[county]\nadmins = ["{ADMIN}"]\n')
    return path


def queue_mails(config, count: int) -> list[str]:
    db = open_db(config.database)
    try:
        outbox = Outbox(Store(db), config)
        with outbox.store.transaction():
            for n in range(count):
                assert outbox.queue(Outgoing(
                    f"test:race:{n}", "admin_notice", (ADMIN,), f"Granska mejl {n}", "admin_review",
                    {"sender": f"person{n}@mora.se", "subject": f"Lägesbild {n}", "problems": [], "folder": "X"}))
        return [r[0] for r in db.execute("select message_id from outbox order by id")]
    finally:
        db.close()


def flush(config_path: str, start, results) -> None:
    """One flusher: its own connection and SMTP session; waits for the others, then flushes."""
    config = load_config(Path(config_path))
    db = open_db(config.database)
    try:
        outbox = Outbox(Store(db), config, SmtpSender(config.smtp, environ={}))
        start.wait(timeout=60)
        report = outbox.flush()
        results.put((os.getpid(), threading.get_ident(), report.sent))
    finally:
        db.close()


def test_two_processes_and_two_threads_deliver_each_mail_once(tmp_path, smtp_server):
    config_path = write_config(tmp_path, smtp_server)
    config = load_config(config_path)
    message_ids = queue_mails(config, MAILS)

    mp = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared but the database file
    start, results = mp.Barrier(FLUSHERS), mp.Queue()
    processes = [mp.Process(target=flush, args=(str(config_path), start, results)) for _ in range(2)]
    threads = [threading.Thread(target=flush, args=(str(config_path), start, results)) for _ in range(2)]
    for worker in (*processes, *threads):
        worker.start()
    for thread in threads:
        thread.join(timeout=120)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    reports = [results.get(timeout=5) for _ in range(FLUSHERS)]

    deliveries = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    twice = {mid: n for mid, n in deliveries.items() if n > 1}
    assert not twice, f"{sum(n - 1 for n in twice.values())} extra deliveries of {len(twice)} mails"
    assert set(deliveries) == set(message_ids) and len(smtp_server.messages) == MAILS
    assert sum(sent for _, _, sent in reports) == MAILS  # each flusher counts only what it sent
    db = open_db(config.database)
    assert {r["status"] for r in db["outbox"].rows} == {"sent"}
    assert {r["attempts"] for r in db["outbox"].rows} == {1}


def test_a_claim_whose_process_is_gone_is_sent_by_the_next_flush(tmp_path, smtp_server):
    config = load_config(write_config(tmp_path, smtp_server))
    message_ids = queue_mails(config, 4)
    db = open_db(config.database)
    store = Store(db)
    now = datetime.now(UTC)
    host_pid_start = Outbox(store, config).claim.rsplit(":", 1)[0]  # this (running) process
    gone = multiprocessing.get_context("spawn").Process(target=int)
    gone.start()
    gone.join()
    claims = {
        1: (f"{host_pid_start}:alive", now),  # a flusher of this process, mid-batch: left alone
        2: (f"{host_pid_start.rsplit(':', 2)[0]}:{gone.pid}:1:killed", now),  # its process has exited
        3: (f"{host_pid_start}:hung", now - timedelta(minutes=STALE_CLAIM_MINUTES + 1)),  # too old
        4: ("other-host:1:1:x", now),  # another machine's fresh claim: left alone
    }
    for row_id, (claim, at) in claims.items():
        db.execute("update outbox set status = 'sending', claim = ?, claimed_at = ?, attempts = 1 where id = ?",
                   [claim, at.isoformat(), row_id])
    Outbox(store, config, SmtpSender(config.smtp, environ={})).flush()
    status = {r["id"]: r["status"] for r in db["outbox"].rows}
    assert status == {1: "sending", 2: "sent", 3: "sent", 4: "sending"}
    sent = Counter(m.message["Message-ID"] for m in smtp_server.messages)
    assert sent == Counter({message_ids[1]: 1, message_ids[2]: 1})
    db.close()
