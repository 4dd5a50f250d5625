"""ImapMailbox against a real Dovecot."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from imapclient import IMAPClient

from mailbot.errors import ConfigError, TransientError
from mailbot.imap_mailbox import ImapMailbox
from tests.dovecot import PASSWORD, dovecot, imap_config  # noqa: F401
from tests.mailbuilder import build_mail

CET = timezone(timedelta(hours=1))


def raw_client(config) -> IMAPClient:
    client = IMAPClient(config.host, port=config.port, ssl=False)
    client.login(config.user, PASSWORD)
    return client


def test_append_list_fetch_move(imap_config):
    box = ImapMailbox(imap_config)
    when = datetime(2026, 11, 3, 9, 12, 5, tzinfo=CET)
    mails = [build_mail(subject=f"Lägesbild {n}") for n in range(3)]
    for raw in mails:
        box.append("INBOX", raw, when)
    uidvalidity, uids = box.waiting()
    assert len(uids) == 3 and uidvalidity > 0
    first = box.fetch(uids[0])
    assert first.raw.replace(b"\r\n", b"\n") == mails[0].replace(b"\r\n", b"\n")
    assert first.internaldate == when
    client = raw_client(imap_config)
    client.select_folder("INBOX")
    assert b"\\Seen" not in client.get_flags([int(uids[0])])[int(uids[0])]  # fetch did not mark it read
    box.move(uids[0], "Behandlade")
    box.move(uids[1], "Att granska")
    box.move(uids[1], "Att granska")  # already moved: a no-op
    assert box.waiting()[1] == [uids[2]]
    assert client.folder_exists("Att granska")
    assert client.select_folder("Behandlade")[b"EXISTS"] == 1
    assert client.select_folder("Att granska")[b"EXISTS"] == 1
    client.logout()
    box.close()


def test_uidvalidity_is_stable_across_connections(imap_config):
    with ImapMailbox(imap_config) as box:
        box.append("INBOX", build_mail())
        first = box.waiting()[0]
    with ImapMailbox(imap_config) as box:
        assert box.waiting()[0] == first


def test_wrong_password_is_transient(imap_config, monkeypatch):
    monkeypatch.setenv("MAILBOT_TEST_IMAP_PASSWORD", "fel")
    with pytest.raises(TransientError, match="refused"):
        ImapMailbox(imap_config).waiting()


def test_missing_password_variable_is_a_config_error(imap_config):
    box = ImapMailbox(replace(imap_config, password_env="MAILBOT_NO_SUCH_VARIABLE"))
    with pytest.raises(ConfigError, match="MAILBOT_NO_SUCH_VARIABLE"):
        box.waiting()


def test_idle_reports_new_mail(imap_config):
    with ImapMailbox(imap_config) as watcher:
        watcher.waiting()
        assert watcher.wait_for_new(0.3) is False
        client = raw_client(imap_config)
        client.append("INBOX", build_mail())
        client.logout()
        assert watcher.wait_for_new(5) is True


def test_reconnects_after_server_restart(imap_config, dovecot):
    box = ImapMailbox(imap_config)
    box.append("INBOX", build_mail())
    dovecot.restart()
    try:
        box.waiting()
    except TransientError:
        pass  # the old connection is gone; the next call reconnects
    assert len(box.waiting()[1]) == 1
    box.close()
