"""A real Dovecot IMAP server on 127.0.0.1 for the tests (Debian's dovecot-imapd).

Use from a test module:

    from tests.dovecot import dovecot, imap_config  # noqa: F401  (pytest fixtures)

`dovecot` is one server per test session; `imap_config` gives each test a
fresh user (so a fresh, empty mailbox) and the matching ImapConfig.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailbot.config import ImapConfig

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "hemligt-test"
USERS = 500
_users = itertools.count(1)

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
protocol imap {{
  mail_max_userip_connections = 200
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Dovecot:
    root: Path
    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen | None = None

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    def add_user(self, name: str) -> None:
        with open(self.root / "passwd", "a") as f:
            f.write(f"{name}:{{PLAIN}}{PASSWORD}::::::\n")

    def start(self) -> None:
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def config_for(self, user: str, **overrides) -> ImapConfig:
        values = dict(host=self.host, port=self.port, security="none", user=user,
                      password_env="MAILBOT_TEST_IMAP_PASSWORD", folder="INBOX", timeout=10.0)
        values.update(overrides)
        return ImapConfig(**values)


@pytest.fixture(scope="session")
def dovecot():
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)")
    if os.geteuid() != 0:
        pytest.skip("the Dovecot fixture runs Dovecot as root (as CI does)")
    mail_user = pwd.getpwnam("dovecot")
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    server = Dovecot(root, free_port())
    for n in range(1, USERS + 1):  # all users up front: Dovecot caches the passwd-file
        server.add_user(f"lagesbild{n}@lansstyrelsen.se")
    server.conf.write_text(CONFIG.format(root=root, port=server.port, uid=mail_user.pw_uid, gid=mail_user.pw_gid))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_config(dovecot, monkeypatch):
    """A fresh IMAP user (an empty mailbox) on the session's Dovecot, and its ImapConfig."""
    number = next(_users)
    assert number <= USERS, "raise USERS in tests/dovecot.py"
    user = f"lagesbild{number}@lansstyrelsen.se"
    monkeypatch.setenv("MAILBOT_TEST_IMAP_PASSWORD", PASSWORD)
    return dovecot.config_for(user)
