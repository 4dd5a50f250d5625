"""The embedded default's mailbox: a local Maildir (stdlib `mailbox`), no server."""

from __future__ import annotations

import logging
import mailbox
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from .mailbox import IncomingMail

logger = logging.getLogger(__name__)

UIDVALIDITY = 1  # a Maildir has no UIDVALIDITY; its keys never change


class MaildirMailbox:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(path, factory=None, create=True)

    def _folder(self, name: str) -> mailbox.Maildir:
        if name == "INBOX":
            return self.box
        try:
            return self.box.get_folder(name)
        except mailbox.NoSuchMailboxError:
            return self.box.add_folder(name)

    def _file(self, key: str) -> Path:
        return self.path / self.box._lookup(key)  # noqa: SLF001 - the stdlib keeps key→path private

    def waiting(self) -> tuple[int, list[str]]:
        self.box.clean()
        keys = list(self.box.iterkeys())
        keys.sort(key=lambda k: (self._mtime(k), k))
        return UIDVALIDITY, keys

    def _mtime(self, key: str) -> float:
        try:
            return self._file(key).stat().st_mtime
        except (KeyError, OSError):
            return 0.0

    def fetch(self, uid: str) -> IncomingMail | None:
        try:
            path = self._file(uid)
            raw = path.read_bytes()
        except (KeyError, OSError):
            return None
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return IncomingMail("INBOX", UIDVALIDITY, uid, when, raw)

    def move(self, uid: str, folder: str) -> None:
        try:
            path = self._file(uid)
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except (KeyError, OSError):
            return
        self.append(folder, raw, datetime.fromtimestamp(mtime, timezone.utc))  # add first ...
        self.box.discard(uid)  # ... then remove: never lost, at worst twice

    def append(self, folder: str, raw: bytes, internaldate: datetime | None = None) -> str:
        target = self._folder(folder)
        key = target.add(mailbox.MaildirMessage(raw))
        if internaldate is not None:
            stamp = internaldate.timestamp()
            os.utime(Path(target._path) / target._lookup(key), (stamp, stamp))  # noqa: SLF001
        return key

    def wait_for_new(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False

    def close(self) -> None:
        self.box.close()
