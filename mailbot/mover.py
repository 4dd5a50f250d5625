"""Moving stored messages out of the watched IMAP folder from a second connection, in the background.

A move is a round trip or two to the server; the poll hands it over here
(only after the message's row is committed) and reads the next message
meanwhile. The mover checks first that the folder still has the
UIDVALIDITY the UIDs were listed under. If a move fails (the server went
away), the mover stops moving: the message stays in the watched folder and
the next pass finds its ledger row and only moves it.
"""

from __future__ import annotations

import logging
import queue
import threading

from .errors import TransientError
from .mailbox import Mailbox

logger = logging.getLogger(__name__)


class Mover:
    """`with Mover(mailbox, uidvalidity) as m: m.move(uid, folder)`; leaving the block waits for the moves."""

    def __init__(self, mailbox: Mailbox, uidvalidity: int):
        self.mailbox, self.uidvalidity = mailbox, uidvalidity
        self.moved = 0
        self.failed: Exception | None = None
        self._queue: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mailbot-mover", daemon=True)

    def __enter__(self) -> Mover:
        return self

    def move(self, uid: str, folder: str) -> None:
        if not self._thread.is_alive() and self._thread.ident is None:  # connects on the first move
            self._thread.start()
        self._queue.put((uid, folder))

    def __exit__(self, *exc_info) -> None:
        if self._thread.ident is not None:
            self._queue.put(None)
            self._thread.join()
        self.mailbox.close()

    def _run(self) -> None:
        try:
            uidvalidity, _ = self.mailbox.waiting()
            if uidvalidity != self.uidvalidity:
                raise TransientError(f"UIDVALIDITY changed ({self.uidvalidity} -> {uidvalidity}) during the pass")
        except Exception as e:  # noqa: BLE001 - the thread's boundary: the next pass moves
            self._fail(e)
        while (item := self._queue.get()) is not None:
            if self.failed is not None:
                continue
            uid, folder = item
            try:
                self.mailbox.move(uid, folder)
                self.moved += 1
            except Exception as e:  # noqa: BLE001 - the thread's boundary: the next pass moves
                self._fail(e)

    def _fail(self, error: Exception) -> None:
        self.failed = error
        logger.warning("moving stopped (%s); the messages stored so far are moved on the next pass", error)
