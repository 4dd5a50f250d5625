"""`mailbot purge`: the retention period (GDPR). Old raw mail and free text go; ratings stay.

After the purge a submission still counts in status, summaries and the Excel
compilation (municipality, period, received, on time, ratings), but the
original mail, answer texts, signal excerpts and sent mail bodies are gone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    messages: int
    answers: int
    signals: int
    outbox: int


def purge(store: Store, older_than_days: int, now: datetime) -> PurgeReport:
    cutoff = (now - timedelta(days=older_than_days)).isoformat()
    db = store.db
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
            "update outbox set raw = x'' where length(raw) > 0 and status in ('sent', 'failed') and created_at < ?",
            [cutoff]).rowcount
        db.execute("delete from problems where message_ref in (select id from messages where processed_at < ?) "
                   "and code = 'personal_data'", [cutoff])
    db.execute("vacuum")  # really remove the bytes from the file
    report = PurgeReport(messages, answers, signals, outbox)
    logger.info("purged data older than %d days: %s", older_than_days, report)
    return report
