"""A real Dovecot IMAP server on 127.0.0.1 for the tests: Debian's dovecot-imapd, 2.3 or 2.4.

The fixtures live in tests/conftest.py (pytest finds them without imports):

- `dovecot` (session): one server per test run, as a `DovecotServer`.
- `imap_account` (function): a fresh user, so an empty mailbox, as an `Account`
  (`.user`, `.password`, `.imap_config()`, `.environ`, `.client()`, `.toml()`).
- `imap_config` (function): a fresh user's ImapConfig, with the password in the
  environment variable it names (PASSWORD_ENV), for code that reads os.environ.
- `imap_client` (function): a logged-in IMAPClient of `imap_config`'s user.

The server runs from a temporary directory holding its config, sockets, log
and Maildirs. Every user name logs in with PASSWORD, so a new name is a new,
empty mailbox; a name ending in BARE before the @ (`add_user(bare=True)`)
sees only the capability "IMAP4rev1" (no MOVE, UIDPLUS or IDLE). As root
(CI), login processes run as `dovenull`, internal ones and the mail as
`dovecot`; as another user, everything runs as that user. Plain IMAP
listens on `port`; when `openssl` is present, a self-signed certificate
(for 127.0.0.1 and localhost, in `ca_file`) serves IMAPS on `ssl_port` and
STARTTLS on `port`. `restart()` cuts every connection and comes back on
the same ports with the same mail. For waits on the server instead of
sleeps: `idling(user)` (a session of the user is in IDLE now) and, when
started with log_commands=True (the fixture does), `finished(user, command)`
(how many such IMAP commands the user's sessions have completed).

The config is written for the binary's version (`dovecot --version`): the
2.3 syntax (Debian 12) or the 2.4 one (Debian 13). On 2.4, XOAUTH2 would need
an OAuth2 token service, so `xoauth2` is False there. MAILBOT_TEST_DOVECOT
names another binary (e.g. a wrapper running a 2.4 build in a chroot).
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

from imapclient import IMAPClient

from mailbot.config import ImapConfig

DOVECOT = Path(os.environ.get("MAILBOT_TEST_DOVECOT", "/usr/sbin/dovecot"))
SUPPORTED = ((2, 3), (2, 4))  # major.minor versions this module writes a config for
PASSWORD = "hemligt-test"
PASSWORD_ENV = "MAILBOT_TEST_IMAP_PASSWORD"
BARE = ".imap4rev1"
START_SECONDS = 10.0

CONFIG_23 = """\
# Written by tests/dovecot.py for Dovecot 2.3.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
# What the tests wait on instead of sleeping: an imap process shows its running command
# (IDLE) in its title, and (log_commands) the log has a line for every finished command.
verbose_proctitle = yes
{log_commands}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
# Every user name logs in with PASSWORD: a new name is a new, empty mailbox at once
# (a passwd-file is re-read at most once a second). Names ending in ".imap4rev1"
# (before the @) see only "IMAP4rev1": no MOVE, UIDPLUS or IDLE, like an old server.
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u imap_capability=%{{if;%n;*;*{bare};IMAP4rev1;+XMAILBOTTEST}}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  {chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service imap-urlauth-login {{
  {chroot}
}}
service anvil {{
  {chroot}
  # No socket: no growing delay after failed logins (tests log in wrongly on purpose).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

# The same server in the 2.4 syntax (https://doc.dovecot.org/latest/installation/upgrade/2.3-to-2.4.html):
# versioned config, mail_driver/mail_path, named passdb/userdb blocks with `fields`,
# %{{user}} variables, ssl_server_*_file, auth_allow_cleartext, `listen` in listeners.
CONFIG_24 = """\
# Written by tests/dovecot.py for Dovecot 2.4.
dovecot_config_version = {release}
dovecot_storage_version = {release}
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
# What the tests wait on instead of sleeping: an imap process shows its running command
# (IDLE) in its title, and (log_commands) the log has a line for every finished command.
verbose_proctitle = yes
{log_commands}
{ssl}
auth_allow_cleartext = yes
# No xoauth2: in 2.4 it needs an OAuth2 token service (oauth2_introspection_mode).
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_driver = maildir
mail_path = ~/Maildir
# Every user name logs in with PASSWORD: a new name is a new, empty mailbox at once.
# Names ending in ".imap4rev1" (before the @) see only "IMAP4rev1": no MOVE, UIDPLUS
# or IDLE, like an old server (2.4 has no %{{if}}: a passdb of their own sets it).
passdb bare {{
  driver = static
  username_filter = *{bare}@*
  passdb_static_password = {password}
  fields {{
    userdb_imap_capability = IMAP4rev1
  }}
}}
passdb static {{
  password = {password}
}}
userdb static {{
  fields {{
    uid = {uid}
    gid = {gid}
    home = {root}/mail/%{{user}}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  {chroot}
  inet_listener imap {{
    listen = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    listen = 127.0.0.1
    port = {ssl_port}
  }}
}}
service imap-urlauth-login {{
  {chroot}
}}
service anvil {{
  {chroot}
  # No socket: no growing delay after failed logins (tests log in wrongly on purpose).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


# 2.3: "... imap(USER)<pid><session>: Debug: Command finished: IDLE "
# 2.4: "... imap(USER)<pid><session>: Debug: Command finished: IDLE: OK Idle completed."
_FINISHED = re.compile(rb"imap\(([^)\n]*)\)<[^\n]*?: Debug: Command finished: ([^\n]*)\n")


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dovecot_release(binary: Path = DOVECOT) -> str:
    """The binary's version as "2.3.19.1" or "2.4.1" (from `dovecot --version`, build suffix dropped)."""
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10,
                         check=False).stdout
    return out.split()[0].split("-")[0] if out.split() else ""


def version_of(release: str) -> tuple[int, ...]:
    """(major, minor) of a release string: "2.4.1" -> (2, 4)."""
    return tuple(int(part) for part in release.split(".")[:2] if part.isdigit())


def render_config(release: str, *, root: Path, port: int, ssl_port: int | None, cert: Path | None,
                  key: Path | None, uid: int, gid: int, login_user: str, internal_user: str,
                  internal_group: str, as_root: bool, log_commands: bool = False) -> str:
    """dovecot.conf for `release` (2.3.x or 2.4.x): a pure function, so its text is testable anywhere."""
    version = version_of(release)
    if version not in SUPPORTED:
        raise ValueError(f"tests/dovecot.py writes a config for Dovecot 2.3 and 2.4, not {release!r}")
    if cert is None or key is None:
        ssl = "ssl = no"
    elif version == (2, 3):
        ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
    else:
        ssl = f"ssl = yes\nssl_server_cert_file = {cert}\nssl_server_key_file = {key}"
    template = CONFIG_23 if version == (2, 3) else CONFIG_24
    return template.format(
        release=release, root=root, port=port, ssl_port=ssl_port or 0, ssl=ssl, password=PASSWORD, bare=BARE,
        uid=uid, gid=gid, login_user=login_user, internal_user=internal_user, internal_group=internal_group,
        chroot="" if as_root else "chroot =",  # chroot needs root
        log_commands="log_debug = event=imap_command_finished" if log_commands else "",
    )


@dataclass
class Account:
    """One IMAP user on the test server."""

    server: DovecotServer
    user: str
    password: str = PASSWORD

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def environ(self) -> dict[str, str]:
        """An environment holding this account's password, for ImapMailbox(config, environ)."""
        return {PASSWORD_ENV: self.password}

    def imap_config(self, **overrides) -> ImapConfig:
        """An ImapConfig for this account: plain IMAP on 127.0.0.1, password in PASSWORD_ENV."""
        config = ImapConfig(host=self.host, port=self.port, security="none", user=self.user,
                            password_env=PASSWORD_ENV, folder="INBOX", timeout=10.0)
        return replace(config, **overrides)

    def client(self) -> IMAPClient:
        """A logged-in imapclient connection of its own (close it with .logout())."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def toml(self, password_env: str = PASSWORD_ENV) -> str:
        """An [imap] section for a config file pointing at this account."""
        return (f'[imap]\nhost = "{self.host}"\nport = {self.port}\nsecurity = "none"\n'
                f'user = "{self.user}"\npassword_env = "{password_env}"\nfolder = "INBOX"\n')


class DovecotServer:
    """A Dovecot master process on 127.0.0.1, its state in `root`."""

    host = "127.0.0.1"

    def __init__(self, root: Path, release: str | None = None, log_commands: bool = False):
        self.root = root
        self.release = release or dovecot_release()  # e.g. "2.3.19.1" or "2.4.1": the config is written in its syntax
        self.xoauth2 = version_of(self.release) == (2, 3)  # 2.4 needs an OAuth2 service for XOAUTH2
        self.log_commands = log_commands  # a log line per finished IMAP command, for finished()
        self._log_offset = 0
        self._finished: list[tuple[str, str]] = []  # (user, command line) per finished IMAP command
        self.port = free_port()
        self.ssl_port: int | None = None  # IMAPS, when TLS is on
        self.ca_file: Path | None = None  # the self-signed certificate, when TLS is on
        self.process: subprocess.Popen | None = None
        self._numbers = itertools.count(1)
        self.as_root = os.geteuid() == 0
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        if self.as_root:
            mail_user = pwd.getpwnam("dovecot")
            self.uid, self.gid = mail_user.pw_uid, mail_user.pw_gid
            os.chmod(root, 0o755)  # the mail processes run as `dovecot` and must get through
            os.chown(root / "mail", self.uid, self.gid)
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self.run_user = pwd.getpwuid(os.getuid()).pw_name
        self.run_group = grp.getgrgid(os.getgid()).gr_name
        self._make_certificate()
        self._write_config()
        self.user, self.password = "lagesbild-fas.dalarna@lansstyrelsen.se", PASSWORD

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    def _make_certificate(self) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            return
        done = subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(self.root / "key.pem"), "-out", str(self.root / "cert.pem")],
            capture_output=True, text=True, timeout=30, check=False)
        if done.returncode == 0:
            self.ca_file = self.root / "cert.pem"
            self.ssl_port = free_port()

    def _write_config(self) -> None:
        self.conf.write_text(render_config(
            self.release, root=self.root, port=self.port, ssl_port=self.ssl_port,
            cert=self.ca_file, key=self.root / "key.pem" if self.ca_file else None, uid=self.uid, gid=self.gid,
            login_user="dovenull" if self.as_root else self.run_user,
            internal_user="dovecot" if self.as_root else self.run_user,
            internal_group="dovecot" if self.as_root else self.run_group, as_root=self.as_root,
            log_commands=self.log_commands))

    def add_user(self, bare: bool = False) -> Account:
        """A new user name, so an empty mailbox. `bare`: the server offers this user only
        "IMAP4rev1" (no MOVE, UIDPLUS or IDLE), as an old server would."""
        number = next(self._numbers)
        return Account(self, f"lagesbild{number}{BARE if bare else ''}@lansstyrelsen.se")

    def account(self) -> Account:
        """The default account (user `lagesbild-fas.dalarna@lansstyrelsen.se`), shared by the session."""
        return Account(self, self.user, self.password)

    def account_for(self, config: ImapConfig) -> Account:
        """The Account behind an ImapConfig made here (e.g. by the `imap_config` fixture)."""
        return Account(self, config.user)

    def imap_config(self, user: str | None = None, **overrides) -> ImapConfig:
        """An ImapConfig for `user` (default: the default account), security "none"."""
        return Account(self, user or self.user).imap_config(**overrides)

    def start(self) -> None:
        with open(self.root / "dovecot.out", "ab") as log:
            # its own process group: stop() ends the master and every process it started
            self.process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.conf)], start_new_session=True,
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {self.host}:{self.port} within {START_SECONDS:g} s:\n"
                           f"{self.log()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The master alone would leave its imap processes serving the connections they
        # hold: signal the whole group, so every session drops, as on a real restart.
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # whatever outlived the master

    def restart(self) -> None:
        """Stop and start again: same ports, users and mail; every open connection is cut."""
        self.stop()
        self.start()

    def idling(self, user: str) -> bool:
        """Whether a session of `user` is in IDLE now (the imap process's title, verbose_proctitle)."""
        wanted = f"[{user} ".encode()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    title = f.read()
            except OSError:
                continue
            if title.startswith(b"dovecot/imap ") and wanted in title and title.rstrip(b"\0").endswith(b" IDLE]"):
                return True
        return False

    def finished(self, user: str, command: str) -> int:
        """How many `command`s (e.g. "UID FETCH", "IDLE") sessions of `user` have finished (from the log)."""
        assert self.log_commands, "start the server with log_commands=True"
        self._read_finished()
        return sum(1 for who, line in self._finished
                   if who == user and (line == command or line.startswith((command + " ", command + ":"))))

    def _read_finished(self) -> None:
        """Parse the log lines added since the last call (the log only grows, across restarts too)."""
        path = self.root / "dovecot.log"
        if not path.exists():
            return
        with open(path, "rb") as f:
            f.seek(self._log_offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next call
        self._log_offset += end
        for match in _FINISHED.finditer(data[:end]):
            self._finished.append((match.group(1).decode(errors="replace"), match.group(2).decode(errors="replace")))

    def log(self) -> str:
        text = ""
        for name in ("dovecot.out", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")[-4000:]
        return text
