"""The daily county job: reminders, notices about missing reports, the monthly summary.

Run by the daemon every morning (and safe to run any number of times: every
mail it queues has a per-period key, so each goes out once).
"""

from __future__ import annotations

import logging
from datetime import date

from .app import poller
from .config import Config
from .deadlines import SWEDEN
from .digest import due_digest
from .reminders import due_reminders, periods_in_play, summary_due
from .status import period_status
from .store import Store

logger = logging.getLogger(__name__)


def contacts(store: Store, config: Config) -> dict[str, tuple[str, ...]]:
    """Who gets a municipality's reminders: its configured addresses, else its latest sender, skipping
    addresses that bounced for good (then the next known address: another configured one, or an earlier sender)."""
    bounced = store.bounced_addresses()
    out = {}
    for m in config.directory.municipalities:
        configured = [a for a in m.addresses if a.lower() not in bounced]
        senders = [a for a in store.senders_of(m.name) if a.lower() not in bounced]
        chosen = tuple(configured) or tuple(senders[:1])
        if chosen:
            out[m.name] = chosen
    return out


def run_county_jobs(config: Config, today: date, *, send_summary: bool = True) -> list[str]:
    """Queue what is due today and send it; returns the keys of the mails queued now."""
    queued: list[str] = []
    with poller(config) as p:
        config = p.config  # with the registered addresses
        known = contacts(p.store, config)
        read_at = p.store.last_good_pass()
        for period in periods_in_play(today):
            status = period_status(p.store, config, period, today)
            deadline = date.fromisoformat(status["deadline"])
            # Who is missing is known only once the mailbox has been read after the deadline:
            # until then no "saknas" notice, no list of the missing, no summary (caught up later).
            read_since_deadline = read_at is not None and read_at.astimezone(SWEDEN).date() > deadline
            if not read_since_deadline and today > deadline:
                logger.warning("county job %s: the mailbox has not been read since the deadline for %s (%s); "
                               "missing notices and the summary wait", today, period, deadline)
            with p.store.transaction():
                for out in due_reminders(config, status, today, known, after_deadline=read_since_deadline):
                    if p.queue(out):
                        queued.append(out.dedupe_key)
            if (send_summary and read_since_deadline and summary_due(status, today)
                    and not p.store.outbox_has(f"summary:{period}")):
                queued += queue_summary(p, config, period, today)
        digest = due_digest(p.store, config, today)
        if digest is not None:
            with p.store.transaction():
                if p.queue(digest):
                    queued.append(digest.dedupe_key)
        p.flush_outbox()
    for key in queued:
        logger.info("county job %s: queued %s", today, key)
    return queued


def queue_summary(p, config: Config, period: str, today: date) -> list[str]:
    """Queue the monthly summary (leadership + administrators) and the feedback mails."""
    import io

    from .export import build_workbook
    from .reminders import year_of
    from .summary import build_summary, summary_mails

    summary = build_summary(p.store, config, period, today)
    buffer = io.BytesIO()
    build_workbook(p.store, config, year_of(period)).save(buffer)
    keys = []
    with p.store.transaction():
        for out, attachments in summary_mails(summary, config, buffer.getvalue()):
            if p.queue(out, attachments=attachments):
                keys.append(out.dedupe_key)
    return keys
