"""The outbox: every outgoing mail is a row before it is sent, and is sent by one flusher only.

`queue()` adds a row (inside the caller's transaction) unless its dedupe key
was queued before: one row per key, ever, with a Message-ID derived from the
key, so a resend is recognisable as the same mail.

`flush()` sends what is due. It first *claims* a batch of rows with one
`UPDATE outbox SET status = 'sending', claim = ... WHERE status = 'queued' ...
RETURNING ...` in a write transaction: SQLite runs one such transaction at a
time, so a row goes to exactly one flusher, whether the others are threads of
this process (the daemon's poll and county jobs) or other processes (a
second `mailbot poll`, `mailbot summary --send`). The batch goes over one SMTP
session; each row is then marked sent, queued again with backoff (4xx), or
failed (5xx, or MAX_SEND_ATTEMPTS temporary failures: the administrators get
a notice).

A process killed while it holds claims leaves rows in 'sending'. The next
flush returns them to 'queued' when the claimer is gone: a claim names the
host, process id and process start time, so on the same host a claim whose
process no longer runs (or whose PID now belongs to another process) is free
at once; a claim from another host, or from a process that hangs, is free
after STALE_CLAIM_MINUTES. A process killed between the server's "250 OK" and
the "sent" mark therefore sends that mail again, under the same Message-ID:
at-least-once is the known trade-off (SMTP offers nothing better); the
window is one mail wide, since every row is marked as soon as it went.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from parsers.personal_data import mask

from .compose import build_message
from .config import Config
from .decide import Outgoing, address_key
from .errors import TransientError
from .sender import Delivery, PermanentSendError, Sender, SenderUnavailableError, TemporarySendError
from .store import Store, utcnow

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8
TO_FILE = "to_file"  # an outbox row for our own mailbox: filed into the review folder, never sent
BATCH = 20  # rows claimed at once: one SMTP session, bounded memory (rows carry their bytes)
STALE_CLAIM_MINUTES = 30  # far beyond a batch's SMTP timeouts: a claim this old belongs to nobody


class SendCounts(Protocol):
    sent: int
    send_failed: int


@dataclass
class FlushReport:
    sent: int = 0
    send_failed: int = 0


class Outbox:
    def __init__(self, store: Store, config: Config, sender: Sender | None = None, *,
                 clock: Callable[[], datetime] = utcnow, stop: Callable[[], bool] = lambda: False):
        self.store, self.config, self.sender, self.clock, self.stop = store, config, sender, clock, stop
        self.envelope_from = (config.smtp.sender if config.smtp else "") or config.county.mailbox
        self.unavailable = False
        self.claim = f"{_this_process()}:{uuid.uuid4().hex[:8]}"

    # -- queueing -------------------------------------------------------------

    def queue(self, out: Outgoing, message_ref: int | None = None, attachments: Iterable = ()) -> bool:
        """Add an outgoing mail unless its key was queued before. Call inside a transaction."""
        if self.store.outbox_has(out.dedupe_key):
            return False
        message_id, raw = build_message(out, self.envelope_from, list(attachments))
        row = {
            "dedupe_key": out.dedupe_key, "kind": out.kind, "message_id": message_id,
            "sender": self.envelope_from, "recipients": json.dumps(list(out.recipients), ensure_ascii=False),
            "recipient": address_key(out.recipients[0]) if len(out.recipients) == 1 else None,
            "subject": mask(out.subject), "raw": raw, "status": "queued", "attempts": 0,  # raw: masked at compose
            "created_at": self.clock().isoformat(), "message_ref": message_ref,
        }
        # Never by SMTP into the mailbox the bot reads (it would file its own notice away unseen):
        # a copy for our own address is filed into the review folder, unread (`TO_FILE`, see Poller).
        others = [r for r in out.recipients if r.lower() not in self.config.own_addresses]
        if len(others) == len(out.recipients):
            self.store.add_outbox(row)
            return True
        if others:
            self.store.add_outbox({**row, "recipients": json.dumps(others, ensure_ascii=False)})
        key = out.dedupe_key if not others else f"{out.dedupe_key}#review"
        self.store.add_outbox({**row, "dedupe_key": key, "recipients": "[]", "status": TO_FILE})
        return True

    # -- sending --------------------------------------------------------------

    def flush(self, report: SendCounts | None = None, session: Delivery | None = None) -> SendCounts:
        """Send every due row this flusher can claim; returns (or adds to) the counts.

        `session`: an open session to send over (else one per batch). After a
        flush that met an unavailable server, `unavailable` is True.
        """
        report = report if report is not None else FlushReport()
        if self.sender is None and session is None:
            raise ValueError("an Outbox without a sender cannot flush")
        self.unavailable = False
        self.release_dead_claims()
        while not self.stop():
            rows = self.store.claim_outbox(self.claim, self.clock().isoformat(), BATCH)
            if not rows:
                break
            if session is not None:
                going = self._send_batch(rows, report, session)
            else:
                assert self.sender is not None  # checked above
                with self.sender.session() as batch_session:
                    going = self._send_batch(rows, report, batch_session)
            if not going:
                break
        return report

    def release_dead_claims(self) -> int:
        """Return rows claimed by a process that is gone (or a claim too old) to the queue."""
        now = self.clock()
        freed = 0
        for row in self.store.claimed_outbox():
            if _claim_is_dead(row["claim"], row["claimed_at"], now):
                freed += self.store.release_claim(row["id"], row["claim"], undo_attempt=False)
                logger.warning("outbox %s: claimed by %s, which is gone; queued again", row["id"], row["claim"])
        return freed

    def _send_batch(self, rows: list[dict], report: SendCounts, session: Delivery) -> bool:
        """Send a claimed batch; False when sending must stop for this flush."""
        done = 0
        try:
            for row in rows:
                if self.stop():
                    return False
                if not self._send_one(session, row, report):
                    self.unavailable = True
                    return False
                done += 1
        finally:
            for row in rows[done:]:  # not tried (stop, server away, a bug): nobody else may wait for them
                self.store.release_claim(row["id"], self.claim, undo_attempt=True)
        return True

    def _send_one(self, session: Delivery, row: dict, report: SendCounts) -> bool:
        try:
            session.send(row["raw"], row["sender"], json.loads(row["recipients"]))
        except SenderUnavailableError as e:  # nothing can go now: keep the queue, try next tick
            self.store.note_outbox_error(row["id"], str(e))
            logger.warning("outbox: %s; the queue waits for the next tick", e)
            return False
        except TemporarySendError as e:
            if row["attempts"] >= MAX_SEND_ATTEMPTS:
                self._give_up(row, str(e))
                report.send_failed += 1
            else:
                delay = timedelta(minutes=min(60, 2 ** (row["attempts"] - 1)))
                self.store.requeue_outbox(row["id"], self.claim, (self.clock() + delay).isoformat(), str(e))
                logger.warning("outbox %s: temporary failure (%s); retry in %s", row["id"], e, delay)
            return True
        except PermanentSendError as e:
            self._give_up(row, str(e))
            report.send_failed += 1
            return True
        if not self.store.mark_outbox_sent(row["id"], self.claim, self.clock().isoformat()):
            logger.warning("outbox %s: sent, but its claim had been taken over (a stale claim)", row["id"])
        report.sent += 1
        logger.info("outbox %s: sent %s to %s", row["id"], row["kind"], row["recipients"])
        return True

    def _give_up(self, row: dict, error: str) -> None:
        logger.error("outbox %s: giving up on %s to %s: %s", row["id"], row["kind"], row["recipients"], error)
        with self.store.transaction():
            self.store.mark_outbox_failed(row["id"], self.claim, error)
            if row["kind"] != "admin_notice":
                self.queue(Outgoing(
                    f"admin:send_failed:{row['id']}", "admin_notice", self.config.county.admins,
                    "mailbot: ett utgående mejl kunde inte skickas", "admin_send_failed",
                    {"recipients": ", ".join(json.loads(row["recipients"])), "subject": row["subject"],
                     "error": error}))


class Drain:
    """Sends queued mail from a thread while the poll reads on (`with Drain(...) as d: ... d.wake()`).

    The thread has its own database connection and keeps one SMTP session
    open across wakes. Its connection commits with `synchronous=NORMAL`: a
    power cut (not a killed process) may forget its last "sent" marks, and
    those mails then go again under the same Message-ID, the same
    at-least-once as above; the mail records themselves are written by the
    poll's connection with full sync. When the server is unavailable or
    anything fails, the thread stops and the poll's own final flush takes over.
    """

    def __init__(self, store: Store, config: Config, sender: Sender, *,
                 clock: Callable[[], datetime] = utcnow, stop: Callable[[], bool] = lambda: False):
        self.path, self.config, self.sender, self.clock, self.stop = store.path(), config, sender, clock, stop
        self.report = FlushReport()
        self._wake, self._done, self._cancelled = threading.Event(), False, False
        self._thread = threading.Thread(target=self._run, name="mailbot-outbox", daemon=True)

    def __enter__(self) -> Drain:
        if self.path:  # not for an in-memory database
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def __exit__(self, exc_type, *exc_info) -> None:
        self._done = True
        self._cancelled = exc_type is not None  # the pass failed (e.g. the database is locked): no last flush
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        from .store import open_db

        outbox = None
        try:
            db = open_db(Path(self.path))
        except _EXPECTED as e:  # the database locked or full: the poll meets it too, and says so
            logger.debug("background sending not started: %s", e)
            return
        try:
            db.execute("PRAGMA synchronous=NORMAL")
            outbox = Outbox(Store(db), self.config, self.sender, clock=self.clock, stop=self.stop)
            with self.sender.session() as session:
                while not self.stop():
                    self._wake.wait()
                    self._wake.clear()
                    done = self._done
                    if self._cancelled:
                        break
                    outbox.flush(self.report, session)
                    if done or outbox.unavailable:
                        break
        except _EXPECTED as e:  # the poll meets it too, and says so
            logger.debug("background sending stopped (%s); the poll's final flush sends the rest", e)
        except Exception:  # noqa: BLE001 - the thread's boundary: the final flush sends the rest
            logger.exception("background sending failed; the poll's final flush sends the rest")
        finally:
            if outbox is not None and outbox.store.claimed_by(outbox.claim):  # a read: no waiting for a lock
                try:
                    outbox.store.release_claims_of(outbox.claim)
                except _EXPECTED as e:  # its claims wait for STALE_CLAIM_MINUTES
                    logger.info("could not release the background sender's claims: %s", e)
            db.close()


_EXPECTED = (sqlite3.OperationalError, TransientError)  # a database locked or full, a server away


# -- claims -------------------------------------------------------------------

_HOST = socket.gethostname()


_THIS: dict[int, str] = {}  # pid -> "host:pid:start" (a fork has a pid of its own)


def _this_process() -> str:
    pid = os.getpid()
    if pid not in _THIS:
        _THIS[pid] = f"{_HOST}:{pid}:{_process_start(pid) or '-'}"
    return _THIS[pid]


def _process_start(pid: int) -> str | None:
    """The start time of a running process (clock ticks since boot, from /proc); None if not running."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # a zombie has finished: its claims are free
        return None
    return fields[19].decode()


def _running(pid: int, started: str) -> bool:
    if os.path.isdir("/proc/self"):
        return _process_start(pid) == started
    try:  # no /proc: a running PID is taken to be the claimer
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_is_dead(claim: str | None, claimed_at: str | None, now: datetime) -> bool:
    try:
        if claimed_at is None or datetime.fromisoformat(claimed_at) < now - timedelta(minutes=STALE_CLAIM_MINUTES):
            return True
    except ValueError:
        return True
    if not claim:
        return True
    host, pid, started, _ = (claim.rsplit(":", 3) + ["", "", "", ""])[:4]
    if host != _HOST or not pid.isdigit():
        return False  # another machine's claim: only its age frees it
    return not _running(int(pid), started)
