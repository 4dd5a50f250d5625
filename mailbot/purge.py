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
    report = PurgeReport(*store.purge_before(cutoff))
    logger.info("purged data older than %d days: %s", older_than_days, report)
    return report
