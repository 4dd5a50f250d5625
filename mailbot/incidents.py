"""The mailbox cannot be read: the administrators are told once, and again when it recovers.

Every pass is logged (health.py). When passes have been failing for longer
than `[schedule] mailbox_down_minutes`, one notice goes to the administrators
for that incident (keyed by when it began); the first good pass after it
sends one more saying the mailbox is read again. Both go at once, not in the
daily digest: until the mailbox is read, nobody's report is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .config import Config
from .deadlines import SWEDEN
from .decide import Outgoing
from .store import Store

DOWN, UP = "admin:mailbox_down:", "admin:mailbox_up:"


def due_notices(config: Config, store: Store, now: datetime) -> list[Outgoing]:
    facts = store.pass_facts()
    last, failing = facts["last"], facts["failing_since"]
    if last is None:
        return []
    if not last["ok"] and failing is not None:
        began = datetime.fromisoformat(failing["at"])
        if now - began < timedelta(minutes=config.mailbox_down_minutes):
            return []
        return [Outgoing(
            f"{DOWN}{failing['at']}", "admin_notice", config.county.admins,
            "mailbot: brevlådan kan inte läsas", "admin_mailbox_down",
            {"since": _local(began), "error": last["error"] or "okänt fel", "mailbox": config.county.mailbox})]
    if last["ok"]:
        incident = store.latest_outbox_row(DOWN)
        if incident is not None:
            began = incident["dedupe_key"][len(DOWN):]
            if not store.outbox_row(f"{UP}{began}"):
                return [Outgoing(
                    f"{UP}{began}", "admin_notice", config.county.admins,
                    "mailbot: brevlådan läses igen", "admin_mailbox_up",
                    {"since": _local(datetime.fromisoformat(began)), "mailbox": config.county.mailbox})]
    return []


def _local(moment: datetime) -> str:
    return moment.astimezone(SWEDEN).strftime("%Y-%m-%d kl. %H:%M")
