"""Config files and `mailbot` runs for the tests, written once.

- write_server_config: only the fixed connection keys, as acceptance checks write
  it, pointing the bot at the test Dovecot and SMTP server.
- write_local_config / local_config: the embedded default's local parts (a Maildir,
  a file outbox, a database beside them) in a temporary directory.
- mailbot_env / mailbot_argv / run_mailbot: `python -m mailbot --config ...` as a
  process, with the test IMAP password in its environment; MailbotProcess: one
  left running (`mailbot run`), its log lines collected as they come.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from mailbot.config import Config, ImapConfig, load_config
from tests.dovecot import PASSWORD, PASSWORD_ENV
from tests.harness import wait_until

# The administrators get an address of their own: with the embedded default (the mailbox itself) their
# notices are filed into the review folder instead of being written to the outbox (tests/test_review.py).
ADMIN = "it@lansstyrelsen.example"
LOCAL = ('[storage]\ndatabase = "{database}"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n'
         f'[county]\nadmins = ["{ADMIN}"]\n')


def write_server_config(directory: Path, imap: ImapConfig, smtp_port: int, extra: str = "") -> Path:
    """`directory/config.toml` pointing the bot at the test Dovecot and SMTP server."""
    path = directory / "config.toml"
    path.write_text(f"""
[imap]
host = "127.0.0.1"
port = {imap.port}
security = "none"
user = "{imap.user}"
password_env = "{imap.password_env}"
folder = "INBOX"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
user = ""
password_env = "MAILBOT_SMTP_PASSWORD"
from = "lagesbild-fas.dalarna@lansstyrelsen.se"

[storage]
database = "{directory / 'mailbot.db'}"
{extra}
""")
    return path


def write_local_config(directory: Path, extra: str = "", database: str = "mailbot.db") -> Path:
    """`directory/config.toml` for the local parts: maildir/, outbox/ and the database, relative to it."""
    path = directory / "config.toml"
    path.write_text(LOCAL.format(database=database) + extra)
    return path


def local_config(directory: Path, extra: str = "", database: str = "mailbot.db") -> Config:
    """The loaded Config of write_local_config."""
    return load_config(write_local_config(directory, extra, database))


def mailbot_env() -> dict[str, str]:
    """os.environ plus the test IMAP password, for a `mailbot` child process."""
    return {**os.environ, PASSWORD_ENV: PASSWORD}


def mailbot_argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mailbot", "--config", str(config), *args]


def run_mailbot(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`mailbot --config CONFIG ARGS...` run to its end, output captured as text."""
    return subprocess.run(mailbot_argv(config, *args), capture_output=True, text=True, env=mailbot_env(),
                          timeout=timeout, check=False)


class MailbotProcess:
    """`mailbot ... run` (or any subcommand) as a process, its stderr lines collected as they come."""

    def __init__(self, config: Path, *args: str):
        self.process = subprocess.Popen(mailbot_argv(config, *args), env=mailbot_env(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
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

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_until(self, condition: Callable[[], object], what: str, timeout: float = 15) -> None:
        """Wait for `condition`; fail at once, with the log, if the process exits meanwhile."""
        try:
            wait_until(condition, what, timeout, alive=self.running)
        except AssertionError as e:
            raise AssertionError(f"{e}:\n{self.log()}") from None

    def stop(self) -> int:
        """SIGTERM, then its exit status."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
