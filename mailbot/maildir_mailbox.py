"""The embedded default's mailbox: a local Maildir (stdlib `mailbox`), no server.

"INBOX" is the Maildir itself; other folders are Maildir++ subfolders
("Att granska" is `.Att granska/`, "Lägesbild/Behandlade" is
`.Lägesbild.Behandlade/`). A message's key is its UID and its file's
modification time is its INTERNALDATE. Bytes are stored exactly as given.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from .mailbox import IncomingMail

logger = logging.getLogger(__name__)

UIDVALIDITY = 1  # a Maildir has no UIDVALIDITY; its keys never change


class MaildirMailbox:
    """The Mailbox protocol over a local Maildir; `append` and `wait_for_new` as ImapMailbox has them."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.box = mailbox.Maildir(self.path, factory=None, create=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _folder(self, name: str) -> mailbox.Maildir:
        if name.upper() == "INBOX":
            return self.box
        subfolder = name.replace("/", ".")  # Maildir++ separates levels with "."
        try:
            return self.box.get_folder(subfolder)
        except mailbox.NoSuchMailboxError:
            pass
        try:  # the daemon's first poll and county job may both create it at once: the second one finds it
            folder = self.box.add_folder(subfolder)
            logger.info("created Maildir folder %s", name)
            return folder
        except FileExistsError:
            return self.box.get_folder(subfolder)

    def waiting(self) -> tuple[int, list[str]]:
        """(1, the inbox's keys, oldest first), leaving out messages marked trashed (T)."""
        found = []
        for key in self.box.iterkeys():
            path = _path(self.box, key)
            if path is None or "T" in _info(path):
                continue
            try:
                found.append((path.stat().st_mtime, key))
            except OSError:
                continue  # moved away meanwhile
        return UIDVALIDITY, [key for _, key in sorted(found)]

    def fetch(self, uid: str) -> IncomingMail | None:
        path = _path(self.box, uid)
        if path is None:
            return None
        try:
            raw = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError:
            return None
        return IncomingMail("INBOX", UIDVALIDITY, uid, datetime.fromtimestamp(mtime, UTC), raw)

    def move(self, uid: str, folder: str) -> None:
        """Copy to `folder` with the same time, then remove from the inbox: never lost, at worst twice."""
        mail = self.fetch(uid)
        if mail is None:
            logger.info("key %s is no longer in the inbox; nothing to move", uid)
            return
        if folder.upper() == "INBOX":
            return
        self.append(folder, mail.raw, mail.internaldate)
        self.box.discard(uid)

    def append(self, folder: str, raw: bytes, internaldate: datetime | None = None) -> str:
        """Add `raw` to `folder` (created if missing); returns its key. Sets the mtime to `internaldate`."""
        target = self._folder(folder)
        key = target.add(raw)
        if internaldate is not None:
            if internaldate.tzinfo is None:
                internaldate = internaldate.astimezone()  # naive: this machine's local time
            stamp = internaldate.timestamp()
            path = _path(target, key)
            if path is not None:
                os.utime(path, (stamp, stamp))
        return key

    def delete_before(self, folder: str, cutoff: datetime) -> int:
        """Delete the messages in `folder` that arrived before `cutoff` (the retention period); how many."""
        box, removed = self._folder(folder), 0
        for key in list(box.iterkeys()):
            path = _path(box, key)
            try:
                if path is not None and path.stat().st_mtime < cutoff.timestamp():
                    box.discard(key)
                    removed += 1
            except OSError:
                continue
        return removed

    def relocate(self, source: str, message_id: str | None, sha256: str, target: str) -> bool:
        """Move the message in `source` whose bytes hash to `sha256` to `target`; False when not there."""
        folder = self._folder(source)
        for key in list(folder.iterkeys()):
            path = _path(folder, key)
            if path is None:
                continue
            try:
                raw, mtime = path.read_bytes(), path.stat().st_mtime
            except OSError:
                continue
            if hashlib.sha256(raw).hexdigest() == sha256:
                self.append(target, raw, datetime.fromtimestamp(mtime, UTC))
                folder.discard(key)
                return True
        return False

    def wait_for_new(self, timeout: float) -> bool:
        """A Maildir has no push: sleep `timeout` seconds and report nothing."""
        time.sleep(max(timeout, 0.0))
        return False

    def close(self) -> None:
        self.box.close()


def _path(box: mailbox.Maildir, key: str) -> Path | None:
    """The file of `key`, or None. The stdlib keeps key → file private; `_lookup` rescans when needed."""
    try:
        return Path(box._path) / box._lookup(key)  # type: ignore[attr-defined]
    except KeyError:
        return None


def _info(path: Path) -> str:
    """The Maildir flags of a file name ("2,ST" → "ST")."""
    _, _, info = path.name.partition(":2,")
    return info
