"""The mailbox on an IMAP server (imapclient): MOVE and IDLE where the server offers them.

Every network, TLS or protocol error during an operation becomes a
TransientError (the daemon retries on the next tick) and drops the
connection, so the next call starts from a fresh login. A message that
vanished meanwhile is not an error: fetch gives None, move does nothing.

Folder names are written with "/" as the hierarchy separator (e.g.
"Lägesbild/Behandlade"); they are translated to the server's delimiter and
personal namespace prefix. imapclient encodes them as modified UTF-7.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import re
import shlex
import ssl
import subprocess
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Self, TypeVar

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import LoginError

from .config import ImapConfig
from .errors import ConfigError, TransientError
from .mailbox import IncomingMail

logger = logging.getLogger(__name__)

RELOCATE_CANDIDATES = 500  # messages hashed at most when looking for one without a Message-ID

T = TypeVar("T")

# imaplib.IMAP4.error is the base of imapclient's errors and of imaplib's abort;
# OSError covers socket errors, timeouts and ssl.SSLError.
_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)
_SLEEP_STEP = 0.5  # seconds; how finely wait_for_new sleeps without IDLE


class ImapMailbox:
    """The Mailbox protocol over IMAP. Connects on first use (or `open()`); a context manager."""

    def __init__(self, config: ImapConfig, environ: Mapping[str, str] = os.environ):
        self.config = config
        self._environ = environ
        self._client: IMAPClient | None = None
        self._selected = False  # the watched folder is selected on the current connection
        self._prefix = ""  # personal namespace prefix, e.g. "INBOX." on Cyrus
        self._delimiter: str | None = None
        self._folders: set[str] = set()  # server folder names known to exist
        self._uidvalidity: int | None = None  # as waiting() last reported it
        self._uidnext: int | None = None  # as wait_for_new() last saw it

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- connection -------------------------------------------------------------

    def open(self) -> Self:
        """Connect and log in now (otherwise the first call does it)."""
        self._connection()
        return self

    def close(self) -> None:
        """Log out; the next call would connect again."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except _ERRORS as e:
                logger.debug("IMAP logout from %s failed: %s", self.config.host, e)
                _shutdown(client)

    def _connection(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
            self._selected = False
            self._folders = set()
        return self._client

    def _connect(self) -> IMAPClient:
        c = self.config
        secret, oauth2 = self._credentials()
        where = f"{c.host}:{c.port}"
        context = ssl.create_default_context() if c.security != "none" else None
        try:
            client = IMAPClient(c.host, port=c.port, ssl=c.security == "ssl", ssl_context=context,
                                timeout=c.timeout)
        except _ERRORS as e:
            raise TransientError(f"cannot connect to IMAP server {where} ({c.security}): {_reason(e)}") from e
        try:
            if c.security == "starttls":
                client.starttls(context)
            if oauth2:
                client.oauth2_login(c.user, secret)
            elif (c.user + secret).isascii():
                client.login(c.user, secret)
            elif client.has_capability("AUTH=PLAIN"):
                client.plain_login(c.user, secret)  # SASL PLAIN is UTF-8; LOGIN takes ASCII only
            else:
                _shutdown(client)
                raise ConfigError(f"[imap] the user name or password for {c.user} has non-ASCII characters "
                                  f"and {where} offers no AUTH=PLAIN to send them")
            client.normalise_times = False  # aware INTERNALDATE (fetch converts it to UTC)
            self._learn_hierarchy(client)
        except LoginError as e:
            _shutdown(client)
            method = "XOAUTH2" if oauth2 else "password"
            raise TransientError(f"IMAP login refused for {c.user} at {where} ({method}): {_reason(e)}") from e
        except _ERRORS as e:
            _shutdown(client)
            raise TransientError(f"IMAP connection to {where} failed: {_reason(e)}") from e
        logger.info("connected to IMAP %s as %s (%s)", where, c.user, c.security)
        return client

    def _credentials(self) -> tuple[str, bool]:
        """(secret, is it an OAuth2 token)."""
        if self.config.oauth2_token_command:
            return self._oauth2_token(), True
        name = self.config.password_env
        password = self._environ.get(name, "")
        if not password:
            raise ConfigError(f"[imap] password_env: the environment variable {name} is not set "
                              f"(it must hold the IMAP password for {self.config.user})")
        return password, False

    def _oauth2_token(self) -> str:
        command = self.config.oauth2_token_command
        try:
            argv = shlex.split(command)
        except ValueError as e:
            raise ConfigError(f"[imap] oauth2_token_command: cannot parse {command!r}: {e}") from e
        if not argv:
            raise ConfigError("[imap] oauth2_token_command is blank")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.config.timeout,
                                  stdin=subprocess.DEVNULL, check=False)
        except (FileNotFoundError, PermissionError) as e:
            raise ConfigError(f"[imap] oauth2_token_command: cannot run {argv[0]}: {e}") from e
        except subprocess.TimeoutExpired as e:
            raise TransientError(f"oauth2_token_command timed out after {self.config.timeout:g} s") from e
        except OSError as e:
            raise TransientError(f"oauth2_token_command failed: {e}") from e
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise TransientError(f"oauth2_token_command exited with {done.returncode}: {detail[0]}")
        token = done.stdout.strip()
        if not token:
            raise TransientError("oauth2_token_command printed no token")
        return token

    def _learn_hierarchy(self, client: IMAPClient) -> None:
        prefix, delimiter = "", None
        if client.has_capability("NAMESPACE"):
            personal = client.namespace().personal
            if personal:
                prefix, delimiter = personal[0]
        if delimiter is None:
            listing = client.list_folders("", "")  # LIST "" "" gives the delimiter
            if listing and listing[0][1]:
                delimiter = listing[0][1]
        if isinstance(delimiter, bytes):
            delimiter = delimiter.decode("ascii")
        self._prefix, self._delimiter = prefix or "", delimiter or None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)

    def _run(self, action: str, step: Callable[[IMAPClient], T]) -> T:
        """Run one step on a live connection; any failure drops the connection."""
        client = self._connection()
        try:
            return step(client)
        except _ERRORS as e:
            self._drop()
            raise TransientError(f"IMAP {action} on {self.config.host}:{self.config.port} failed: "
                                 f"{_reason(e)}") from e
        except BaseException:
            self._drop()  # state unknown (e.g. interrupted in IDLE): start afresh next time
            raise

    # -- folders ------------------------------------------------------------------

    def server_name(self, folder: str) -> str:
        """The server's name for `folder` ("/" separated), e.g. "INBOX.Lägesbild.Behandlade"."""
        if folder.upper() == "INBOX":
            return "INBOX"
        name = folder
        if self._delimiter and self._delimiter != "/":
            name = name.replace("/", self._delimiter)
        if self._prefix and not name.startswith(self._prefix):
            name = self._prefix + name
        return name

    def _ensure_folder(self, client: IMAPClient, name: str) -> None:
        if name == "INBOX" or name in self._folders:
            return
        if not client.folder_exists(name):
            try:
                client.create_folder(name)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error:
                if not client.folder_exists(name):  # not a lost race with another client
                    raise
            else:
                logger.info("created IMAP folder %s", name)
                try:
                    client.subscribe_folder(name)  # so that people see it in their mail client
                except imaplib.IMAP4.abort:
                    raise
                except imaplib.IMAP4.error as e:
                    logger.debug("could not subscribe to %s: %s", name, e)
        self._folders.add(name)

    def _select(self, client: IMAPClient) -> dict:
        info = client.select_folder(self.server_name(self.config.folder))
        self._selected = True
        return info

    def _ensure_selected(self, client: IMAPClient) -> None:
        """Select the watched folder if needed; refuse to act on UIDs of an older UIDVALIDITY."""
        if self._selected:
            return
        uidvalidity = int(self._select(client)[b"UIDVALIDITY"])
        if self._uidvalidity is None:
            self._uidvalidity = uidvalidity
        elif uidvalidity != self._uidvalidity:
            previous, self._uidvalidity = self._uidvalidity, None
            raise TransientError(f"UIDVALIDITY of {self.config.folder} changed from {previous} to "
                                 f"{uidvalidity}: the UIDs listed before are stale; list again")

    # -- the Mailbox protocol -------------------------------------------------------

    def waiting(self) -> tuple[int, list[str]]:
        """(UIDVALIDITY, UIDs of the watched folder's messages not flagged \\Deleted, ascending)."""

        def step(client: IMAPClient) -> tuple[int, list[str]]:
            self._uidvalidity = int(self._select(client)[b"UIDVALIDITY"])
            uids = sorted(client.search(["UNDELETED"]))
            return self._uidvalidity, [str(uid) for uid in uids]

        return self._run("listing", step)

    def fetch(self, uid: str) -> IncomingMail | None:
        """The message's exact bytes and INTERNALDATE (as UTC), without setting \\Seen; None if gone."""
        number = _uid_number(uid)
        if number is None:
            return None

        def step(client: IMAPClient) -> IncomingMail | None:
            self._ensure_selected(client)
            data = client.fetch([number], ["BODY.PEEK[]", "INTERNALDATE"]).get(number)
            if not data or data.get(b"BODY[]") is None:
                return None
            when = _aware(data[b"INTERNALDATE"])
            assert self._uidvalidity is not None  # _ensure_selected has set it
            return IncomingMail(self.config.folder, self._uidvalidity, uid, when, bytes(data[b"BODY[]"]))

        return self._run(f"fetch of UID {uid}", step)

    def move(self, uid: str, folder: str) -> None:
        """Move to `folder` (created if missing): MOVE, else COPY + \\Deleted + (UID) EXPUNGE."""
        number = _uid_number(uid)
        if number is None:
            return

        def step(client: IMAPClient) -> None:
            self._ensure_selected(client)
            target = self.server_name(folder)
            if target == self.server_name(self.config.folder):
                return
            self._ensure_folder(client, target)
            if not client.search(["UID", str(number), "UNDELETED"]):
                logger.info("UID %s is no longer in %s; nothing to move", uid, self.config.folder)
                return
            if client.has_capability("MOVE"):
                client.move([number], target)
            else:
                client.copy([number], target)
                client.add_flags([number], [DELETED], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge([number])
                else:
                    client.expunge()  # without UIDPLUS, EXPUNGE is the only way to finish the move
            logger.debug("moved UID %s from %s to %s", uid, self.config.folder, target)

        self._run(f"move of UID {uid} to {folder}", step)

    def append(self, folder: str, raw: bytes, internaldate: datetime | None = None) -> str | None:
        """Add a message to `folder` (created if missing); its UID when the server says (UIDPLUS).

        A naive `internaldate` is taken as this machine's local time (imapclient's rule).
        """

        def step(client: IMAPClient) -> str | None:
            target = self.server_name(folder)
            self._ensure_folder(client, target)
            response = client.append(target, raw, msg_time=internaldate)
            found = _APPENDUID.search(response if isinstance(response, bytes) else str(response).encode())
            return found.group(1).decode() if found else None

        return self._run(f"append to {folder}", step)

    def delete_before(self, folder: str, cutoff: datetime) -> int:
        """Delete the messages in `folder` that arrived before `cutoff` (the retention period); how many."""

        def step(client: IMAPClient) -> int:
            name = self.server_name(folder)
            if not client.folder_exists(name):
                return 0
            self._selected = False  # the watched folder is selected again before its next use
            client.select_folder(name)
            old = client.search(["BEFORE", cutoff.date()])
            if old:
                client.add_flags(old, [DELETED], silent=True)
                client.expunge()
            return len(old)

        return self._run(f"retention purge of {folder}", step)

    def relocate(self, source: str, message_id: str | None, sha256: str, target: str) -> bool:
        """Move the message in `source` whose bytes hash to `sha256` (found by Message-ID when it has one)
        to `target`; False when it is not there (moved by hand, say)."""

        def step(client: IMAPClient) -> bool:
            folder = self.server_name(source)
            if not client.folder_exists(folder):
                return False
            self._selected = False  # the watched folder is selected again before its next use
            client.select_folder(folder)
            criteria = ["UNDELETED", "HEADER", "Message-ID", message_id] if message_id else ["UNDELETED"]
            for number in sorted(client.search(criteria))[:RELOCATE_CANDIDATES]:
                data = client.fetch([number], ["BODY.PEEK[]"]).get(number)
                if not data or hashlib.sha256(bytes(data[b"BODY[]"])).hexdigest() != sha256:
                    continue
                destination = self.server_name(target)
                self._ensure_folder(client, destination)
                if client.has_capability("MOVE"):
                    client.move([number], destination)
                else:
                    client.copy([number], destination)
                    client.add_flags([number], [DELETED], silent=True)
                    client.expunge()
                return True
            return False

        return self._run(f"move from {source} to {target}", step)

    def wait_for_new(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for new mail in the watched folder.

        True when a message arrived during the wait (IDLE reported EXISTS or
        RECENT) or since the previous call (UIDNEXT grew). Without IDLE it
        sleeps and returns False, unless UIDNEXT already shows new mail.
        """
        deadline = time.monotonic() + timeout

        def step(client: IMAPClient) -> bool | None:
            info = self._select(client)
            seen = (self._uidvalidity, self._uidnext)
            self._uidvalidity = int(info[b"UIDVALIDITY"])
            self._uidnext = info.get(b"UIDNEXT")
            if seen[1] is not None and self._uidnext is not None \
                    and (seen[0] != self._uidvalidity or self._uidnext > seen[1]):
                return True
            if not client.has_capability("IDLE"):
                return None
            return _idle(client, deadline)

        arrived = self._run("IDLE", step)
        if arrived is None:
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(_SLEEP_STEP, left))
            return False
        return arrived


def _idle(client: IMAPClient, deadline: float) -> bool:
    client.idle()
    arrived = False
    while not arrived:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        responses = client.idle_check(timeout=left)
        if any(len(r) > 1 and r[0] == b"BYE" for r in responses):
            raise imaplib.IMAP4.abort(f"server closed the connection: {responses}")
        arrived = _has_new(responses)
        if not responses and time.monotonic() < deadline - 0.05:
            break  # woken early with nothing to read: end IDLE, which reveals a dead connection
    _, responses = client.idle_done()
    return arrived or _has_new(responses)


def _has_new(responses) -> bool:
    return any(
        len(response) >= 2 and isinstance(response[0], int)
        and (response[1] == b"EXISTS" or (response[1] == b"RECENT" and response[0] > 0))
        for response in responses
    )


def _uid_number(uid: str) -> int | None:
    try:
        number = int(uid)
    except (TypeError, ValueError):
        logger.warning("not an IMAP UID: %r", uid)
        return None
    return number if number > 0 else None


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:  # a server that left out the zone: RFC 3501 requires it, assume UTC
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except _ERRORS as e:
        logger.debug("closing the IMAP socket failed: %s", e)


def _reason(error: BaseException) -> str:
    """The server's words, without imaplib's b'...' wrapping."""
    if isinstance(error, LoginError) and isinstance(error.__context__, imaplib.IMAP4.error):
        error = error.__context__  # imapclient re-raises with str() of the server's bytes
    if error.args and isinstance(error.args[0], bytes):
        return error.args[0].decode("utf-8", "replace")
    return str(error) or type(error).__name__
