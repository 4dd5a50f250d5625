"""The SQLite store: processed-mail ledger, submissions, answers, problems, outbox.

All writes for one incoming mail happen in one transaction (`record`), so a
mail is either fully stored with its outgoing mail queued, or not at all.
Only then is the IMAP message moved.

A database that cannot be written now (another process holds the lock past
BUSY_TIMEOUT_SECONDS, the disk is full) raises sqlite3.OperationalError;
`storage_errors` turns that into a StorageError naming the file and the cause.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from .errors import StorageError
from .migrations import migrate, pending

logger = logging.getLogger(__name__)

# How long a write waits for another process's lock before it fails. Every
# transaction mailbot runs is short; a lock held longer is someone else's long
# job (or a forgotten shell), and the poll is retried on the next tick anyway.
BUSY_TIMEOUT_SECONDS = 5.0
_LOW_SPACE_BYTES = 1024 * 1024  # with less than this free, an I/O error is reported as a full disk


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database(sqlite_utils.Database):
    """sqlite_utils.Database whose transactions take the write lock when they begin.

    With sqlite-utils' plain (deferred) BEGIN, a transaction that reads before it
    writes (sqlite-utils reads the schema first) cannot wait for another writer:
    SQLite refuses the upgrade at once with "database is locked" and the busy
    timeout never applies. BEGIN IMMEDIATE waits for the lock up to that timeout.
    """

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: sqlite-utils' savepoint
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()  # e.g. the disk filled up: nothing of the transaction stays
            raise


def open_db(path: Path) -> Database:
    """Open (creating with mode 0600) and migrate the database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)  # sets busy_timeout
    try:
        _use_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        db = Database(conn)
        if pending(db):  # checked first: a transaction would wait for another writer's lock
            with db.atomic():  # the write lock: one connection migrates, the next sees it done
                migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a new database to WAL (kept in the file). The switch needs a moment alone with
    the file and SQLite does not wait for it, so a second process opening the same new
    database at that moment retries, up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's "cannot write now" failures (locked, disk full, read-only, I/O) into StorageError.

    The message names the database and what is wrong, for the one log line
    the operator reads; other SQLite errors (bugs, constraint violations) pass through.
    """
    try:
        yield
    except sqlite3.OperationalError as e:
        reason = _storage_reason(e, path)
        if reason is None:
            raise
        raise StorageError(f"cannot use the database {path}: {reason} (SQLite: {e})") from e


def _storage_reason(error: sqlite3.OperationalError, path: Path) -> str | None:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"it is locked by another process (still busy after {BUSY_TIMEOUT_SECONDS:g} s)"
    if code == sqlite3.SQLITE_FULL:
        return "the disk is full"
    if code == sqlite3.SQLITE_IOERR:
        return "the disk is full" if _free_bytes(path) < _LOW_SPACE_BYTES else "a disk I/O error"
    if code == sqlite3.SQLITE_READONLY:
        return "it is read-only"
    if code == sqlite3.SQLITE_CANTOPEN:
        return "the file cannot be opened"
    return None


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return _LOW_SPACE_BYTES  # unknown: do not claim the disk is full


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    municipality: str
    period: str
    received_at: str
    on_time: bool
    message_ref: int


class Store:
    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    # -- ledger -------------------------------------------------------------

    def processed(self, folder: str, uidvalidity: int, uid: str) -> dict | None:
        rows = list(self.db["messages"].rows_where(
            "folder = ? and uidvalidity = ? and uid = ?", [folder, uidvalidity, uid], limit=1))
        return rows[0] if rows else None

    def duplicate_of(self, message_id: str | None, sha256: str) -> dict | None:
        """An earlier stored copy of the same mail (same Message-ID, else same bytes)."""
        if message_id:
            where, args = "message_id = ? and duplicate_of is null", [message_id]
        else:
            where, args = "sha256 = ? and duplicate_of is null", [sha256]
        rows = list(self.db["messages"].rows_where(where, args, limit=1))
        return rows[0] if rows else None

    def set_folder_state(self, folder: str, uidvalidity: int) -> None:
        self.db["folder_state"].upsert({"folder": folder, "uidvalidity": uidvalidity}, pk="folder")

    def folder_state(self, folder: str) -> dict | None:
        rows = list(self.db["folder_state"].rows_where("folder = ?", [folder]))
        return rows[0] if rows else None

    # -- submissions --------------------------------------------------------

    def current_submission(self, municipality: str, period: str) -> StoredSubmission | None:
        rows = list(self.db["submissions"].rows_where(
            "municipality = ? and period = ? and is_current = 1", [municipality, period], limit=1))
        return _submission(rows[0]) if rows else None

    def first_submission(self, municipality: str, period: str) -> StoredSubmission | None:
        rows = list(self.db["submissions"].rows_where(
            "municipality = ? and period = ?", [municipality, period], order_by="received_at", limit=1))
        return _submission(rows[0]) if rows else None

    def latest_sender(self, municipality: str) -> str | None:
        row = self.db.execute("select sender from submissions where municipality = ? and sender is not null "
                              "order by received_at desc limit 1", [municipality]).fetchone()
        return row[0] if row else None

    def forwarded_signals(self, municipality: str, period: str) -> frozenset[tuple[str, int | None]]:
        rows = self.db.execute(
            "select rule, question from signals where municipality = ? and period = ? and forwarded = 1",
            [municipality, period]).fetchall()
        return frozenset((rule, question) for rule, question in rows)

    def answers(self, submission_id: int) -> list[dict]:
        return list(self.db["answers"].rows_where("submission_id = ?", [submission_id], order_by="question"))

    # -- outbox -------------------------------------------------------------

    def queued(self, now: datetime) -> list[dict]:
        """The rows due for sending, without their message bytes (see `outbox_raw`): a long queue stays small."""
        return list(self.db["outbox"].rows_where(
            "status in ('queued', 'sending') and (next_attempt_at is null or next_attempt_at <= ?)",
            [now.isoformat()], order_by="id",
            select="id, dedupe_key, kind, message_id, sender, recipients, subject, attempts, message_ref"))

    def outbox_raw(self, row_id: int) -> bytes:
        return self.db.execute("select raw from outbox where id = ?", [row_id]).fetchone()[0]

    def outbox_row(self, dedupe_key: str) -> dict | None:
        rows = list(self.db["outbox"].rows_where("dedupe_key = ?", [dedupe_key], limit=1))
        return rows[0] if rows else None

    def mark_outbox(self, row_id: int, **values) -> None:
        with self.db.atomic():
            self.db["outbox"].update(row_id, values)

    def replies_to(self, address: str, since: datetime, kinds: tuple[str, ...]) -> int:
        placeholders = ",".join("?" for _ in kinds)
        return self.db.execute(
            f"select count(*) from outbox where recipients like ? and created_at >= ? and kind in ({placeholders})",
            [f'%"{address}"%', since.isoformat(), *kinds]).fetchone()[0]


def _submission(row: dict) -> StoredSubmission:
    return StoredSubmission(row["id"], row["municipality"], row["period"], row["received_at"],
                            bool(row["on_time"]), row["message_ref"])


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
