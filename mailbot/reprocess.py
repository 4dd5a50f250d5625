"""`mailbot reprocess`: parse stored raw mail again after a parser fix.

Updates the stored outcome, problems and answers in place, through the same
recording path as the poll (record.py) and the same "counted" rule
(decide.py). A mail that now counts but had no submission gets one (current
unless a newer one exists) and its signals, and the forwards those signals
call for are queued (its sender already got a receipt: no new one). Sends
nothing itself: the next poll's flush sends what was queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from parsers.model import ParsedMail
from parsers.report import ParseContext, parse_message

from .config import Config
from .decide import decide
from .outbox import Outbox
from .record import facts_for, record_again
from .rules_state import rules_in_force
from .store import Store, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    message_ref: int
    before: str
    after: str
    newly_counted: bool = False


def reprocess(store: Store, context: ParseContext, config: Config, ids: list[int] | None = None,
              parse: Callable[[bytes, ParseContext], ParsedMail] = parse_message,
              clock: Callable[[], datetime] = utcnow) -> list[Change]:
    rules, _ = rules_in_force(config, store)  # an invalid edit was already reported by the poll

    def unit_of(rule: str) -> str | None:
        unit = rules.unit_for(rule)
        return unit.key if unit else None

    outbox = Outbox(store, config)  # queues only
    changes = []
    for message_ref in store.message_ids(ids):
        message = store.message(message_ref)
        parsed = parse(message["raw"], context)
        before = f"{message['kind']} {message['municipality']} {message['period']}"
        after = f"{parsed.kind} {parsed.municipality} {parsed.period}"
        now = clock()
        facts, previous = facts_for(store, parsed, message["sha256"], datetime.fromisoformat(message["internaldate"]),
                                    now, config)
        decision = decide(parsed, facts, config, rules)
        counted = record_again(store, outbox, message, parsed, decision, previous, now, unit_of)
        changes.append(Change(message_ref, before, after, counted))
        logger.info("message %s reprocessed: %s -> %s%s", message_ref, before, after,
                    " (counted now)" if counted else "")
    return changes
