"""`mailbot run` while Dovecot restarts: once in IDLE, once in the middle of a pass.

The daemon must stay up, say what happened in a warning, reconnect, and
finish the work: every mail filed, every receipt sent exactly once; then
SIGTERM stops it with exit status 0. Also: mail that arrives while a pass
runs (IDLE reports it then) gets a pass of its own, not the next hourly one.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from imapclient import IMAPClient

from mailbot.store import BUSY_TIMEOUT_SECONDS, open_db
from tests.db_lock import locked
from tests.mailbuilder import build_mail, template_text

CET = timezone(timedelta(hours=1))
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober"]
SENDERS = ["anna@mora.se", "erik@falun.se", "olle@orsa.se", "lena@leksand.se"]  # 4 x 10 distinct reports


def inbox_left(client: IMAPClient) -> int:
    client.select_folder("INBOX", readonly=True)
    return len(client.search(["NOT", "DELETED"]))


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
        client = dovecot.account_for(imap_config).client()
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
        client = dovecot.account_for(imap_config).client()
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


def test_mail_arriving_during_a_pass_gets_another_pass(tmp_path, dovecot, imap_config, smtp_server, daemon,
                                                      imap_client):
    assert BUSY_TIMEOUT_SECONDS > 3  # the lock below is held for well under that: the pass waits it out
    user = imap_config.user
    # Another process holds the database for a moment (within the busy timeout): the pass started
    # by the first mail waits for it while the other 39 arrive and IDLE reports them.
    with locked(tmp_path / "mailbot.db"):
        append_reports(imap_client, range(1))
        # the pass has listed the inbox and fetched the mail (parsing takes milliseconds): it waits for the lock
        daemon.wait_until(lambda: dovecot.finished(user, "UID FETCH") >= 1, "the pass fetching the first mail")
        idles = dovecot.finished(user, "IDLE")
        append_reports(imap_client, range(1, 40))
        # the watcher's IDLE ends when Dovecot reports the new mail: the daemon asks for another pass
        daemon.wait_until(lambda: dovecot.finished(user, "IDLE") > idles, "IDLE reporting the new mail")
    smtp_server.wait_for(40, timeout=15)
    passes = [line for line in daemon.lines if "poll: PollReport" in line and "seen=0," not in line]
    assert "seen=1," in passes[0], passes  # the first pass had only the first mail
    daemon.wait_until(lambda: inbox_left(imap_client) == 0, "an empty INBOX", timeout=5)
    assert daemon.stop() == 0, daemon.text()
    assert "Traceback" not in daemon.text()
    assert_all_done(tmp_path / "mailbot.db", smtp_server, 40)
