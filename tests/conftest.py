"""The suite's shared fixtures and harness rules (pytest loads this file before any test module).

Fixtures (no imports needed in test modules):

- `dovecot` (session): ONE real Dovecot for the whole run (tests/dovecot.py);
  `imap_account`, `imap_config`, `imap_client` give each test a fresh user.
- `smtp_server`, `smtp_auth_server`, `smtp_tls_server`, `smtps_server`: a real
  aiosmtpd on 127.0.0.1 per test (tests/smtp_server.py).
- `daemon`: `mailbot run` against both, started and waiting in IDLE.

Rules (tests/harness.py): `require(condition, reason)` instead of pytest.skip
where a missing tool would hide tests (fails under CI=true); `wait_until(...)`
instead of a blind sleep.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from mailbot.config import ImapConfig
from tests.dovecot import DOVECOT, PASSWORD_ENV, SUPPORTED, Account, DovecotServer, dovecot_release, version_of
from tests.harness import CI, has_module, require
from tests.server_config import MailbotProcess, write_server_config
from tests.smtp_server import PASSWORD as SMTP_PASSWORD
from tests.smtp_server import USER as SMTP_USER
from tests.smtp_server import SmtpTestServer, tls_files


def pytest_report_header(config) -> list[str]:
    release = dovecot_release() if DOVECOT.exists() else "missing"
    mode = "CI=true: a skip that would hide tests fails" if CI else "local: missing tools skip (CI=true fails)"
    return [f"dovecot: {DOVECOT} {release}", f"harness: {mode}"]


# -- Dovecot ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A running Dovecot for the whole session (one per run); stopped and removed at the end.

    A test that stops or restarts it leaves it running again (restart() does).
    """
    require(DOVECOT.exists(), f"{DOVECOT} is missing: apt-get install dovecot-imapd (.ci/run does)")
    release = dovecot_release()
    require(version_of(release) in SUPPORTED,
            f"{DOVECOT} is version {release or '?'}; tests/dovecot.py writes configs for "
            + " and ".join(".".join(map(str, v)) for v in SUPPORTED))
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    server = None
    try:
        server = DovecotServer(root, release, log_commands=True)
        try:
            server.start()
        except RuntimeError as e:
            if server.as_root:
                raise
            require(False, f"Dovecot would not start as an unprivileged user: {e}")
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> Account:
    """A fresh user on the session's Dovecot: an empty INBOX and no other folders."""
    return dovecot.add_user()


@pytest.fixture
def imap_config(dovecot: DovecotServer, monkeypatch) -> ImapConfig:
    """A fresh user's ImapConfig, its password set in os.environ[PASSWORD_ENV].

    Independent of `imap_account` (a test using both gets two users). For the
    Account of a config: dovecot.account_for(config).
    """
    account = dovecot.add_user()
    monkeypatch.setenv(PASSWORD_ENV, account.password)
    return account.imap_config()


@pytest.fixture
def imap_client(dovecot: DovecotServer, imap_config: ImapConfig) -> Iterator[IMAPClient]:
    """A logged-in IMAPClient of `imap_config`'s user (to put mail in and look at folders)."""
    client = dovecot.account_for(imap_config).client()
    yield client
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the test may have restarted the server under it
        pass


# -- SMTP -------------------------------------------------------------------------


def _serve(server: SmtpTestServer) -> Iterator[SmtpTestServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _tls():
    require(has_module("cryptography"), "the `cryptography` package is missing: no certificate for the TLS servers")
    return tls_files()


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server on 127.0.0.1 (use `.config()` for security "none")."""
    yield from _serve(SmtpTestServer())


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpTestServer]:
    """A plain server on loopback that requires AUTH as USER / PASSWORD."""
    yield from _serve(SmtpTestServer(user=SMTP_USER, password=SMTP_PASSWORD))


@pytest.fixture
def smtp_tls_server() -> Iterator[SmtpTestServer]:
    """A server that offers and requires STARTTLS and AUTH (USER / PASSWORD)."""
    yield from _serve(SmtpTestServer(user=SMTP_USER, password=SMTP_PASSWORD, tls=_tls(), require_starttls=True))


@pytest.fixture
def smtps_server() -> Iterator[SmtpTestServer]:
    """A server speaking implicit TLS (security "ssl")."""
    yield from _serve(SmtpTestServer(tls=_tls(), implicit_tls=True))


# -- the daemon -------------------------------------------------------------------


@pytest.fixture
def daemon(tmp_path, dovecot, imap_config, smtp_server) -> Iterator[MailbotProcess]:
    """`mailbot run` against the test servers, its first (empty) pass done and its watcher in IDLE.

    poll_minutes = 60, so only IDLE and retries poll during a test. Its database: tmp_path/mailbot.db.
    """
    config = write_server_config(tmp_path, imap_config, smtp_server.port, extra="[schedule]\npoll_minutes = 60\n")
    process = MailbotProcess(config, "run")
    try:
        # the first (empty) pass logs out; the watcher stays, in IDLE (the server shows both)
        process.wait_until(lambda: dovecot.finished(imap_config.user, "LOGOUT") >= 1, "the first pass")
        process.wait_until(lambda: dovecot.idling(imap_config.user), "the watcher in IDLE")
        yield process
    finally:
        process.kill()
