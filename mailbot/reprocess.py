"""`mailbot reprocess`: parse stored raw mail again after a parser fix.

Updates the stored outcome, problems and answers in place. Sends nothing:
the senders already got their receipts. A mail that now reads as a counted
report but had no submission gets one (current unless a newer one exists).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from parsers.model import ParsedMail
from parsers.report import ParseContext, parse_message

from .config import Config
from .deadlines import is_on_time
from .store import Store, dumps, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    message_ref: int
    before: str
    after: str


def reprocess(store: Store, context: ParseContext, config: Config, ids: list[int] | None = None,
              parse: Callable[[bytes, ParseContext], ParsedMail] = parse_message) -> list[Change]:
    db = store.db
    where = "raw is not null and duplicate_of is null"
    args: list = []
    if ids:
        where += f" and id in ({','.join('?' for _ in ids)})"
        args = list(ids)
    changes = []
    for row in db["messages"].rows_where(where, args, order_by="id"):
        parsed = parse(row["raw"], context)
        before = f"{row['kind']} {row['municipality']} {row['period']}"
        after = f"{parsed.kind} {parsed.municipality} {parsed.period}"
        with db.atomic():
            db["messages"].update(row["id"], {
                "kind": parsed.kind, "municipality": parsed.municipality, "period": parsed.period,
                "parsed_json": dumps(parsed.to_json()),
            })
            db.execute("delete from problems where message_ref = ?", [row["id"]])
            db["problems"].insert_all([{"message_ref": row["id"], "code": p.code, "question": p.question,
                                        "message": p.message} for p in parsed.problems])
            submission = next(db["submissions"].rows_where("message_ref = ?", [row["id"]], limit=1), None)
            registered = config.directory.by_address(parsed.sender) is not None
            counts = parsed.kind == "report" and registered and parsed.period and parsed.answers
            if submission is None and counts:
                submission = _new_submission(store, row, parsed, config)
            if submission is not None:
                db.execute("delete from answers where submission_id = ?", [submission["id"]])
                db["answers"].insert_all([{"submission_id": submission["id"], "question": a.question,
                                           "score": a.score, "color": a.color, "text": a.text}
                                          for a in parsed.answers])
        changes.append(Change(row["id"], before, after))
        logger.info("message %s reprocessed: %s -> %s", row["id"], before, after)
    return changes


def _new_submission(store: Store, row: dict, parsed, config: Config) -> dict:
    from datetime import datetime

    db = store.db
    current = store.current_submission(parsed.municipality, parsed.period)
    newer = current is not None and current.received_at > row["internaldate"]
    received = datetime.fromisoformat(row["internaldate"])
    submission_id = db["submissions"].insert({
        "message_ref": row["id"], "municipality": parsed.municipality, "period": parsed.period,
        "received_at": row["internaldate"], "on_time": int(is_on_time(received, parsed.period, config.deadline)),
        "source": parsed.source, "sender": parsed.sender, "is_current": 0 if newer else 1,
        "created_at": utcnow().isoformat(),
    }).last_pk
    if current is not None and not newer:
        db["submissions"].update(current.id, {"is_current": 0, "superseded_by": submission_id})
    db["messages"].update(row["id"], {"outcome": "counted"})
    return db["submissions"].get(submission_id)
