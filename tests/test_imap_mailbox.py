"""ImapMailbox against a real Dovecot on 127.0.0.1 (tests/dovecot.py); no mocks."""

from __future__ import annotations

import shlex
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mailbot.errors import ConfigError, TransientError
from mailbot.imap_mailbox import ImapMailbox
from tests.dovecot import PASSWORD_ENV, free_port
from tests.harness import require, wait_until
from tests.mailbuilder import build_mail

CET = timezone(timedelta(hours=1))


def crlf(raw: bytes) -> bytes:
    """Mail as it travels (CRLF): IMAP servers hand out CRLF whatever they store."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def mails(n: int) -> list[bytes]:
    return [crlf(build_mail(subject=f"Lägesbild oktober {i}", body=f"Rapport nummer {i}.\n")) for i in range(n)]


def folder_contents(account, folder: str) -> list[bytes]:
    client = account.client()
    try:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        data = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"])
        return [bytes(data[uid][b"BODY[]"]) for uid in sorted(data)]
    finally:
        client.logout()


@pytest.fixture
def box(imap_account):
    with ImapMailbox(imap_account.imap_config(), imap_account.environ) as box:
        yield box


def test_waiting_lists_appended_mail_oldest_first(box):
    for i, raw in enumerate(mails(3)):
        box.append("INBOX", raw, datetime(2026, 11, 3, 9, i, tzinfo=CET))
    uidvalidity, uids = box.waiting()
    assert uidvalidity > 0
    assert len(uids) == 3 and uids == sorted(uids, key=int)


def test_fetch_gives_exact_bytes_and_the_appended_internaldate(box):
    sent = mails(3)
    times = [datetime(2026, 11, 3, 9, 12, 5, tzinfo=CET), datetime(2026, 11, 7, 23, 59, 59, tzinfo=CET),
             datetime(2026, 11, 8, 0, 0, 1, tzinfo=UTC)]
    for raw, when in zip(sent, times, strict=True):
        box.append("INBOX", raw, when)
    uidvalidity, uids = box.waiting()
    for uid, raw, when in zip(uids, sent, times, strict=True):
        mail = box.fetch(uid)
        assert mail.raw == raw
        assert mail.internaldate == when and mail.internaldate.utcoffset() is not None
        assert (mail.folder, mail.uidvalidity, mail.uid) == ("INBOX", uidvalidity, uid)


def test_fetch_does_not_set_seen(box, imap_account):
    box.append("INBOX", mails(1)[0])
    [uid] = box.waiting()[1]
    assert box.fetch(uid) is not None
    client = imap_account.client()
    client.select_folder("INBOX", readonly=True)
    assert b"\\Seen" not in client.get_flags([int(uid)])[int(uid)]
    client.logout()


def test_move_creates_folders_and_empties_the_inbox(box, imap_account):
    sent = mails(3)
    for raw in sent:
        box.append("INBOX", raw, datetime(2026, 11, 3, 9, 0, tzinfo=CET))
    first, second, third = box.waiting()[1]
    box.move(first, "Behandlade")
    box.move(second, "Att granska")
    box.move(third, "Behandlade")
    assert box.waiting()[1] == []
    assert folder_contents(imap_account, "Behandlade") == [sent[0], sent[2]]
    assert folder_contents(imap_account, "Att granska") == [sent[1]]
    assert folder_contents(imap_account, "INBOX") == []
    client = imap_account.client()
    subscribed = {name for _, _, name in client.list_sub_folders()}
    client.logout()
    assert {"Behandlade", "Att granska"} <= subscribed


def test_nested_folder_uses_the_servers_delimiter(box, imap_account):
    box.append("INBOX", mails(1)[0])
    [uid] = box.waiting()[1]
    box.move(uid, "Lägesbild/Behandlade")
    assert box.server_name("Lägesbild/Behandlade") == "Lägesbild.Behandlade"  # Dovecot's Maildir++ uses "."
    assert len(folder_contents(imap_account, "Lägesbild.Behandlade")) == 1


def test_vanished_uid_is_none_and_a_no_op(box, imap_account):
    box.append("INBOX", mails(1)[0])
    [uid] = box.waiting()[1]
    box.move(uid, "Behandlade")
    box.move(uid, "Behandlade")  # already moved
    assert box.fetch(uid) is None
    assert box.fetch("999999") is None
    box.move("999999", "Behandlade")
    assert len(folder_contents(imap_account, "Behandlade")) == 1


def test_message_moved_away_by_another_client_meanwhile(box, imap_account):
    box.append("INBOX", mails(1)[0])
    [uid] = box.waiting()[1]
    other = imap_account.client()
    other.select_folder("INBOX")
    other.create_folder("Manuellt")
    other.move([int(uid)], "Manuellt")
    other.logout()
    assert box.fetch(uid) is None
    box.move(uid, "Behandlade")
    assert folder_contents(imap_account, "Behandlade") == []
    assert box.waiting()[1] == []


def test_messages_flagged_deleted_are_not_waiting(box, imap_account):
    for raw in mails(2):
        box.append("INBOX", raw)
    first, second = box.waiting()[1]
    client = imap_account.client()
    client.select_folder("INBOX")
    client.add_flags([int(first)], [b"\\Deleted"])
    client.logout()
    assert box.waiting()[1] == [second]


def test_uidvalidity_is_stable_across_reconnects(imap_account):
    config, environ = imap_account.imap_config(), imap_account.environ
    with ImapMailbox(config, environ) as box:
        box.append("INBOX", mails(1)[0])
        first, uids = box.waiting()
    with ImapMailbox(config, environ) as box:
        assert box.waiting() == (first, uids)
        box.close()
        assert box.waiting() == (first, uids)  # reconnects after close


def test_wrong_password_is_transient_with_a_clear_message(imap_account):
    box = ImapMailbox(imap_account.imap_config(), {PASSWORD_ENV: "fel-lösenord"})
    with pytest.raises(TransientError, match=rf"login refused for {imap_account.user} .*Authentication failed"):
        box.waiting()


def test_missing_password_variable_is_a_config_error(imap_account):
    config = imap_account.imap_config(password_env="MAILBOT_NO_SUCH_VARIABLE", port=1)  # never reached
    with pytest.raises(ConfigError, match="MAILBOT_NO_SUCH_VARIABLE"):
        ImapMailbox(config, {}).waiting()


def test_unreachable_server_is_transient(imap_account):
    box = ImapMailbox(imap_account.imap_config(port=free_port(), timeout=2.0), imap_account.environ)
    with pytest.raises(TransientError, match="cannot connect"):
        box.waiting()


def test_xoauth2_with_a_token_command(dovecot, imap_account):
    # Dovecot 2.3 checks an XOAUTH2 token against the passdb like a password.
    require(dovecot.xoauth2, f"Dovecot {dovecot.release} offers XOAUTH2 only with an OAuth2 token service")
    command = shlex.join([sys.executable, "-c", f"print({imap_account.password!r})"])
    with ImapMailbox(imap_account.imap_config(oauth2_token_command=command), {}) as box:
        box.append("INBOX", mails(1)[0])
        assert len(box.waiting()[1]) == 1


def test_failing_or_missing_token_command(imap_account):
    failing = shlex.join([sys.executable, "-c", "import sys; sys.exit('token service down')"])
    with pytest.raises(TransientError, match="token service down"):
        ImapMailbox(imap_account.imap_config(oauth2_token_command=failing), {}).waiting()
    with pytest.raises(ConfigError, match="oauth2_token_command"):
        ImapMailbox(imap_account.imap_config(oauth2_token_command="/no/such/token-tool"), {}).waiting()


def test_wait_for_new_times_out_with_nothing_new(box):
    box.waiting()
    started = time.monotonic()
    assert box.wait_for_new(0.5) is False
    assert 0.4 < time.monotonic() - started < 2.0


def test_wait_for_new_wakes_when_another_client_appends(box, dovecot, imap_account):
    box.waiting()
    assert box.wait_for_new(0.2) is False

    def deliver():  # once the box waits in IDLE (the server shows it)
        wait_until(lambda: dovecot.idling(imap_account.user), "the box in IDLE")
        client = imap_account.client()
        client.append("INBOX", mails(1)[0])
        client.logout()
        delivered.append(time.monotonic())

    delivered: list[float] = []
    thread = threading.Thread(target=deliver)
    thread.start()
    try:
        assert box.wait_for_new(10) is True
        woke = time.monotonic()
    finally:
        thread.join()
    assert delivered and woke - delivered[0] < 2.0
    assert len(box.waiting()[1]) == 1


def test_wait_for_new_notices_mail_that_came_between_calls(box, imap_account):
    assert box.wait_for_new(0.1) is False
    client = imap_account.client()
    client.append("INBOX", mails(1)[0])
    client.logout()
    started = time.monotonic()
    assert box.wait_for_new(10) is True
    assert time.monotonic() - started < 1.0


def test_without_move_uidplus_or_idle(dovecot):
    account = dovecot.add_user(bare=True)  # as an old server would offer
    sent = mails(2)
    with ImapMailbox(account.imap_config(), account.environ) as box:
        for raw in sent:
            box.append("INBOX", raw)
        first, second = box.waiting()[1]
        box.move(first, "Att granska")  # COPY + \Deleted + EXPUNGE
        assert box.waiting()[1] == [second]
        assert folder_contents(account, "Att granska") == [sent[0]]
        assert folder_contents(account, "INBOX") == [sent[1]]  # expunged, not just flagged

        started = time.monotonic()
        assert box.wait_for_new(0.6) is False  # no IDLE: sleeps
        assert time.monotonic() - started >= 0.6
        client = account.client()
        client.append("INBOX", sent[0])
        client.logout()
        assert box.wait_for_new(0.1) is True  # UIDNEXT grew since the last call


def test_server_restart_between_calls(box, dovecot):
    box.append("INBOX", mails(1)[0])
    before = box.waiting()
    dovecot.restart()
    try:
        assert box.waiting() == before
    except TransientError:
        pass  # the old connection is gone; the next call reconnects
    assert box.waiting() == before
    assert box.fetch(before[1][0]) is not None


def test_error_in_idle_then_recovers(box, dovecot):
    box.waiting()
    box.wait_for_new(0.1)
    dovecot.restart()
    try:
        box.wait_for_new(0.2)
    except TransientError:
        pass
    assert box.wait_for_new(0.2) is False


@pytest.fixture
def tls(dovecot, monkeypatch):
    require(dovecot.ca_file is not None, "openssl is missing: no certificate for Dovecot's TLS")
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.ca_file))  # trusted by ssl.create_default_context()
    return dovecot


def test_ssl_and_starttls_with_a_verified_certificate(tls, imap_account):
    for security, port in (("ssl", tls.ssl_port), ("starttls", tls.port)):
        config = imap_account.imap_config(security=security, port=port)
        with ImapMailbox(config, imap_account.environ) as box:
            box.append("INBOX", mails(1)[0])
            assert box.waiting()[1], security
    assert len(folder_contents(imap_account, "INBOX")) == 2


def test_ssl_refuses_an_untrusted_certificate(tls, imap_account, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent")
    config = imap_account.imap_config(security="ssl", port=tls.ssl_port)
    with pytest.raises(TransientError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        ImapMailbox(config, imap_account.environ).waiting()
    config = imap_account.imap_config(security="ssl", port=tls.ssl_port, host="localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    with ImapMailbox(config, imap_account.environ) as box:  # the name is checked too, and matches
        assert box.waiting()[1] == []
