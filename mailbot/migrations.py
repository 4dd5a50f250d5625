"""Ordered schema migrations, each recorded in the `_migrations` table once applied.

Add a new function at the end of MIGRATIONS to change the schema; never
edit one that has shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

logger = logging.getLogger(__name__)


def m001_initial(db: sqlite_utils.Database) -> None:
    db["messages"].create({
        "id": int, "folder": str, "uidvalidity": int, "uid": str, "message_id": str, "sha256": str,
        "internaldate": str, "sender": str, "subject": str, "raw": bytes, "kind": str,
        "municipality": str, "period": str, "outcome": str, "target_folder": str, "parsed_json": str,
        "duplicate_of": int, "processed_at": str,
    }, pk="id", not_null={"folder", "uidvalidity", "uid", "internaldate", "outcome"})
    db["messages"].create_index(["folder", "uidvalidity", "uid"], unique=True)
    db["messages"].create_index(["message_id"])
    db["messages"].create_index(["sha256"])

    db["submissions"].create({
        "id": int, "message_ref": int, "municipality": str, "period": str, "received_at": str,
        "on_time": int, "source": str, "sender": str, "is_current": int, "superseded_by": int,
        "created_at": str,
    }, pk="id", foreign_keys=[("message_ref", "messages", "id")],
        not_null={"municipality", "period", "received_at", "message_ref"})
    db["submissions"].create_index(["municipality", "period"])

    db["answers"].create({
        "id": int, "submission_id": int, "question": int, "score": int, "color": str, "text": str,
    }, pk="id", foreign_keys=[("submission_id", "submissions", "id")])
    db["answers"].create_index(["submission_id", "question"], unique=True)

    db["problems"].create({
        "id": int, "message_ref": int, "code": str, "question": int, "message": str,
    }, pk="id", foreign_keys=[("message_ref", "messages", "id")])

    db["outbox"].create({
        "id": int, "dedupe_key": str, "kind": str, "message_id": str, "sender": str,
        "recipients": str, "subject": str, "raw": bytes, "status": str, "attempts": int,
        "next_attempt_at": str, "last_error": str, "created_at": str, "sent_at": str,
        "message_ref": int,
    }, pk="id", not_null={"dedupe_key", "kind", "message_id", "raw", "status"})
    db["outbox"].create_index(["dedupe_key"], unique=True)
    db["outbox"].create_index(["status", "next_attempt_at"])

    db["folder_state"].create({"folder": str, "uidvalidity": int, "last_uid": str}, pk="folder")


def m002_signals(db: sqlite_utils.Database) -> None:
    """Signals found in submissions and whether they were forwarded; the last valid rules."""
    db["signals"].create({
        "id": int, "message_ref": int, "municipality": str, "period": str, "rule": str, "unit": str,
        "question": int, "excerpt": str, "forwarded": int, "created_at": str,
    }, pk="id", foreign_keys=[("message_ref", "messages", "id")])
    db["signals"].create_index(["municipality", "period", "rule"])
    db["rules_snapshot"].create({"name": str, "text": str, "saved_at": str}, pk="name")


def m003_outbox_claim(db: sqlite_utils.Database) -> None:
    """Who is sending an outbox row and since when (a flusher claims a row before it sends it); the
    recipient of a one-recipient row, indexed, so that counting a sender's answers is no table scan."""
    db["outbox"].add_column("claim", str)
    db["outbox"].add_column("claimed_at", str)
    db["outbox"].add_column("recipient", str)
    db.execute("update outbox set recipient = lower(json_extract(recipients, '$[0]')) "
               "where json_array_length(recipients) = 1")
    db["outbox"].create_index(["recipient", "created_at"])


def m004_pass_log(db: sqlite_utils.Database) -> None:
    """Every poll pass's outcome, for `mailbot health` (a bounded log: old rows are pruned)."""
    db["passes"].create({
        "id": int, "at": str, "ok": int, "error": str, "seen": int, "processed": int, "review": int,
        "sent": int, "send_failed": int,
    }, pk="id")
    db["passes"].create_index(["ok", "at"])


def m005_addresses(db: sqlite_utils.Database) -> None:
    """Sender addresses an administrator registered to a municipality (`review accept --register`)."""
    db["addresses"].create({"address": str, "municipality": str, "added_at": str, "added_by": str}, pk="address")


def m006_review(db: sqlite_utils.Database) -> None:
    """How an administrator resolved a held mail: accepted, rejected, or read again after being put back."""
    for column in ("review_state", "reviewed_at", "reviewed_by", "review_note"):
        db["messages"].add_column(column, str)


def m007_failures(db: sqlite_utils.Database) -> None:
    """How often handling a message in the inbox failed: after MAX_FAILURES it is stored and held."""
    db["failures"].create({"folder": str, "uidvalidity": int, "uid": str, "count": int, "last_error": str,
                           "at": str}, pk=("folder", "uidvalidity", "uid"))


def m008_outbox_by_time(db: sqlite_utils.Database) -> None:
    """The hourly limit counts recent automatic answers per mail: an index, not a table scan."""
    db["outbox"].create_index(["created_at", "kind"])


def m009_web(db: sqlite_utils.Database) -> None:
    """The web desk: local accounts (Argon2 hashes), its session key, and the log of administrators' actions."""
    db["web_users"].create({"name": str, "role": str, "password_hash": str, "created_at": str}, pk="name")
    db["web_secret"].create({"id": int, "secret": str}, pk="id")
    db["web_actions"].create({"id": int, "at": str, "user": str, "action": str, "target": str}, pk="id")


def m010_rule_versions(db: sqlite_utils.Database) -> None:
    """Every change to a rule file made from the web desk: the text before and after, who and when (for undo)."""
    db["rule_versions"].create({
        "id": int, "directory": str, "file": str, "before": str, "after": str, "action": str, "by": str, "at": str,
    }, pk="id", not_null={"directory", "file", "before", "after", "action", "by", "at"})
    db["rule_versions"].create_index(["directory", "id"])


def m011_mask_stored_texts(db: sqlite_utils.Database) -> None:
    """Identity numbers out of the rows earlier versions stored unmasked (only the raw mail keeps them)."""
    from parsers.personal_data import mask

    db.conn.create_function("mask_identity_numbers", 1, lambda text: mask(text) if isinstance(text, str) else text,
                            deterministic=True)
    for table, column in (("answers", "text"), ("messages", "parsed_json"), ("messages", "subject"),
                          ("outbox", "subject"), ("signals", "excerpt")):
        if column in db[table].columns_dict:
            db.execute(f"update [{table}] set [{column}] = mask_identity_numbers([{column}]) "
                       f"where [{column}] glob '*[0-9][0-9][0-9][0-9]*'")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    m001_initial, m002_signals, m003_outbox_claim, m004_pass_log, m005_addresses, m006_review, m007_failures,
    m008_outbox_by_time, m009_web, m010_rule_versions, m011_mask_stored_texts,
]


def pending(db: sqlite_utils.Database) -> list[Callable[[sqlite_utils.Database], None]]:
    """The migrations not yet recorded in the database (reads only)."""
    if not db["_migrations"].exists():
        return list(MIGRATIONS)
    done = {row["name"] for row in db["_migrations"].rows}
    return [m for m in MIGRATIONS if m.__name__ not in done]


def migrate(db: sqlite_utils.Database, announce: bool = True) -> list[str]:
    """Apply the migrations not yet recorded; return the names applied (logged unless `announce` is False)."""
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    applied = []
    for migration in pending(db):
        name = migration.__name__
        with db.atomic():
            migration(db)
            db["_migrations"].insert({"name": name, "applied_at": datetime.now(UTC).isoformat()})
        logger.log(logging.INFO if announce else logging.DEBUG, "applied migration %s", name)
        applied.append(name)
    return applied
