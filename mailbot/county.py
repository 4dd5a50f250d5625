"""The daily county job: reminders, notices about missing reports, the monthly summary.

Run by the daemon every morning (and safe to run any number of times: every
mail it queues has a per-period key, so each goes out once).
"""

from __future__ import annotations

import logging
from datetime import date

from .app import poller
from .config import Config
from .reminders import due_reminders, periods_in_play, summary_due
from .status import period_status
from .store import Store

logger = logging.getLogger(__name__)


def contacts(store: Store, config: Config) -> dict[str, tuple[str, ...]]:
    """Who gets a municipality's reminders: its configured addresses, else its latest registered sender."""
    out = {}
    for m in config.directory.municipalities:
        if m.addresses:
            out[m.name] = tuple(m.addresses)
        elif sender := store.latest_sender(m.name):
            out[m.name] = (sender,)
    return out


def run_county_jobs(config: Config, today: date, *, send_summary: bool = True) -> list[str]:
    """Queue what is due today and send it; returns the keys of the mails queued now."""
    queued: list[str] = []
    with poller(config) as p:
        known = contacts(p.store, config)
        for period in periods_in_play(today):
            status = period_status(p.store, config, period, today)
            with p.store.transaction():
                for out in due_reminders(config, status, today, known):
                    if p.queue(out):
                        queued.append(out.dedupe_key)
            if send_summary and summary_due(status, today) and not p.store.outbox_has(f"summary:{period}"):
                queued += queue_summary(p, config, period, today)
        p.flush_outbox()
    for key in queued:
        logger.info("county job %s: queued %s", today, key)
    return queued


def queue_summary(p, config: Config, period: str, today: date) -> list[str]:
    """Queue the monthly summary (leadership + administrators) and the feedback mails."""
    from .export import build_workbook
    from .summary import build_summary, summary_mails
    from .reminders import year_of

    import io

    summary = build_summary(p.store, config, period, today)
    buffer = io.BytesIO()
    build_workbook(p.store, config, year_of(period)).save(buffer)
    keys = []
    with p.store.transaction():
        for out, attachments in summary_mails(summary, config, buffer.getvalue()):
            if p.queue(out, attachments=attachments):
                keys.append(out.dedupe_key)
    return keys
