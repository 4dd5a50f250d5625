"""One frozen configuration object, loaded from TOML over an embedded default.

Secrets never live in the file: `[imap] password_env` and `[smtp]
password_env` name environment variables that are read when connecting.
"""

from __future__ import annotations

import builtins
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from parsers.directory import Directory, Municipality
from parsers.model import Limits

from .errors import ConfigError

SECURITY_CHOICES = ("ssl", "starttls", "none")
DEADLINE_RULES = ("days_after_month_end", "last_working_day")
EVES = ("julafton", "midsommarafton", "nyårsafton")


@dataclass(frozen=True)
class CountyConfig:
    name: str
    mailbox: str
    admins: tuple[str, ...]
    leadership: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineConfig:
    rule: str = "days_after_month_end"
    days: int = 7
    non_working_eves: tuple[str, ...] = EVES


@dataclass(frozen=True)
class ReminderConfig:
    days_before: int = 3  # the friendly reminder, days before the deadline (0: none)
    notice_days_after: int = 1  # the notice to those still missing, days after the deadline
    job_hour: int = 8  # when the daily county job runs (Swedish time)


@dataclass(frozen=True)
class Folders:
    """Where mail is read from and moved to ("/" separates levels: "Lägesbild/Behandlade")."""

    inbox: str = "INBOX"
    processed: str = "Behandlade"
    review: str = "Att granska"


DEFAULT_FOLDERS = Folders()


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    security: str = "ssl"
    user: str = ""
    password_env: str = "MAILBOT_IMAP_PASSWORD"
    folder: str = DEFAULT_FOLDERS.inbox
    processed_folder: str = DEFAULT_FOLDERS.processed
    review_folder: str = DEFAULT_FOLDERS.review
    timeout: float = 60.0
    oauth2_token_command: str = ""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = "MAILBOT_SMTP_PASSWORD"
    sender: str = ""
    timeout: float = 60.0


@dataclass(frozen=True)
class Config:
    source: str  # the file it came from, or "<embedded default>"
    county: CountyConfig
    deadline: DeadlineConfig
    directory: Directory
    database: Path
    maildir: Path
    outbox_dir: Path
    imap: ImapConfig | None = None
    smtp: SmtpConfig | None = None
    rules_dir: Path | None = None  # None: the shipped rules
    poll_minutes: int = 5
    mailbox_down_minutes: int = 30  # [schedule]: the mailbox unreadable this long: the administrators are told
    limits: Limits = field(default_factory=Limits)
    reminders: ReminderConfig = field(default_factory=ReminderConfig)
    hold_failed_authentication: bool = True  # [security]: DKIM/SPF/DMARC fail -> held, not counted
    auto_answers_per_hour: int = 100  # [limits]: receipts and replies to anyone, in any hour
    retention_days: int = 730  # [retention] days: older mail content is purged daily by the daemon (0: never)
    retention_mailbox: bool = False  # [retention] mailbox_folders: also delete such old mail in the IMAP folders
    web_listen: str = ""  # [web] listen: "HOST:PORT" where `mailbot run` serves the web desk too ("": not)
    web_secure_cookies: bool = False  # [web] secure_cookies: session cookie only over HTTPS (behind TLS)
    web_sso: SingleSignOn | None = None  # [web] sso_*: the county's reverse proxy names the user

    @property
    def folders(self) -> Folders:
        """The configured IMAP folders; the defaults for the local Maildir."""
        if self.imap is None:
            return DEFAULT_FOLDERS
        return Folders(self.imap.folder, self.imap.processed_folder, self.imap.review_folder)

    @property
    def own_addresses(self) -> frozenset[str]:
        """The bot's own addresses, lower-case: the county mailbox, the SMTP sender, the IMAP login."""
        own = {self.county.mailbox}
        if self.smtp and self.smtp.sender:
            own.add(self.smtp.sender.lower())
        if self.imap and self.imap.user:
            own.add(self.imap.user.lower())
        return frozenset(own)


def _default_table() -> dict:
    text = resources.files("mailbot").joinpath("default_config.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_config(path: Path | str | None = None) -> Config:
    """Load `path` over the embedded default; without a path, the default alone.

    Raises ConfigError naming the file and key on any mistake.
    """
    table = _default_table()
    source = "<embedded default>"
    base_dir = Path.cwd()
    if path is not None:
        path = Path(path)
        source = str(path)
        try:
            user = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"{path}: file not found") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: {e}") from e
        unknown = set(user) - KNOWN_SECTIONS
        if unknown:
            raise ConfigError(f"{path}: unknown section [{sorted(unknown)[0]}]")
        for name, section in user.items():
            if name == "municipalities" or not isinstance(section, dict):
                table[name] = section
            else:
                table.setdefault(name, {}).update(section)
        base_dir = path.resolve().parent
    return _build(table, source, base_dir)


KNOWN_SECTIONS = {
    "county", "deadline", "maildir", "outbox", "storage", "imap", "smtp",
    "municipalities", "rules", "schedule", "limits", "reminders", "security", "retention", "web",
}


@dataclass(frozen=True)
class SingleSignOn:
    """[web] sso_*: a reverse proxy at one of `proxies` names the signed-in user in `header`."""

    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    header: str
    admins: frozenset[str]  # these users are administrators
    readers: frozenset[str]  # these are readers; "*": every user the proxy names who is not an administrator

    def role(self, name: str) -> str | None:
        if name in self.admins:
            return "admin"
        return "reader" if name in self.readers or "*" in self.readers else None

    def trusts(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)


class _Reader:
    """Typed access to one TOML section, with errors that name file and key."""

    def __init__(self, source: str, section: str, data: dict, allowed: set[str]):
        self.source, self.section, self.data = source, section, data
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: [{section}] must be a table")
        for key in data:
            if key not in allowed:
                raise ConfigError(f"{source}: unknown key '{key}' in [{section}]")

    def _fail(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{self.section}] {key}: {what}")

    def str(self, key: str, default: str | None = None, choices=None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self._fail(key, "is required")
        if not isinstance(value, str):
            raise self._fail(key, "must be a string")
        if choices and value not in choices:
            raise self._fail(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    # `str` and `int` name the methods from here on: the builtins by their full names.
    def int(self, key: builtins.str, default: builtins.int, minimum: builtins.int = 0) -> builtins.int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self._fail(key, f"must be a whole number ≥ {minimum}")
        return value

    def float(self, key: builtins.str, default: builtins.float) -> builtins.float:
        value = self.data.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise self._fail(key, "must be a positive number")
        return float(value)

    def strings(self, key: builtins.str, default=()) -> tuple[builtins.str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "must be a list of strings")
        return tuple(value)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _security(r: _Reader, host: str, default: str) -> str:
    security = r.str("security", default, SECURITY_CHOICES)
    if security == "none" and not _is_loopback(host):
        raise r._fail("security", f'"none" is refused for {host}: only loopback hosts may run without TLS')
    return security


def _build(t: dict, source: str, base: Path) -> Config:
    def path(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    r = _Reader(source, "county", t.get("county", {}), {"name", "mailbox", "admins", "leadership"})
    county = CountyConfig(r.str("name"), r.str("mailbox").lower(), r.strings("admins"), r.strings("leadership"))

    r = _Reader(source, "deadline", t.get("deadline", {}), {"rule", "days", "non_working_eves"})
    eves = r.strings("non_working_eves", EVES)
    for eve in eves:
        if eve not in EVES:
            raise r._fail("non_working_eves", f"unknown day {eve!r}; known: {', '.join(EVES)}")
    deadline = DeadlineConfig(r.str("rule", None, DEADLINE_RULES), r.int("days", 7), eves)

    municipalities = []
    table = t.get("municipalities", {})
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{source}: [municipalities] must list at least one municipality")
    for name, entry in table.items():
        r = _Reader(source, f"municipalities.{name}", entry, {"domains", "addresses"})
        municipalities.append(Municipality(name, r.strings("domains"), r.strings("addresses")))

    imap = smtp = None
    if "imap" in t:
        r = _Reader(source, "imap", t["imap"], {f for f in ImapConfig.__dataclass_fields__})
        host = r.str("host")
        imap = ImapConfig(
            host=host, port=r.int("port", 993, 1), security=_security(r, host, "ssl"),
            user=r.str("user", ""), password_env=r.str("password_env", "MAILBOT_IMAP_PASSWORD"),
            folder=r.str("folder", DEFAULT_FOLDERS.inbox),
            processed_folder=r.str("processed_folder", DEFAULT_FOLDERS.processed),
            review_folder=r.str("review_folder", DEFAULT_FOLDERS.review), timeout=r.float("timeout", 60.0),
            oauth2_token_command=r.str("oauth2_token_command", ""),
        )
    if "smtp" in t:
        r = _Reader(source, "smtp", t["smtp"], {"host", "port", "security", "user", "password_env", "from", "timeout"})
        host = r.str("host")
        smtp = SmtpConfig(
            host=host, port=r.int("port", 587, 1), security=_security(r, host, "starttls"),
            user=r.str("user", ""), password_env=r.str("password_env", "MAILBOT_SMTP_PASSWORD"),
            sender=r.str("from", county.mailbox), timeout=r.float("timeout", 60.0),
        )

    r = _Reader(source, "storage", t.get("storage", {}), {"database"})
    database = path(r.str("database", "var/mailbot.db"))
    r = _Reader(source, "maildir", t.get("maildir", {}), {"path"})
    maildir = path(r.str("path", "var/maildir"))
    r = _Reader(source, "outbox", t.get("outbox", {}), {"directory"})
    outbox_dir = path(r.str("directory", "var/outbox"))
    r = _Reader(source, "rules", t.get("rules", {}), {"directory"})
    rules_dir = r.str("directory", "")
    r = _Reader(source, "schedule", t.get("schedule", {}), {"poll_minutes", "mailbox_down_minutes"})
    poll_minutes = r.int("poll_minutes", 5, 1)
    mailbox_down_minutes = r.int("mailbox_down_minutes", 30, 1)
    r = _Reader(source, "reminders", t.get("reminders", {}), {"days_before", "notice_days_after", "job_hour"})
    reminders = ReminderConfig(r.int("days_before", 3), r.int("notice_days_after", 1, 1), r.int("job_hour", 8))
    if reminders.job_hour > 23:
        raise r._fail("job_hour", "must be an hour 0-23")
    r = _Reader(source, "security", t.get("security", {}), {"hold_failed_authentication"})
    hold = r.data.get("hold_failed_authentication", True)
    if not isinstance(hold, bool):
        raise r._fail("hold_failed_authentication", "must be true or false")
    r = _Reader(source, "retention", t.get("retention", {}), {"days", "mailbox_folders"})
    retention_days = r.int("days", 730, 0)
    retention_mailbox = r.data.get("mailbox_folders", False)
    if not isinstance(retention_mailbox, bool):
        raise r._fail("mailbox_folders", "must be true or false")
    r = _Reader(source, "web", t.get("web", {}), {"listen", "secure_cookies", "sso_proxies", "sso_header",
                                                  "sso_admins", "sso_readers"})
    web_listen = r.str("listen", "")
    if web_listen:
        host, _, port = web_listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise r._fail("listen", f"must be HOST:PORT, e.g. 127.0.0.1:8025, not {web_listen!r}")
    web_secure_cookies = r.data.get("secure_cookies", False)
    if not isinstance(web_secure_cookies, bool):
        raise r._fail("secure_cookies", "must be true or false")
    web_sso = _single_sign_on(r)
    r = _Reader(source, "limits", t.get("limits", {}),
                {"max_attachment_mb", "max_unpacked_mb", "max_pages", "max_text_chars", "max_seconds",
                 "auto_answers_per_hour"})
    auto_answers_per_hour = r.int("auto_answers_per_hour", 100, 1)
    limits = Limits(
        max_attachment_bytes=r.int("max_attachment_mb", 20, 1) * 1024 * 1024,
        max_unpacked_bytes=r.int("max_unpacked_mb", 50, 1) * 1024 * 1024,
        max_pages=r.int("max_pages", 200, 1),
        max_text_chars=r.int("max_text_chars", 2_000_000, 1000),
        max_seconds=r.float("max_seconds", 60.0),
    )
    return Config(
        source=source, county=county, deadline=deadline,
        directory=Directory(tuple(municipalities)), database=database, maildir=maildir,
        outbox_dir=outbox_dir, imap=imap, smtp=smtp,
        rules_dir=path(rules_dir) if rules_dir else None, poll_minutes=poll_minutes, limits=limits,
        mailbox_down_minutes=mailbox_down_minutes,
        reminders=reminders, hold_failed_authentication=hold, auto_answers_per_hour=auto_answers_per_hour,
        retention_days=retention_days, retention_mailbox=retention_mailbox,
        web_listen=web_listen, web_secure_cookies=web_secure_cookies, web_sso=web_sso,
    )


def _single_sign_on(r: _Reader) -> SingleSignOn | None:
    proxies = r.strings("sso_proxies")
    if not proxies:
        for key in ("sso_header", "sso_admins", "sso_readers"):
            if key in r.data:
                raise r._fail(key, "needs sso_proxies: the addresses of the proxy allowed to name the user")
        return None
    try:
        networks = tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
    except ValueError as e:
        raise r._fail("sso_proxies", f"must be IP addresses or networks ({e})") from None
    header = r.str("sso_header", "X-Remote-User")
    if not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise r._fail("sso_header", f"must be a header name such as X-Remote-User, not {header!r}")
    return SingleSignOn(networks, header, frozenset(r.strings("sso_admins")), frozenset(r.strings("sso_readers")))
