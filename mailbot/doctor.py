"""`mailbot doctor`: check a configuration before trusting it with the county's mail.

Each check gives a Finding: an error stops the bot from working (a password
variable unset, a server refusing the login, invalid rules); a warning is
something that works but will surprise (placeholder unit addresses, an
administrator address that is the mailbox itself, a municipality nobody can
be reminded at).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from rules.loader import load_rules
from rules.model import RulesError

from .config import Config
from .errors import MailbotError
from .store import Store, open_for_reading

OK, WARNING, ERROR = "ok", "warning", "error"


@dataclass(frozen=True)
class Finding:
    level: str  # OK, WARNING or ERROR
    text: str

    def __str__(self) -> str:
        return f"{self.level.upper():8} {self.text}"


def missing_secrets(config: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
    """One sentence per password variable the configuration names but the environment lacks."""
    missing = []
    if config.imap is not None and not config.imap.oauth2_token_command and not environ.get(config.imap.password_env):
        missing.append(f"[imap] password_env: the environment variable {config.imap.password_env} is not set "
                       f"(it must hold the IMAP password for {config.imap.user or 'the mailbox'})")
    if config.smtp is not None and config.smtp.user and not environ.get(config.smtp.password_env):
        missing.append(f"[smtp] password_env: the environment variable {config.smtp.password_env} is not set "
                       f"(it must hold the SMTP password for {config.smtp.user})")
    return missing


def check(config: Config, environ: Mapping[str, str] = os.environ, connect: bool = True) -> list[Finding]:
    """Every finding, in the order an administrator would fix them."""
    findings = [Finding(OK, f"configuration {config.source} read")]
    secrets = missing_secrets(config, environ)
    findings += [Finding(ERROR, text) for text in secrets]
    if connect and not secrets:
        findings.append(_try("mailbox", _login_mailbox, config))
        findings.append(_try("outgoing mail", _login_sender, config))
    findings += list(_rules(config))
    findings += list(_addresses(config))
    return findings


def _try(what: str, attempt: Callable[[Config], str], config: Config) -> Finding:
    try:
        return Finding(OK, f"{what}: {attempt(config)}")
    except (MailbotError, OSError) as e:
        return Finding(ERROR, f"{what}: {e}")


def _login_mailbox(config: Config) -> str:
    from .app import open_mailbox

    mailbox = open_mailbox(config)
    try:
        _, uids = mailbox.waiting()
    finally:
        mailbox.close()
    where = f"IMAP {config.imap.host}:{config.imap.port}" if config.imap else f"Maildir {config.maildir}"
    return f"{where} read, {len(uids)} mail(s) waiting"


def _login_sender(config: Config) -> str:
    if config.smtp is None:
        config.outbox_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(config.outbox_dir, os.W_OK):
            raise OSError(f"the outbox folder {config.outbox_dir} is not writable")
        return f"file outbox {config.outbox_dir} writable"
    from .sender import SmtpSender

    client = SmtpSender(config.smtp).connect()
    client.quit()
    return f"SMTP {config.smtp.host}:{config.smtp.port} accepted the connection and login"


def _rules(config: Config) -> Iterator[Finding]:
    try:
        loaded = load_rules(config.rules_dir)
    except RulesError as e:
        yield from (Finding(ERROR, f"rules: {error}") for error in e.errors)
        return
    except OSError as e:
        yield Finding(ERROR, f"rules: cannot read {config.rules_dir}: {e.strerror}")
        return
    yield Finding(OK, f"rules: {len(loaded.rules)} rules, {len(loaded.units)} units")
    for unit in loaded.units:
        placeholders = [a for a in unit.addresses if a.lower().endswith(".example")]
        if placeholders:
            yield Finding(WARNING, f"unit {unit.name} ({unit.origin}): placeholder address "
                                   f"{', '.join(placeholders)}: its signals reach nobody")


def _addresses(config: Config) -> Iterator[Finding]:
    mailbox = config.county.mailbox.lower()
    for admin in config.county.admins:
        if admin.lower() == mailbox:
            yield Finding(WARNING, f"[county] admins: {admin} is the mailbox the bot reads; notices to it are "
                                   "filed into the review folder instead of being sent")
    db = open_for_reading(config.database)
    try:
        store = Store(db)
        unreachable = [m.name for m in config.directory.municipalities
                       if not m.addresses and store.latest_sender(m.name) is None]
    finally:
        db.close()
    if unreachable:
        yield Finding(WARNING, f"no known address for reminders: {', '.join(unreachable)} (add `addresses` "
                               "under [municipalities], or they are learnt from their first report)")
