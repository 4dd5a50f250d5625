"""The mailbox the bot reads: one interface, an IMAP and a local Maildir implementation.

The poll loop only needs four things from a mailbox: which messages are
waiting, one message's bytes and arrival time, moving a message to a
folder once it is handled, and closing; the daemon also waits on it for
new mail (`wait_for_new`: IMAP IDLE, or a plain sleep). Nothing is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IncomingMail:
    folder: str  # the folder it was read from, e.g. "INBOX"
    uidvalidity: int  # IMAP UIDVALIDITY (Maildir: a constant)
    uid: str  # IMAP UID as text, or the Maildir key
    internaldate: datetime  # when it reached the mailbox (timezone-aware)
    raw: bytes


class Mailbox(Protocol):
    def waiting(self) -> tuple[int, list[str]]:
        """(UIDVALIDITY, the UIDs of the messages in the watched folder, oldest first)."""

    def fetch(self, uid: str) -> IncomingMail | None:
        """One message, or None if it vanished meanwhile. Must not set \\Seen."""

    def move(self, uid: str, folder: str) -> None:
        """Move a message to `folder` (created if missing). Never deletes."""

    def delete_before(self, folder: str, cutoff: datetime) -> int:
        """Delete what arrived in `folder` before `cutoff` (retention); returns how many."""

    def relocate(self, source: str, message_id: str | None, sha256: str, target: str) -> bool:
        """Move the message in folder `source` with these bytes to `target` (review: accept/reject)."""

    def append(self, folder: str, raw: bytes, internaldate: datetime | None = None) -> str | None:
        """Add a message to `folder`, unread (an administrators' notice filed into the review folder)."""

    def wait_for_new(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for new mail (IMAP IDLE); True when some arrived."""

    def close(self) -> None:
        """Log out / release resources."""
