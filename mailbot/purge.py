"""The retention period (GDPR): old raw mail and free text go; ratings stay.

After the purge a submission still counts in status, summaries and the Excel
compilation (municipality, period, received, on time, ratings), but the
original mail, answer texts, signal excerpts and sent mail bodies are gone;
so are the senders and subjects of mail that was not a municipality's report,
the file outbox's copies and (`[retention] mailbox_folders`) the old mail in
the processed and review folders. `mailbot run` purges daily with
`[retention] days`; `mailbot purge --older-than DAYS` does it by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import Config
from .store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    messages: int
    answers: int
    signals: int
    outbox: int
    files: int = 0
    folder_mail: int = 0


def purge(store: Store, older_than_days: int, now: datetime, config: Config | None = None,
          mailbox=None) -> PurgeReport:
    cutoff = now - timedelta(days=older_than_days)
    rows = store.purge_before(cutoff.isoformat())
    files = _purge_files(config, cutoff) if config is not None else 0
    folder_mail = 0
    if config is not None and mailbox is not None and config.retention_mailbox:
        for folder in (config.folders.processed, config.folders.review):
            folder_mail += mailbox.delete_before(folder, cutoff)
    report = PurgeReport(*rows, files=files, folder_mail=folder_mail)
    logger.info("purged data older than %d days: %s", older_than_days, report)
    return report


def _purge_files(config: Config, cutoff: datetime) -> int:
    """The file outbox's .eml copies older than the cutoff (the embedded default's sent mail)."""
    removed = 0
    if config.smtp is None and config.outbox_dir.is_dir():
        for path in config.outbox_dir.glob("*.eml"):
            try:
                if path.stat().st_mtime < cutoff.timestamp():
                    path.unlink()
                    removed += 1
            except OSError as e:
                logger.warning("could not remove %s: %s", path, e)
    return removed
