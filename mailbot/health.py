"""`mailbot health`: is the bot doing its job? Read from the pass log every poll writes.

`ok` is false when the last pass failed, or when no pass succeeded within
three poll intervals (the daemon stopped, or never started).
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta

from .config import Config
from .errors import MailbotError
from .store import Store, open_db

logger = logging.getLogger(__name__)

GRACE_INTERVALS = 3


def record_pass(config: Config, at: datetime, error: str | None = None, report=None) -> None:
    """Log one pass's outcome; best effort (a locked or full database must not hide the pass's own error)."""
    row = {"at": at.isoformat(), "ok": int(error is None), "error": error}
    if report is not None:
        row.update({k: getattr(report, k) for k in ("seen", "processed", "review", "sent", "send_failed")})
    try:
        db = open_db(config.database)
        try:
            Store(db).record_pass(row)
        finally:
            db.close()
    except (sqlite3.Error, OSError, MailbotError) as e:
        logger.warning("could not log the pass for `mailbot health`: %s", e)


def health(store: Store, config: Config, now: datetime) -> dict:
    facts = store.pass_facts()
    last, good, failing = facts["last"], facts["last_ok"], facts["failing_since"]
    recent = good is not None and datetime.fromisoformat(good["at"]) >= now - timedelta(
        minutes=GRACE_INTERVALS * config.poll_minutes)
    last_error = failing["error"] if failing else None
    if last is not None and not last["ok"]:
        last_error = last["error"]
    elif good is not None and not recent:
        last_error = f"no successful pass since {good['at']}"
    elif last is None:
        last_error = "no pass has run yet"
    return {
        "ok": bool(last is not None and last["ok"] and recent),
        "last_pass_ok": good["at"] if good else None,
        "last_error": last_error,
        "failing_since": failing["at"] if failing else None,
        "queued": store.queued_count(),
        "held": store.count_held(),
    }


def describe(result: dict) -> str:
    """The health answer in a sentence or two, for a person at a terminal."""
    state = "OK" if result["ok"] else "NOT OK"
    lines = [f"{state}: last good pass {result['last_pass_ok'] or 'never'}; "
             f"{result['queued']} mail(s) waiting to be sent, {result['held']} held for review."]
    if result["last_error"]:
        since = f" (failing since {result['failing_since']})" if result["failing_since"] else ""
        lines.append(f"Last error{since}: {result['last_error']}")
    return "\n".join(lines)
