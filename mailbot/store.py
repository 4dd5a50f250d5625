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
from datetime import datetime, timezone
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
    return datetime.now(timezone.utc)


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

    def path(self) -> str:
        """The database file ("" for an in-memory one)."""
        return self.db.execute("pragma database_list").fetchone()[2]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested: a savepoint); everything in it is stored, or nothing."""
        with self.db.atomic():
            yield

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

    def set_folder_state(self, folder: str, uidvalidity: int, last_uid: str | None) -> None:
        self.db["folder_state"].upsert({"folder": folder, "uidvalidity": uidvalidity, "last_uid": last_uid}, pk="folder")

    def folder_state(self, folder: str) -> dict | None:
        rows = list(self.db["folder_state"].rows_where("folder = ?", [folder]))
        return rows[0] if rows else None

    # -- recording a mail (see record.py; call inside a transaction) --------

    def add_message(self, row: dict) -> int:
        return self.db["messages"].insert(row).last_pk

    def update_message(self, message_ref: int, values: dict) -> None:
        self.db["messages"].update(message_ref, values)

    def message_ids(self, ids: list[int] | None = None) -> list[int]:
        """Stored mails that still have their bytes and are not duplicates (all, or those of `ids`)."""
        where, args = "raw is not null and duplicate_of is null", []
        if ids:
            where += f" and id in ({','.join('?' for _ in ids)})"
            args = list(ids)
        return [r[0] for r in self.db.execute(f"select id from messages where {where} order by id", args)]

    def message(self, message_ref: int) -> dict:
        return self.db["messages"].get(message_ref)

    def set_problems(self, message_ref: int, problems) -> None:
        self.db.execute("delete from problems where message_ref = ?", [message_ref])
        self.db["problems"].insert_all(
            [{"message_ref": message_ref, "code": p.code, "question": p.question, "message": p.message}
             for p in problems])

    def submission_of(self, message_ref: int) -> dict | None:
        return next(self.db["submissions"].rows_where("message_ref = ?", [message_ref], limit=1), None)

    def add_submission(self, row: dict, supersedes: int | None) -> int:
        submission_id = self.db["submissions"].insert(row).last_pk
        if supersedes is not None:
            self.db["submissions"].update(supersedes, {"is_current": 0, "superseded_by": submission_id})
        return submission_id

    def set_answers(self, submission_id: int, answers) -> None:
        self.db.execute("delete from answers where submission_id = ?", [submission_id])
        self.db["answers"].insert_all(
            [{"submission_id": submission_id, "question": a.question, "score": a.score, "color": a.color,
              "text": a.text} for a in answers])

    def add_signals(self, rows: list[dict]) -> None:
        self.db["signals"].insert_all(rows)

    # -- submissions --------------------------------------------------------

    def current_submission(self, municipality: str, period: str) -> StoredSubmission | None:
        rows = list(self.db["submissions"].rows_where(
            "municipality = ? and period = ? and is_current = 1", [municipality, period], limit=1))
        return _submission(rows[0]) if rows else None

    def first_submission(self, municipality: str, period: str) -> StoredSubmission | None:
        rows = list(self.db["submissions"].rows_where(
            "municipality = ? and period = ?", [municipality, period], order_by="received_at", limit=1))
        return _submission(rows[0]) if rows else None

    def submissions_for_period(self, period: str) -> list[StoredSubmission]:
        return [_submission(r) for r in self.db["submissions"].rows_where(
            "period = ? and is_current = 1", [period], order_by="municipality")]

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

    # -- rules, summaries, exports, retention ----------------------------------

    def rules_snapshot(self) -> list[tuple[str, str]]:
        return [(r["name"], r["text"]) for r in self.db["rules_snapshot"].rows_where(order_by="name")]

    def save_rules_snapshot(self, files: list[tuple[str, str]], saved_at: str) -> None:
        with self.db.atomic():
            self.db.execute("delete from rules_snapshot")
            self.db["rules_snapshot"].insert_all(
                [{"name": name, "text": text, "saved_at": saved_at} for name, text in files])

    def current_senders(self, period: str) -> dict[str, str]:
        return dict(self.db.execute(
            "select municipality, sender from submissions where period = ? and is_current = 1", [period]).fetchall())

    def current_ratings(self, periods: tuple[str, ...]) -> list[tuple]:
        """(municipality, period, question, score, color) of the current submissions of `periods`."""
        placeholders = ",".join("?" for _ in periods)
        return self.db.execute(
            "select s.municipality, s.period, a.question, a.score, a.color from submissions s "
            "left join answers a on a.submission_id = s.id "
            f"where s.is_current = 1 and s.period in ({placeholders})", list(periods)).fetchall()

    def forwarded_signal_counts(self, period: str) -> list[tuple[str | None, str, int]]:
        """(unit, municipality, count) of the signals forwarded for `period`, by municipality."""
        return self.db.execute(
            "select unit, municipality, count(*) from signals where period = ? and forwarded = 1 "
            "group by unit, municipality order by municipality", [period]).fetchall()

    def current_answer_texts(self, period: str, question: int) -> dict[str, str]:
        return dict(self.db.execute(
            "select s.municipality, a.text from submissions s join answers a on a.submission_id = s.id "
            "where s.period = ? and s.is_current = 1 and a.question = ?", [period, question]).fetchall())

    def submissions_of_year(self, year: int) -> list[dict]:
        return list(self.db["submissions"].rows_where("period like ?", [f"{year:04d}-%"]))

    def purge_before(self, cutoff: str) -> tuple[int, int, int, int]:
        """Drop raw mail, answer texts, signal excerpts and sent bodies older than `cutoff`; then VACUUM.

        Returns the rows changed: (messages, answers, signals, outbox).
        """
        db = self.db
        old = "select id from messages where processed_at < ?"
        with db.atomic():
            messages = db.execute(
                "update messages set raw = null, parsed_json = null where processed_at < ? and "
                "(raw is not null or parsed_json is not null)", [cutoff]).rowcount
            answers = db.execute(
                f"update answers set text = '' where text != '' and submission_id in "
                f"(select id from submissions where message_ref in ({old}))", [cutoff]).rowcount
            signals = db.execute(
                f"update signals set excerpt = '' where excerpt != '' and message_ref in ({old})", [cutoff]).rowcount
            outbox = db.execute(
                "update outbox set raw = x'' where length(raw) > 0 and status in ('sent', 'failed') "
                "and created_at < ?", [cutoff]).rowcount
            db.execute(f"delete from problems where message_ref in ({old}) and code = 'personal_data'", [cutoff])
        db.execute("vacuum")  # really remove the bytes from the file
        return messages, answers, signals, outbox

    # -- outbox -------------------------------------------------------------

    def outbox_has(self, dedupe_key: str) -> bool:
        return self.db.execute("select 1 from outbox where dedupe_key = ?", [dedupe_key]).fetchone() is not None

    def outbox_row(self, dedupe_key: str) -> dict | None:
        rows = list(self.db["outbox"].rows_where("dedupe_key = ?", [dedupe_key], limit=1))
        return rows[0] if rows else None

    def add_outbox(self, row: dict) -> None:
        self.db["outbox"].insert(row)

    def queued_count(self) -> int:
        return self.db.execute("select count(*) from outbox where status in ('queued', 'sending')").fetchone()[0]

    def claim_outbox(self, claim: str, now: str, limit: int) -> list[dict]:
        """Claim up to `limit` due rows for one flusher, with their bytes; rows another flusher claimed are not due.

        One UPDATE in a write transaction: of two flushers only one can win a row.
        """
        with self.db.atomic():
            cursor = self.db.execute(
                "update outbox set status = 'sending', claim = ?, claimed_at = ?, attempts = attempts + 1 "
                "where id in (select id from outbox where status = 'queued' "
                "and (next_attempt_at is null or next_attempt_at <= ?) order by id limit ?) and status = 'queued' "
                "returning id, kind, message_id, sender, recipients, subject, raw, attempts",
                [claim, now, now, limit])
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor.fetchall()]
        return sorted(rows, key=lambda r: r["id"])

    def claimed_outbox(self) -> list[dict]:
        return [dict(zip(("id", "claim", "claimed_at"), r)) for r in self.db.execute(
            "select id, claim, claimed_at from outbox where status = 'sending'").fetchall()]

    def release_claim(self, row_id: int, claim: str | None, *, undo_attempt: bool) -> int:
        """Put a claimed row back in the queue (1 if it was still so claimed); `undo_attempt`: it was not tried."""
        with self.db.atomic():
            return self.db.execute(
                "update outbox set status = 'queued', claim = null, claimed_at = null, "
                "attempts = max(0, attempts - ?) where id = ? and status = 'sending' and claim is ?",
                [int(undo_attempt), row_id, claim]).rowcount

    def claimed_by(self, claim: str) -> int:
        return self.db.execute("select count(*) from outbox where status = 'sending' and claim = ?",
                               [claim]).fetchone()[0]

    def release_claims_of(self, claim: str) -> int:
        """Return the rows still claimed by `claim` (a flusher that stopped) to the queue, untried."""
        with self.db.atomic():
            return self.db.execute(
                "update outbox set status = 'queued', claim = null, claimed_at = null, attempts = max(0, attempts - 1) "
                "where status = 'sending' and claim = ?", [claim]).rowcount

    def note_outbox_error(self, row_id: int, error: str) -> None:
        with self.db.atomic():
            self.db.execute("update outbox set last_error = ? where id = ?", [error, row_id])

    def requeue_outbox(self, row_id: int, claim: str, next_attempt_at: str, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "update outbox set status = 'queued', claim = null, claimed_at = null, next_attempt_at = ?, "
                "last_error = ? where id = ? and claim = ?", [next_attempt_at, error, row_id, claim])

    def mark_outbox_sent(self, row_id: int, claim: str, sent_at: str) -> bool:
        """Mark a row sent; False when its claim was no longer ours (it was freed as stale)."""
        with self.db.atomic():
            mine = self.db.execute(
                "update outbox set status = 'sent', sent_at = ?, last_error = null, claim = null "
                "where id = ? and claim = ?", [sent_at, row_id, claim]).rowcount
            if not mine:
                self.db.execute("update outbox set status = 'sent', sent_at = ?, last_error = null, claim = null "
                                "where id = ?", [sent_at, row_id])
        return bool(mine)

    def mark_outbox_failed(self, row_id: int, claim: str, error: str) -> None:
        """Within the caller's transaction (with the administrators' notice)."""
        self.db.execute("update outbox set status = 'failed', claim = null, last_error = ? where id = ?",
                        [error, row_id])

    def replies_to(self, address: str, since: datetime, kinds: tuple[str, ...]) -> int:
        """Mails of `kinds` queued to `address` alone since `since` (automatic answers have one recipient)."""
        placeholders = ",".join("?" for _ in kinds)
        return self.db.execute(
            f"select count(*) from outbox where recipient = ? and created_at >= ? and kind in ({placeholders})",
            [address.lower(), since.isoformat(), *kinds]).fetchone()[0]


def _submission(row: dict) -> StoredSubmission:
    return StoredSubmission(row["id"], row["municipality"], row["period"], row["received_at"],
                            bool(row["on_time"]), row["message_ref"])


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
