"""`mailbot run` while Dovecot restarts: once in IDLE, once in the middle of a pass.

The daemon must stay up, say what happened in a warning, reconnect, and
finish the work: every mail filed, every receipt sent exactly once; then
SIGTERM stops it with exit status 0. Also: mail that arrives while a pass
runs (IDLE reports it then) gets a pass of its own, not the next hourly one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from imapclient import IMAPClient

from mailbot.store import BUSY_TIMEOUT_SECONDS, open_db
from tests.db_lock import locked
from tests.dovecot import PASSWORD, dovecot, imap_config  # noqa: F401
from tests.mailbuilder import build_mail, template_text
from tests.server_config import write_server_config
from tests.smtp_server import smtp_server  # noqa: F401

CET = timezone(timedelta(hours=1))
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober"]
SENDERS = ["anna@mora.se", "erik@falun.se", "olle@orsa.se", "lena@leksand.se"]  # 4 x 10 distinct reports


class Daemon:
    """`mailbot run` as a process, its log lines collected as they come."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def text(self) -> str:
        return "\n".join(self.lines)

    def log(self) -> str:
        return "\n".join(self.lines[-60:])

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"the daemon exited while waiting for {what}:\n{self.log()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout:g} s:\n{self.log()}"
            time.sleep(0.05)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return code


def inbox_left(client: IMAPClient) -> int:
    client.select_folder("INBOX", readonly=True)
    return len(client.search(["NOT", "DELETED"]))


@pytest.fixture
def daemon(tmp_path, imap_config, smtp_server) -> Iterator[Daemon]:
    """`mailbot run` started and waiting in IDLE; poll_minutes = 60, so only IDLE and retries poll."""
    config = write_server_config(tmp_path, imap_config, smtp_server.port, extra="[schedule]\npoll_minutes = 60\n")
    env = {**os.environ, "MAILBOT_TEST_IMAP_PASSWORD": PASSWORD}
    process = Daemon([sys.executable, "-m", "mailbot", "--config", str(config), "run"], env)
    try:
        # one connection for the first (empty) pass, one for the watcher, which then enters IDLE at once
        process.wait_until(lambda: process.count("connected to IMAP") >= 2, "IMAP connections")
        time.sleep(0.3)
        yield process
    finally:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture
def client(dovecot, imap_config) -> Iterator[IMAPClient]:
    """A logged-in client of the test's user."""
    c = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    c.login(imap_config.user, PASSWORD)
    yield c
    c.logout()


def append_reports(client: IMAPClient, numbers: range) -> None:
    for n in numbers:  # distinct municipality and month: each one a counted report with a receipt
        raw = build_mail(sender=SENDERS[n // 10], subject=f"Lägesbild {MONTHS[n % 10]} 2026", body=template_text(municipality=None))
        client.append("INBOX", raw, msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))


def assert_all_done(db_path: Path, smtp_server, count: int) -> None:
    """`count` mails stored once, every receipt sent exactly once (call after the daemon stopped)."""
    db = open_db(db_path)
    try:
        assert db.execute("select count(*) from messages where duplicate_of is null").fetchone()[0] == count
        assert [r["status"] for r in db["outbox"].rows] == ["sent"] * count
    finally:
        db.close()
    receipts = Counter(m.message["Message-ID"] for m in smtp_server.messages
                       if m.message["X-Mailbot-Kind"] == "receipt")
    assert len(receipts) == count and set(receipts.values()) == {1}, receipts
    assert len(smtp_server.messages) == count


def test_daemon_survives_dovecot_restarts_in_idle_and_mid_pass(tmp_path, dovecot, imap_config, smtp_server,
                                                              daemon):
    try:
        # 1. Dovecot restarts while the daemon waits in IDLE.
        dovecot.restart()  # every process of it: all sessions drop
        daemon.wait_until(lambda: daemon.count("IDLE failed") >= 1, "a warning about the lost IDLE connection")
        client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
        client.login(imap_config.user, PASSWORD)
        client.append("INBOX", build_mail(body=template_text()), msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))
        smtp_server.wait_for(1, timeout=15)  # the watcher reconnected and saw the new mail
        assert daemon.count("poll failed") == 0

        # 2. Dovecot restarts in the middle of a pass over a batch of 40 mails.
        filed_before = daemon.count("-> Behandlade")
        append_reports(client, range(40))
        daemon.wait_until(lambda: daemon.count("-> Behandlade") >= filed_before + 3, "the pass under way")
        dovecot.restart()  # every process of it: all sessions drop
        assert daemon.count("-> Behandlade") - filed_before < 40, "the pass ended before the restart"
        daemon.wait_until(lambda: daemon.count("poll failed") >= 1, "a warning about the failed pass")

        smtp_server.wait_for(41, timeout=20)  # the retry finished the batch
        client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
        client.login(imap_config.user, PASSWORD)
        daemon.wait_until(lambda: inbox_left(client) == 0, "an empty INBOX", timeout=10)
        client.select_folder("Behandlade", readonly=True)
        assert len(client.search(["ALL"])) == 41
        client.logout()
        assert daemon.stop() == 0, daemon.text()
    finally:
        if dovecot.process is None or dovecot.process.poll() is not None:
            dovecot.start()  # the server is shared with the rest of the session

    assert "mailbot stopped" in daemon.text() and "Traceback" not in daemon.text()
    assert_all_done(tmp_path / "mailbot.db", smtp_server, 41)


def test_mail_arriving_during_a_pass_gets_another_pass(tmp_path, smtp_server, daemon, client):
    assert BUSY_TIMEOUT_SECONDS > 3  # the lock below is held for about 2.5 s: the pass waits it out
    # Another process holds the database for a moment (within the busy timeout): the pass started
    # by the first mail waits for it while the other 39 arrive and IDLE reports them.
    with locked(tmp_path / "mailbot.db"):
        append_reports(client, range(1))
        daemon.wait_until(lambda: daemon.count("connected to IMAP") >= 3, "the pass's connection")
        time.sleep(0.5)  # it has listed the inbox, fetched and parsed the mail, and waits for the lock
        append_reports(client, range(1, 40))
        time.sleep(1.5)  # Dovecot tells IDLE clients about new mail within about half a second
    smtp_server.wait_for(40, timeout=15)
    passes = [line for line in daemon.lines if "poll: PollReport" in line]
    assert "seen=1," in passes[0], passes  # the first pass had only the first mail
    daemon.wait_until(lambda: inbox_left(client) == 0, "an empty INBOX", timeout=5)
    assert daemon.stop() == 0, daemon.text()
    assert "Traceback" not in daemon.text()
    assert_all_done(tmp_path / "mailbot.db", smtp_server, 40)
