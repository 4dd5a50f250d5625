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


def open_for_reading(path: Path) -> Database:
    """The database if it exists, else an empty in-memory one: read-only commands never create a file."""
    if path.exists():
        return open_db(path)
    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    with db.atomic():
        migrate(db, announce=False)
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

    def set_folder_state(self, folder: str, uidvalidity: int) -> None:
        self.db["folder_state"].upsert({"folder": folder, "uidvalidity": uidvalidity}, pk="folder")

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

    def note_failure(self, folder: str, uidvalidity: int, uid: str, error: str, at: str) -> int:
        """Count one more failed attempt at a message; returns how many there have been."""
        with self.db.atomic():
            self.db.execute(
                "insert into failures (folder, uidvalidity, uid, count, last_error, at) values (?, ?, ?, 1, ?, ?) "
                "on conflict (folder, uidvalidity, uid) do update set count = count + 1, "
                "last_error = excluded.last_error, at = excluded.at", [folder, uidvalidity, uid, error[:2000], at])
            return self.db.execute("select count from failures where folder = ? and uidvalidity = ? and uid = ?",
                                   [folder, uidvalidity, uid]).fetchone()[0]

    def find_message(self, message_ref: int) -> dict | None:
        return next(self.db["messages"].rows_where("id = ?", [message_ref]), None)

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

    def arrived_after(self, period: str, since: str) -> list[dict]:
        """Submissions for `period` stored after the moment `since` (ISO), oldest first, each with
        `had_earlier`: whether that municipality already had one for the period by then."""
        return list(self.db.query(
            "select municipality, received_at, exists(select 1 from submissions e where "
            "e.municipality = s.municipality and e.period = s.period and e.created_at <= :since) as had_earlier "
            "from submissions s where period = :period and created_at > :since order by created_at",
            {"period": period, "since": since}))

    def current_submissions(self, periods: list[str]) -> list[dict]:
        """The current submission of each municipality for each of `periods`, by period and municipality."""
        if not periods:
            return []
        return list(self.db.query(
            f"select id, municipality, period, received_at from submissions where is_current = 1 and period in "
            f"({','.join('?' for _ in periods)}) order by period, municipality", periods))

    def senders_of(self, municipality: str) -> list[str]:
        """Every address that sent a counted report for the municipality, latest first."""
        rows = self.db.execute("select sender from submissions where municipality = ? and sender is not null "
                               "group by lower(sender) order by max(received_at) desc", [municipality]).fetchall()
        return [r[0] for r in rows]

    def bounced_addresses(self) -> set[str]:
        """Addresses that bounced permanently (from the delivery reports we stored), lower case."""
        rows = self.db.execute(
            "select lower(json_extract(f.value, '$.recipient')) from messages m, "
            "json_each(json_extract(m.parsed_json, '$.delivery_failures')) f "
            "where m.kind = 'bounce' and json_extract(f.value, '$.permanent')").fetchall()
        return {r[0] for r in rows if r[0]}

    def outbox_by_message_ids(self, message_ids: list[str]) -> list[dict]:
        if not message_ids:
            return []
        return list(self.db.query(
            f"select id, message_id, kind, subject, recipients from outbox where message_id in "
            f"({','.join('?' for _ in message_ids)})", message_ids))

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
            # Mail that was not a municipality's report (spam, strangers, questions): who and what go too.
            strangers = db.execute(
                "update messages set sender = null, subject = null where processed_at < ? and outcome != 'counted' "
                "and (sender is not null or subject is not null)", [cutoff]).rowcount
            db.execute(
                "update outbox set recipients = '[]', recipient = null, subject = '' where created_at < ? "
                "and status in ('sent', 'failed', 'filed') and message_ref in "
                "(select id from messages where outcome != 'counted')", [cutoff])
            messages = max(messages, strangers)
        db.execute("vacuum")  # really remove the bytes from the file
        return messages, answers, signals, outbox

    # -- outbox -------------------------------------------------------------

    def outbox_has(self, dedupe_key: str) -> bool:
        return self.db.execute("select 1 from outbox where dedupe_key = ?", [dedupe_key]).fetchone() is not None

    def outbox_row(self, dedupe_key: str) -> dict | None:
        rows = list(self.db["outbox"].rows_where("dedupe_key = ?", [dedupe_key], limit=1))
        return rows[0] if rows else None

    def latest_outbox_row(self, key_prefix: str) -> dict | None:
        """The newest outbox row whose key starts with `key_prefix` (without its bytes)."""
        return next(self.db.query(
            "select id, dedupe_key, kind, status, created_at, sent_at from outbox where dedupe_key like ? "
            "order by id desc limit 1", [key_prefix.replace("%", "") + "%"]), None)

    def held_since(self, since: str) -> list[dict]:
        """Mails put in the review folder after `since` (ISO; "" for all), oldest first, with their problem codes."""
        return list(self.db.query(
            "select m.id, m.internaldate, m.sender, m.subject, m.kind, m.municipality, m.period, "
            "(select json_group_array(code) from problems p where p.message_ref = m.id) as codes "
            "from messages m where m.target_folder = 'review' and m.duplicate_of is null and m.review_state is null "
            "and m.processed_at > ? order by m.id", [since]))

    def resolve_review(self, message_ref: int, state: str, at: str, by: str, note: str | None = None) -> None:
        """Close a held mail: accepted, rejected or read again; it then belongs in the processed folder."""
        self.db["messages"].update(message_ref, {"review_state": state, "reviewed_at": at, "reviewed_by": by,
                                                 "review_note": note, "target_folder": "processed"})

    def add_outbox(self, row: dict) -> None:
        self.db["outbox"].insert(row)

    def queued_count(self) -> int:
        """Outgoing mail not yet gone: queued, being sent, or waiting to be filed into our review folder."""
        return self.db.execute(
            "select count(*) from outbox where status in ('queued', 'sending', 'to_file')").fetchone()[0]

    def rows_to_file(self) -> list[dict]:
        """Outbox rows for our own mailbox (to be filed into the review folder), with their bytes."""
        return list(self.db.query("select id, raw from outbox where status = 'to_file' order by id"))

    def mark_filed(self, row_id: int, at: str) -> None:
        with self.db.atomic():
            self.db.execute("update outbox set status = 'filed', sent_at = ? where id = ? and status = 'to_file'",
                            [at, row_id])

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
            rows = [dict(zip(names, values, strict=False)) for values in cursor.fetchall()]
        return sorted(rows, key=lambda r: r["id"])

    def claimed_outbox(self) -> list[dict]:
        return [dict(zip(("id", "claim", "claimed_at"), r, strict=False)) for r in self.db.execute(
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
        """Automatic mails of `kinds` to `address` alone since `since`, by normalised address
        (decide.address_key: case, quotes and +tags make no new sender); the `recipient` column is indexed."""
        from .decide import address_key

        placeholders = ",".join("?" for _ in kinds)
        return self.db.execute(
            f"select count(*) from outbox where recipient = ? and created_at >= ? and kind in ({placeholders})",
            [address_key(address), since.isoformat(), *kinds]).fetchone()[0]

    def auto_answers_since(self, since: datetime) -> int:
        """Receipts and replies to anyone since then (the global limit on automatic answers)."""
        return self.db.execute("select count(*) from outbox where created_at >= ? and kind in ('receipt', 'reply')",
                               [since.isoformat()]).fetchone()[0]


    # -- the pass log (mailbot health) --------------------------------------

    PASS_LOG_ROWS = 2000

    def record_pass(self, row: dict) -> None:
        with self.db.atomic():
            last = self.db["passes"].insert(row).last_pk
            self.db.execute("delete from passes where id <= ?", [last - self.PASS_LOG_ROWS])

    def pass_facts(self) -> dict:
        """The last pass, the last good one, and the first failure since the last good one."""
        last = next(self.db.query("select * from passes order by id desc limit 1"), None)
        good = next(self.db.query("select * from passes where ok = 1 order by id desc limit 1"), None)
        first_failure = next(self.db.query(
            "select * from passes where ok = 0 and id > ? order by id limit 1", [good["id"] if good else 0]), None)
        return {"last": last, "last_ok": good, "failing_since": first_failure}

    # -- the web desk -------------------------------------------------------------

    def put_web_user(self, name: str, role: str, password_hash: str, at: str) -> None:
        with self.db.atomic():
            self.db["web_users"].upsert({"name": name, "role": role, "password_hash": password_hash,
                                         "created_at": at}, pk="name")

    def web_user(self, name: str) -> dict | None:
        return next(self.db["web_users"].rows_where("name = ?", [name]), None)

    def web_secret(self, fresh: str) -> str:
        """The session key, made once and kept (sessions survive a restart)."""
        with self.db.atomic():
            self.db.execute("insert or ignore into web_secret (id, secret) values (1, ?)", [fresh])
            return self.db.execute("select secret from web_secret where id = 1").fetchone()[0]

    def log_web_action(self, at: str, user: str, action: str, target: str) -> None:
        self.db["web_actions"].insert({"at": at, "user": user, "action": action, "target": target})

    def web_actions(self, limit: int) -> list[dict]:
        return list(self.db.query("select * from web_actions order by id desc limit ?", [limit]))

    def add_rule_version(self, directory: str, file: str, before: str, after: str, action: str, by: str,
                         at: str) -> int:
        """Record a change to a rule file (`action`: "save" or "undo"); its id."""
        return self.db["rule_versions"].insert({"directory": directory, "file": file, "before": before,
                                                "after": after, "action": action, "by": by, "at": at}).last_pk

    def rule_versions(self, directory: str, limit: int) -> list[dict]:
        """The changes to the rule files in `directory`, newest first."""
        return list(self.db.query("select * from rule_versions where directory = ? order by id desc limit ?",
                                  [directory, limit]))

    def latest_outbox(self, limit: int) -> list[dict]:
        """The newest outgoing mails (without their bytes), newest first."""
        return list(self.db.query(
            "select id, kind, recipients, subject, status, attempts, last_error, created_at, sent_at, "
            "length(raw) > 0 as has_body from outbox order by id desc limit ?", [limit]))

    def resend_outbox(self, row_id: int) -> bool:
        """Put a failed mail back in the queue (the next poll sends it); false unless it had failed and still
        has its bytes (retention empties old ones)."""
        with self.db.atomic():
            return self.db.execute(
                "update outbox set status = 'queued', attempts = 0, next_attempt_at = null, claim = null, "
                "claimed_at = null where id = ? and status = 'failed' and length(raw) > 0", [row_id]).rowcount > 0

    def versions_of(self, municipality: str, limit: int) -> list[dict]:
        """Every report counted for the municipality, newest first: period, arrival, sender, current or not."""
        return list(self.db.query(
            "select id, period, received_at, sender, is_current, on_time from submissions where municipality = ? "
            "order by received_at desc, id desc limit ?", [municipality, limit]))

    # -- registered addresses ---------------------------------------------------

    def register_address(self, address: str, municipality: str, at: str, by: str) -> None:
        with self.db.atomic():
            self.db["addresses"].upsert({"address": address.strip().lower(), "municipality": municipality,
                                         "added_at": at, "added_by": by}, pk="address")

    def unregister_address(self, address: str) -> bool:
        with self.db.atomic():
            return self.db.execute("delete from addresses where address = ?",
                                   [address.strip().lower()]).rowcount > 0

    def registered_addresses(self) -> dict[str, list[str]]:
        """Municipality -> the addresses administrators registered to it, oldest first."""
        out: dict[str, list[str]] = {}
        for address, municipality in self.db.execute(
                "select address, municipality from addresses order by added_at, address").fetchall():
            out.setdefault(municipality, []).append(address)
        return out

    def held_municipalities(self, period: str) -> dict[str, str]:
        """Municipality -> arrival (ISO) of its oldest report for `period` waiting in review (`status` held)."""
        rows = self.db.execute(
            "select municipality, min(internaldate) from messages where target_folder = 'review' and kind = 'report' "
            "and period = ? and municipality is not null and duplicate_of is null and review_state is null "
            "group by municipality",
            [period]).fetchall()
        return {name: received for name, received in rows}

    def last_good_pass(self) -> datetime | None:
        """When the mailbox was last read successfully (the last pass that did not fail)."""
        row = self.db.execute("select at from passes where ok = 1 order by id desc limit 1").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def count_held(self) -> int:
        return self.db.execute("select count(*) from messages where target_folder = 'review' "
                               "and duplicate_of is null and review_state is null").fetchone()[0]

    # -- the web desk's Översikt, Kommun and Granska pages -------------------------

    def forwarded_rule_counts(self, period: str) -> list[tuple[str | None, str, int]]:
        """(unit, rule, count) of the signals forwarded for `period`, most first."""
        return self.db.execute(
            "select unit, rule, count(*) as n from signals where period = ? and forwarded = 1 "
            "group by unit, rule order by n desc, rule", [period]).fetchall()

    def outbox_for_municipality(self, municipality: str, limit: int) -> list[dict]:
        """Receipts, replies, reminders, missing-report notices and feedback sent to a municipality, newest first.

        No address matching is needed: a receipt or reply is tied to the mail it answers
        (`message_ref`), which counts for the municipality (its submission) or, when it counted
        for none, was read as the municipality's; reminders, notices and feedback carry the
        municipality in their key ("reminder:YYYY-MM:NAME:before|after", "feedback:YYYY-MM:NAME").
        """
        return list(self.db.query(
            "select id, dedupe_key, kind, recipients, subject, status, created_at, sent_at from outbox "
            "where (kind in ('receipt', 'reply') and (message_ref in "
            "(select message_ref from submissions where municipality = :m) or message_ref in "
            "(select id from messages where municipality = :m and id not in (select message_ref from submissions)))) "
            "or (kind = 'reminder' and dedupe_key like 'reminder:%' "
            "and substr(dedupe_key, 18) in (:m || ':before', :m || ':after')) "
            "or (kind = 'feedback' and dedupe_key like 'feedback:%' and substr(dedupe_key, 18) = :m) "
            "order by id desc limit :limit", {"m": municipality, "limit": limit}))


def _submission(row: dict) -> StoredSubmission:
    return StoredSubmission(row["id"], row["municipality"], row["period"], row["received_at"],
                            bool(row["on_time"]), row["message_ref"])


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
