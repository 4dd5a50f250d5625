"""One pass over the mailbox: fetch → store → parse → decide → queue → move; then send.

The order is what keeps mail from being lost: a message is moved out of
the inbox only after its row (raw bytes, outcome, outgoing mail) is
committed. If the process dies in between, the next pass finds the ledger
row and only does the move.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from parsers.model import ParsedMail
from parsers.report import ParseContext, parse_message
from rules.model import RuleSet

from .compose import build_message
from .config import Config
from .deadlines import SWEDEN
from .decide import PROCESSED, Decision, Facts, decide
from .errors import TransientError
from .mailbox import IncomingMail, Mailbox
from .sender import Delivery, PermanentSendError, Sender, SenderUnavailableError, TemporarySendError
from .store import Store, dumps, storage_errors, utcnow

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 8


@dataclass
class PollReport:
    seen: int = 0
    processed: int = 0
    review: int = 0
    duplicates: int = 0
    errors: int = 0
    sent: int = 0
    send_failed: int = 0


class Poller:
    def __init__(self, config: Config, store: Store, mailbox: Mailbox, sender: Sender,
                 context: ParseContext, rules: RuleSet | None = None, *, stop: Callable[[], bool] = lambda: False,
                 clock: Callable[[], datetime] = utcnow,
                 parse: Callable[[bytes, ParseContext], ParsedMail] = parse_message):
        self.config, self.store, self.mailbox, self.sender = config, store, mailbox, sender
        self.parse = parse  # in-process, or a ParseWorker's child process with a time limit
        self.context, self.rules, self.stop, self.clock = context, rules, stop, clock
        self.folder = config.folders.inbox
        self.folders = {PROCESSED: config.folders.processed, "review": config.folders.review}
        self.envelope_from = (config.smtp.sender if config.smtp else "") or config.county.mailbox

    # -- the pass -----------------------------------------------------------

    def run_once(self) -> PollReport:
        report = PollReport()
        uidvalidity, uids = self.mailbox.waiting()
        state = self.store.folder_state(self.folder)
        if state and state["uidvalidity"] != uidvalidity:
            logger.warning("UIDVALIDITY of %s changed (%s -> %s): matching by Message-ID",
                           self.folder, state["uidvalidity"], uidvalidity)
        for uid in uids:
            if self.stop():
                logger.info("stop requested: leaving %d messages for the next pass", len(uids) - report.seen)
                break
            report.seen += 1
            try:
                with storage_errors(self.config.database):
                    self._handle(uidvalidity, uid, report)
            except TransientError:
                # The server went away, or the database cannot be written (locked, disk full: the
                # message's transaction was rolled back, so it stays unmoved, and every later one
                # would fail alike): the whole pass is retried on the next tick.
                raise
            except Exception:  # noqa: BLE001 - the per-message boundary: log, leave it, go on
                report.errors += 1
                logger.exception("uid %s: failed; left in %s for the next pass", uid, self.folder)
        if uids:
            self.store.set_folder_state(self.folder, uidvalidity)
        self.flush_outbox(report)
        return report

    def _handle(self, uidvalidity: int, uid: str, report: PollReport) -> None:
        prior = self.store.processed(self.folder, uidvalidity, uid)
        if prior is not None:  # stored on an earlier pass that died before the move
            self.mailbox.move(uid, self.folders[prior["target_folder"]])
            logger.info("uid %s: already stored as message %s; moved", uid, prior["id"])
            return
        mail = self.mailbox.fetch(uid)
        if mail is None:
            return
        sha256 = hashlib.sha256(mail.raw).hexdigest()
        parsed = self.parse(mail.raw, self.context)
        duplicate = self.store.duplicate_of(parsed.message_id, sha256)
        if duplicate is not None:
            self._store_duplicate(mail, parsed, sha256, duplicate)
            self.mailbox.move(uid, self.folders[duplicate["target_folder"]])
            report.duplicates += 1
            logger.info("uid %s: duplicate of message %s; moved", uid, duplicate["id"])
            return
        previous = None
        if parsed.kind == "report" and parsed.municipality and parsed.period:
            previous = self.store.current_submission(parsed.municipality, parsed.period)
        already: frozenset[tuple[str, int | None]] = frozenset()
        if previous is not None and parsed.municipality and parsed.period:
            already = self.store.forwarded_signals(parsed.municipality, parsed.period)
        facts = Facts(
            already_forwarded=already,
            mail_sha256=sha256,
            received=mail.internaldate,
            previous_submission_at=_local(previous.received_at) if previous else None,
            replies_last_day=self.store.replies_to(
                parsed.sender, self.clock() - timedelta(days=1),
                ("receipt",) if parsed.kind == "report" else ("reply",)) if parsed.sender else 0,
            auto_answers_last_hour=self.store.auto_answers_since(self.clock() - timedelta(hours=1)),
            bounced_mails=tuple(self.store.outbox_by_message_ids(
                [f.original_message_id for f in parsed.delivery_failures if f.original_message_id])),
        )
        decision = decide(parsed, facts, self.config, self.rules)
        self._record(mail, parsed, sha256, decision, previous.id if previous else None)
        self.mailbox.move(uid, self.folders[decision.folder])
        if decision.folder == PROCESSED:
            report.processed += 1
        else:
            report.review += 1
        logger.info("uid %s: %s %s %s -> %s%s", uid, parsed.kind, parsed.municipality or "-",
                    parsed.period or "-", self.folders[decision.folder],
                    " (counted)" if decision.counted else "")

    # -- storing ------------------------------------------------------------

    def _message_row(self, mail: IncomingMail, parsed: ParsedMail, sha256: str, outcome: str, folder: str) -> dict:
        return {
            "folder": mail.folder, "uidvalidity": mail.uidvalidity, "uid": mail.uid,
            "message_id": parsed.message_id, "sha256": sha256,
            "internaldate": mail.internaldate.isoformat(), "sender": parsed.sender,
            "subject": parsed.subject, "kind": parsed.kind, "municipality": parsed.municipality,
            "period": parsed.period, "outcome": outcome, "target_folder": folder,
            "parsed_json": dumps(parsed.to_json()), "processed_at": self.clock().isoformat(),
        }

    def _store_duplicate(self, mail, parsed, sha256, duplicate) -> None:
        row = self._message_row(mail, parsed, sha256, "duplicate", duplicate["target_folder"])
        row["duplicate_of"] = duplicate["id"]
        with self.store.db.atomic():
            self.store.db["messages"].insert(row)

    def _record(self, mail: IncomingMail, parsed: ParsedMail, sha256: str, decision: Decision,
                previous_id: int | None) -> None:
        db = self.store.db
        now = self.clock().isoformat()
        outcome = "counted" if decision.counted else parsed.kind
        with db.atomic():
            row = self._message_row(mail, parsed, sha256, outcome, decision.folder)
            row["raw"] = mail.raw
            message_ref = db["messages"].insert(row).last_pk
            db["problems"].insert_all(
                [{"message_ref": message_ref, "code": p.code, "question": p.question, "message": p.message}
                 for p in parsed.problems])
            if decision.counted:
                submission_id = db["submissions"].insert({
                    "message_ref": message_ref, "municipality": parsed.municipality, "period": parsed.period,
                    "received_at": mail.internaldate.isoformat(), "on_time": int(bool(decision.on_time)),
                    "source": parsed.source, "sender": parsed.sender, "is_current": 1, "created_at": now,
                }).last_pk
                if previous_id is not None:
                    db["submissions"].update(previous_id, {"is_current": 0, "superseded_by": submission_id})
                db["answers"].insert_all(
                    [{"submission_id": submission_id, "question": a.question, "score": a.score,
                      "color": a.color, "text": a.text} for a in parsed.answers])
            forwarded = {(s.rule, s.question) for s in decision.forwarded}
            db["signals"].insert_all([{
                "message_ref": message_ref, "municipality": parsed.municipality, "period": parsed.period,
                "rule": s.rule, "unit": self._unit_key(s.rule), "question": s.question, "excerpt": s.excerpt,
                "forwarded": int((s.rule, s.question) in forwarded), "created_at": now,
            } for s in parsed.signals] if decision.counted else [])
            for out in decision.outgoing:
                self.queue(out, message_ref=message_ref)

    def queue(self, out, message_ref: int | None = None, attachments=()) -> bool:
        """Add an outgoing mail unless its key was queued before. Call inside a transaction."""
        if self.store.outbox_row(out.dedupe_key) is not None:
            return False
        message_id, raw = build_message(out, self.envelope_from, list(attachments))
        self.store.db["outbox"].insert({
            "dedupe_key": out.dedupe_key, "kind": out.kind, "message_id": message_id,
            "sender": self.envelope_from, "recipients": dumps(list(out.recipients)),
            "subject": out.subject, "raw": raw, "status": "queued", "attempts": 0,
            "created_at": self.clock().isoformat(), "message_ref": message_ref,
        })
        return True

    def _unit_key(self, rule: str) -> str | None:
        unit = self.rules.unit_for(rule) if self.rules else None
        return unit.key if unit else None

    # -- sending ------------------------------------------------------------

    def flush_outbox(self, report: PollReport | None = None) -> None:
        report = report or PollReport()
        tried: set[int] = set()
        while rows := [r for r in self.store.queued(self.clock()) if r["id"] not in tried]:
            if not self._send_rows(rows, tried, report):
                break

    def _send_rows(self, rows: list[dict], tried: set[int], report: PollReport) -> bool:
        """Try each row once, over one connection; False when sending must stop for this pass."""
        with self.sender.session() as session:
            return self._send_in(session, rows, tried, report)

    def _send_in(self, session: Delivery, rows: list[dict], tried: set[int], report: PollReport) -> bool:
        for row in rows:
            tried.add(row["id"])
            if self.stop():
                return False
            attempts = row["attempts"] + 1
            self.store.mark_outbox(row["id"], status="sending", attempts=attempts)
            try:
                session.send(self.store.outbox_raw(row["id"]), row["sender"], _loads(row["recipients"]))
            except SenderUnavailableError as e:  # nothing can go now: keep the queue, try next tick
                self.store.mark_outbox(row["id"], status="queued", attempts=row["attempts"], last_error=str(e))
                logger.warning("outbox: %s; %d mail(s) wait for the next tick", e, len(self.store.queued(self.clock())))
                return False
            except TemporarySendError as e:
                if attempts >= MAX_SEND_ATTEMPTS:
                    self._give_up(row, str(e))
                    report.send_failed += 1
                else:
                    delay = timedelta(minutes=min(60, 2 ** (attempts - 1)))
                    self.store.mark_outbox(row["id"], status="queued", last_error=str(e),
                                           next_attempt_at=(self.clock() + delay).isoformat())
                    logger.warning("outbox %s: temporary failure (%s); retry in %s", row["id"], e, delay)
                continue
            except PermanentSendError as e:
                self._give_up(row, str(e))
                report.send_failed += 1
                continue
            self.store.mark_outbox(row["id"], status="sent", sent_at=self.clock().isoformat(), last_error=None)
            report.sent += 1
            logger.info("outbox %s: sent %s to %s", row["id"], row["kind"], row["recipients"])
        return True

    def _give_up(self, row: dict, error: str) -> None:
        from .decide import Outgoing

        self.store.mark_outbox(row["id"], status="failed", last_error=error)
        logger.error("outbox %s: giving up on %s to %s: %s", row["id"], row["kind"], row["recipients"], error)
        if row["kind"] == "admin_notice":
            return
        with self.store.db.atomic():
            self.queue(Outgoing(
                f"admin:send_failed:{row['id']}", "admin_notice", self.config.county.admins,
                "mailbot: ett utgående mejl kunde inte skickas", "admin_send_failed",
                {"recipients": ", ".join(_loads(row["recipients"])), "subject": row["subject"], "error": error}))


def _loads(text: str) -> list[str]:
    import json

    return json.loads(text)


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SWEDEN).strftime("%Y-%m-%d kl. %H:%M")
