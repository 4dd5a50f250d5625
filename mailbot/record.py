"""Recording a decided mail: one path for a new mail (poll) and a stored mail read again (reprocess).

`facts_for` looks up what `decide()` needs; `record_new` stores a new mail
with its outcome and queues its outgoing mail; `record_again` updates a
stored one. Both count a mail through `_count` (submission, answers,
signals) exactly when `decide()` says it counts, so the "counted" rule lives
in decide.py alone. Every function writes in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from parsers.model import Answer, ParsedMail
from parsers.personal_data import mask

from .config import Config
from .deadlines import SWEDEN
from .decide import REVIEW, Decision, Facts, period_label, quoted_edit
from .mailbox import IncomingMail
from .outbox import Outbox
from .status import default_period
from .store import Store, StoredSubmission, dumps

UnitOf = Callable[[str], str | None]  # rule name -> the key of the unit it forwards to


def facts_for(store: Store, parsed: ParsedMail, sha256: str, received: datetime,
              now: datetime, config: Config | None = None) -> tuple[Facts, StoredSubmission | None]:
    """What decide() needs to know beyond the mail, and the current submission it would replace."""
    previous = None
    if parsed.kind == "report" and parsed.municipality and parsed.period:
        previous = store.current_submission(parsed.municipality, parsed.period)
    elif quoted_edit(parsed):  # our receipt quoted back with a value changed in it: compare with what counts
        assert parsed.municipality and parsed.receipt_period
        previous = store.current_submission(parsed.municipality, parsed.receipt_period)
    already: frozenset[tuple[str, int | None]] = frozenset()
    if previous is not None and parsed.municipality and parsed.period:
        already = store.forwarded_signals(parsed.municipality, parsed.period)
    kinds = ("receipt",) if parsed.kind == "report" else ("reply",)
    current, current_missing = None, None
    if config is not None and parsed.kind == "report" and parsed.municipality and parsed.period:
        current = default_period(config, now.astimezone(SWEDEN).date())
        if parsed.period < current and store.current_submission(parsed.municipality, current) is None:
            current_missing = current  # an old month came in; the month now due has not
    facts = Facts(
        received=received,
        previous_submission_at=_local(previous.received_at) if previous else None,
        replies_last_day=store.replies_to(parsed.sender, now - timedelta(days=1), kinds) if parsed.sender else 0,
        auto_answers_last_hour=store.auto_answers_since(now - timedelta(hours=1)),
        bounced_mails=tuple(store.outbox_by_message_ids(
            [f.original_message_id for f in parsed.delivery_failures if f.original_message_id])),
        already_forwarded=already,
        previous_answers=tuple(_answer(a) for a in store.answers(previous.id)) if previous else (),
        replaces_period=parsed.period if previous and current and parsed.period != current else None,
        current_missing=current_missing,
        mail_sha256=sha256,
    )
    return facts, previous


def _answer(row: dict) -> Answer:
    return Answer(row["question"], row["score"], row["color"], row["text"] or "")


def message_row(mail: IncomingMail, parsed: ParsedMail, sha256: str, outcome: str, folder: str,
                now: datetime) -> dict:
    return {
        "folder": mail.folder, "uidvalidity": mail.uidvalidity, "uid": mail.uid,
        "message_id": parsed.message_id, "sha256": sha256,
        "internaldate": mail.internaldate.isoformat(), "sender": parsed.sender,
        "subject": mask(parsed.subject) if parsed.subject else parsed.subject, "kind": parsed.kind,
        "municipality": parsed.municipality,
        "period": parsed.period, "outcome": outcome, "target_folder": folder,
        "parsed_json": mask(dumps(parsed.to_json())), "processed_at": now.isoformat(),
    }


def record_duplicate(store: Store, mail: IncomingMail, parsed: ParsedMail, sha256: str, original: dict,
                     now: datetime) -> None:
    row = message_row(mail, parsed, sha256, "duplicate", original["target_folder"], now)
    with store.transaction():
        store.add_message({**row, "duplicate_of": original["id"]})


@dataclass(frozen=True)
class Extra:
    """Another report in the same mail (another month, another municipality), decided on its own."""

    parsed: ParsedMail
    decision: Decision
    previous: StoredSubmission | None


def extra_reports(parsed: ParsedMail) -> list[ParsedMail]:
    """The mail's full reports besides the primary one, each as a record of its own (no receipt of its own:
    the primary's receipt names them all)."""
    return [replace(parsed, message_id=f"{parsed.message_id or 'mail'}#{report.source}", source=report.source,
                    municipality=report.municipality, period=report.period, answers=list(report.answers),
                    signals=list(report.signals), problems=list(report.problems), partial=False, reports=[],
                    notes=[])
            for report in parsed.reports if not report.primary and not report.partial and report.answers]


def with_extras_noted(decision: Decision, extras: list[Extra]) -> Decision:
    """The primary's receipt also says what became of the mail's other reports; any of them held: the mail is."""
    if not extras:
        return decision
    notes = []
    for extra in extras:
        what = f"Rapporten för {extra.parsed.municipality or 'okänd kommun'}, {period_label(extra.parsed.period)}"
        if extra.decision.counted:
            notes.append(f"{what} har också räknats.")
        else:
            reasons = " ".join(p.message for p in extra.decision.problems) or "Den behöver granskas."
            notes.append(f"{what} har inte räknats: {reasons}")
    outgoing = [replace(o, context={**o.context, "notes": [*o.context.get("notes", []), *notes]})
                if o.kind == "receipt" else o for o in decision.outgoing]
    held = any(e.decision.folder == REVIEW for e in extras)
    return replace(decision, outgoing=outgoing, folder=REVIEW if held else decision.folder)


def record_new(store: Store, outbox: Outbox, mail: IncomingMail, parsed: ParsedMail, sha256: str,
               decision: Decision, previous: StoredSubmission | None, now: datetime, unit_of: UnitOf,
               extras: Sequence[Extra] = ()) -> int:
    """Store a new mail, its outcome (and its other reports') and every mail they call for, in one transaction."""
    outcome = "counted" if decision.counted or any(e.decision.counted for e in extras) else parsed.kind
    with store.transaction():
        message_ref = store.add_message(
            {**message_row(mail, parsed, sha256, outcome, decision.folder, now), "raw": mail.raw})
        store.set_problems(message_ref, decision.problems or parsed.problems)
        if decision.counted:
            _count(store, message_ref, parsed, decision, mail.internaldate, previous, now, unit_of)
        for out in decision.outgoing:
            outbox.queue(out, message_ref=message_ref)
        for extra in extras:
            if extra.decision.counted:
                _count(store, message_ref, extra.parsed, extra.decision, mail.internaldate, extra.previous, now,
                       unit_of)
            for out in extra.decision.outgoing:
                if out.kind != "receipt":
                    outbox.queue(out, message_ref=message_ref)
    return message_ref


def record_again(store: Store, outbox: Outbox, message: dict, parsed: ParsedMail, decision: Decision,
                 previous: StoredSubmission | None, now: datetime, unit_of: UnitOf) -> bool:
    """Update a stored mail after a new parse; True when it counts now and did not before.

    A mail that already had a submission keeps it with the new answers. One
    that counts only now gets its submission and signals, and the forwards
    its signals call for are queued (its sender got a receipt at the time, so
    no new one). Nothing is sent here: the next flush sends what was queued.
    """
    with store.transaction():
        store.update_message(message["id"], {
            "kind": parsed.kind, "municipality": parsed.municipality, "period": parsed.period,
            "parsed_json": mask(dumps(parsed.to_json())),
        })
        store.set_problems(message["id"], decision.problems or parsed.problems)
        submission = store.submission_of(message["id"])
        if submission is not None:
            store.set_answers(submission["id"], _masked(decision.answers or parsed.answers))
            return False
        if not decision.counted:
            return False
        received = datetime.fromisoformat(message["internaldate"])
        _count(store, message["id"], parsed, decision, received, previous, now, unit_of)
        store.update_message(message["id"], {"outcome": "counted"})
        for out in decision.outgoing:
            if out.kind == "forward":
                outbox.queue(out, message_ref=message["id"])
    return True


def _count(store: Store, message_ref: int, parsed: ParsedMail, decision: Decision, received: datetime,
           current: StoredSubmission | None, now: datetime, unit_of: UnitOf) -> None:
    """The submission, its answers and its signals. The latest received submission is the current one."""
    newer = current is not None and datetime.fromisoformat(current.received_at) > received
    submission_id = store.add_submission({
        "message_ref": message_ref, "municipality": parsed.municipality, "period": parsed.period,
        "received_at": received.isoformat(), "on_time": int(bool(decision.on_time)),
        "source": parsed.source, "sender": parsed.sender, "is_current": 0 if newer else 1,
        "created_at": now.isoformat(),
    }, supersedes=current.id if current is not None and not newer else None)
    store.set_answers(submission_id, _masked(decision.answers))
    forwarded = {(s.rule, s.question) for s in decision.forwarded}
    store.add_signals([{
        "message_ref": message_ref, "municipality": parsed.municipality, "period": parsed.period,
        "rule": s.rule, "unit": unit_of(s.rule), "question": s.question, "excerpt": s.excerpt,
        "forwarded": int((s.rule, s.question) in forwarded), "created_at": now.isoformat(),
    } for s in parsed.signals])


def _masked(answers: list[Answer]) -> list[Answer]:
    """Identity numbers never stored outside the raw mail (which the retention purge removes)."""
    return [replace(a, text=mask(a.text)) if a.text else a for a in answers]


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SWEDEN).strftime("%Y-%m-%d kl. %H:%M")
