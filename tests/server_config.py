"""A config file holding only the fixed connection keys, as acceptance checks write it."""

from __future__ import annotations

from pathlib import Path

from mailbot.config import ImapConfig


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
