"""Held mail ("Att granska"): list it, accept it as a municipality's report, or reject it.

Accepting does what arrival would have done had the mail counted: the
current submission (through record.py, like the poll), a receipt to the
sender saying it now counts, the forwards its signals call for, and the
mail moved to the processed folder. `register` also makes the sender's
address the municipality's for good (registry.py). Rejecting closes it:
moved to the processed folder, nothing sent.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime

from parsers.directory import Directory, fold
from parsers.model import ParsedMail

from .decide import HOLD_CODES, decide
from .errors import MailbotError
from .poll import Poller
from .record import facts_for, record_again
from .store import Store

logger = logging.getLogger(__name__)

# What an administrator's decision settles: who sent it for which municipality and month.
SETTLED_BY_REVIEW = HOLD_CODES | {"unknown_sender", "unknown_municipality", "unknown_period", "no_report"}


class ReviewError(MailbotError):
    """The mail is not held, or there is nothing to count: one line for the administrator."""


@dataclass(frozen=True)
class Accepted:
    message_ref: int
    municipality: str
    period: str
    receipt: bool  # a receipt was queued for the sender
    forwards: int  # forward mails queued
    moved: bool  # found in the review folder and moved


def held(store: Store) -> list[dict]:
    """The held mails, oldest first, as `mailbot review list --json` prints them."""
    return [{
        "id": row["id"], "received": row["internaldate"], "sender": row["sender"], "subject": row["subject"],
        "kind": row["kind"], "municipality": row["municipality"], "period": row["period"],
        "problems": list(dict.fromkeys(json.loads(row["codes"]) if row["codes"] else [])),
    } for row in store.held_since("")]


def _held_row(store: Store, message_ref: int) -> dict:
    row = store.find_message(message_ref)
    if row is None or row["target_folder"] != "review" or row["duplicate_of"] or row["review_state"]:
        raise ReviewError(f"mail {message_ref} is not held for review (see `mailbot review list`)")
    if row["raw"] is None:
        raise ReviewError(f"mail {message_ref} has no stored content any more (purged)")
    return row


def accept(p: Poller, message_ref: int, now: datetime, *, municipality: str | None = None,
           period: str | None = None, register: bool = False, by: str = "cli") -> Accepted:
    store, config = p.store, p.config
    row = _held_row(store, message_ref)
    parsed = p.parse(row["raw"], p.context)
    name, month = municipality or parsed.municipality, period or parsed.period
    if not name:
        raise ReviewError(f"mail {message_ref}: which municipality? give --municipality")
    if not month:
        raise ReviewError(f"mail {message_ref}: which month? give --period YYYY-MM")
    known = {fold(m.name): m.name for m in config.directory.municipalities}
    if fold(name) not in known:
        raise ReviewError(f"no municipality {name!r}")
    name = known[fold(name)]
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ReviewError(f"not a month: {month!r} (YYYY-MM)")
    if not parsed.answers:
        raise ReviewError(f"mail {message_ref} has no answers to count ({parsed.kind})")
    accepted = replace(parsed, kind="report", municipality=name, period=month, auth_failures=[],
                       problems=[pr for pr in parsed.problems if pr.code not in SETTLED_BY_REVIEW])
    config = replace(config, directory=_with_sender(config.directory, name, parsed))
    received = datetime.fromisoformat(row["internaldate"])
    facts, previous = facts_for(store, accepted, row["sha256"], received, now, config)
    decision = decide(accepted, replace(facts, accepted=True), config, p.rules)
    if not decision.counted:
        reasons = ", ".join(pr.code for pr in decision.problems) or accepted.kind
        raise ReviewError(f"mail {message_ref} cannot be counted: {reasons}")
    with store.transaction():
        if register and parsed.sender:
            store.register_address(parsed.sender, name, now.isoformat(), by)
        record_again(store, p.outbox, row, accepted, decision, previous, now, p.unit_key)
        receipts = [o for o in decision.outgoing if o.kind == "receipt"]
        for out in receipts:
            p.queue(out, message_ref=message_ref)
        store.resolve_review(message_ref, "accepted", now.isoformat(), by)
    moved = p.mailbox.relocate(config.folders.review, row["message_id"], row["sha256"], config.folders.processed)
    p.flush_outbox()
    forwards = sum(1 for o in decision.outgoing if o.kind == "forward")
    logger.info("review: mail %s accepted for %s %s by %s", message_ref, name, month, by)
    return Accepted(message_ref, name, month, bool(receipts), forwards, moved)


def reject(p: Poller, message_ref: int, now: datetime, *, note: str | None = None, by: str = "cli") -> bool:
    """Close a held mail without counting it; True when it was found and moved to the processed folder."""
    row = _held_row(p.store, message_ref)
    with p.store.transaction():
        p.store.resolve_review(message_ref, "rejected", now.isoformat(), by, note)
    logger.info("review: mail %s rejected by %s", message_ref, by)
    return p.mailbox.relocate(p.config.folders.review, row["message_id"], row["sha256"], p.config.folders.processed)


def _with_sender(directory: Directory, municipality: str, parsed: ParsedMail) -> Directory:
    """The directory with this mail's sender counting for `municipality` (for this decision only)."""
    if not parsed.sender:
        return directory
    return directory.with_addresses({municipality: [parsed.sender]})
