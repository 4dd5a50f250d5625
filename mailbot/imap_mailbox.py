"""The mailbox on an IMAP server (imapclient), with MOVE and IDLE where offered.

Every network or protocol error becomes a TransientError: the daemon
retries on the next tick, and the next call here reconnects.
"""

from __future__ import annotations

import imaplib
import logging
import os
import shlex
import socket
import ssl
import subprocess
from collections.abc import Mapping
from datetime import datetime, timezone

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from .config import ImapConfig
from .errors import ConfigError, TransientError
from .mailbox import IncomingMail

logger = logging.getLogger(__name__)

_NETWORK_ERRORS = (IMAPClientError, imaplib.IMAP4.error, imaplib.IMAP4.abort, OSError, socket.timeout, ssl.SSLError)


def _has_new(responses) -> bool:
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


class ImapMailbox:
    def __init__(self, config: ImapConfig, environ: Mapping[str, str] = os.environ):
        self.config, self.environ = config, environ
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None

    # -- connection ---------------------------------------------------------

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _secret(self) -> str:
        c = self.config
        if c.oauth2_token_command:
            try:
                done = subprocess.run(shlex.split(c.oauth2_token_command), capture_output=True, text=True,
                                      timeout=60, check=True)
            except (OSError, subprocess.SubprocessError) as e:
                raise TransientError(f"oauth2_token_command failed: {e}") from e
            return done.stdout.strip()
        try:
            return self.environ[c.password_env]
        except KeyError:
            raise ConfigError(f"[imap] password_env: environment variable {c.password_env} is not set") from None

    def _connect(self) -> IMAPClient:
        if self._client is not None:
            return self._client
        c = self.config
        secret = self._secret()
        context = ssl.create_default_context()
        try:
            client = IMAPClient(c.host, port=c.port, ssl=c.security == "ssl", ssl_context=context, timeout=c.timeout)
            client.normalise_times = False  # keep INTERNALDATE's timezone
            if c.security == "starttls":
                client.starttls(context)
            if c.oauth2_token_command:
                client.oauth2_login(c.user, secret)
            else:
                client.login(c.user, secret)
            info = client.select_folder(c.folder)
        except LoginError as e:
            raise TransientError(f"IMAP login to {c.host} as {c.user} refused: {e}") from e
        except _NETWORK_ERRORS as e:
            raise TransientError(f"cannot reach IMAP {c.host}:{c.port}: {e}") from e
        self._client = client
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except _NETWORK_ERRORS:
                pass

    def _call(self, what: str, fn):
        client = self._connect()
        try:
            return fn(client)
        except _NETWORK_ERRORS as e:
            self._drop()
            raise TransientError(f"IMAP {what} failed: {e}") from e

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except _NETWORK_ERRORS:
                pass

    # -- the Mailbox protocol -------------------------------------------------

    def waiting(self) -> tuple[int, list[str]]:
        def run(client: IMAPClient):
            info = client.select_folder(self.config.folder)
            self._uidvalidity = int(info[b"UIDVALIDITY"])
            return self._uidvalidity, [str(u) for u in sorted(client.search(["NOT", "DELETED"]))]

        return self._call("search", run)

    def fetch(self, uid: str) -> IncomingMail | None:
        def run(client: IMAPClient):
            data = client.fetch([int(uid)], ["BODY.PEEK[]", "INTERNALDATE"]).get(int(uid))
            if not data or b"BODY[]" not in data:
                return None
            when = data[b"INTERNALDATE"]
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return IncomingMail(self.config.folder, self._uidvalidity or 0, uid, when, bytes(data[b"BODY[]"]))

        return self._call("fetch", run)

    def _ensure_folder(self, client: IMAPClient, folder: str) -> None:
        if not client.folder_exists(folder):
            client.create_folder(folder)
            logger.info("created IMAP folder %s", folder)

    def move(self, uid: str, folder: str) -> None:
        def run(client: IMAPClient):
            self._ensure_folder(client, folder)
            uids = [int(uid)]
            if not client.search(["UID", uid]):
                return  # already gone
            if client.has_capability("MOVE"):
                client.move(uids, folder)
                return
            client.copy(uids, folder)
            client.add_flags(uids, [b"\\Deleted"])
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
            else:
                client.expunge()

        self._call("move", run)

    def append(self, folder: str, raw: bytes, internaldate: datetime | None = None) -> None:
        def run(client: IMAPClient):
            self._ensure_folder(client, folder)
            client.append(folder, raw, msg_time=internaldate)

        self._call("append", run)

    def wait_for_new(self, timeout: float) -> bool:
        """Wait in IDLE up to `timeout` seconds; True when new mail arrived."""

        def run(client: IMAPClient):
            if not client.has_capability("IDLE"):
                import time

                time.sleep(timeout)
                return False
            _, pending = client.noop()  # mail that arrived while we were not idling
            if _has_new(pending):
                return True
            client.idle()
            try:
                responses = client.idle_check(timeout=timeout)
            finally:
                client.idle_done()
            return _has_new(responses)

        return self._call("idle", run)
