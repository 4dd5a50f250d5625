"""One pass over the mailbox: fetch → parse → decide → record → move; then the outbox sends.

The order is what keeps mail from being lost: a message is moved out of
the inbox only after its row (raw bytes, outcome, outgoing mail) is
committed (record.py). If the process dies in between, the next pass finds
the ledger row and only does the move. Sending is the outbox's (outbox.py).

The steps overlap where that is safe: the next message is fetched and
handed to the parser while this one is decided and recorded (deciding reads
what the one before stored, so decide and record stay in order); a committed
message is moved over a second IMAP connection (mover.py); what a message
queued is sent by a background flusher (outbox.Drain) while the loop reads
on, and the pass ends with a flush of its own for whatever is left.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime

from parsers.model import ParsedMail, Problem
from parsers.report import ParseContext, headers_only_record, parse_message
from rules.model import RuleSet

from .config import Config
from .decide import PROCESSED, REVIEW, Decision, Outgoing, as_correction, decide
from .errors import TransientError
from .mailbox import IncomingMail, Mailbox
from .mover import Mover
from .outbox import Drain, Outbox
from .record import Extra, extra_reports, facts_for, record_duplicate, record_new, with_extras_noted
from .sender import Sender
from .store import Store, storage_errors, utcnow

logger = logging.getLogger(__name__)

MAX_FAILURES = 3  # passes that may fail on one message before it is stored as it is and held


@dataclass
class PollReport:
    seen: int = 0
    processed: int = 0
    review: int = 0
    duplicates: int = 0
    errors: int = 0
    sent: int = 0
    send_failed: int = 0


@dataclass
class _Read:
    """One message looked up, fetched and being parsed (or why not)."""

    uid: str
    prior: dict | None = None  # its ledger row, when an earlier pass stored it
    mail: IncomingMail | None = None
    parsed: Future[ParsedMail] | None = None
    error: Exception | None = None


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
        self._moving: Mover | None = None  # during a pass over IMAP

    # -- the pass -----------------------------------------------------------

    def run_once(self) -> PollReport:
        report = PollReport()
        uidvalidity, uids = self.mailbox.waiting()
        state = self.store.folder_state(self.folder)
        if state and state["uidvalidity"] != uidvalidity:
            logger.warning("UIDVALIDITY of %s changed (%s -> %s): matching by Message-ID",
                           self.folder, state["uidvalidity"], uidvalidity)
        with Drain(self.store, self.config, self.sender, clock=self.clock, stop=self.stop) as drain, \
                ThreadPoolExecutor(1, thread_name_prefix="mailbot-parse") as parser, \
                self._mover(uidvalidity) as self._moving:
            ahead: _Read | None = None
            for i, uid in enumerate(uids):
                if self.stop():
                    logger.info("stop requested: leaving %d messages for the next pass", len(uids) - report.seen)
                    break
                report.seen += 1
                read = None
                try:
                    with storage_errors(self.config.database):
                        read, ahead = ahead or self._read(uidvalidity, uid, parser), None
                        if i + 1 < len(uids) and not self.stop():  # the next one is parsed while this one is stored
                            ahead = self._read(uidvalidity, uids[i + 1], parser)
                        self._handle(read, report)
                except TransientError:
                    # The server went away, or the database cannot be written (locked, disk full: the
                    # message's transaction was rolled back, so it stays unmoved, and every later one
                    # would fail alike): the whole pass is retried on the next tick.
                    raise
                except Exception as e:  # noqa: BLE001 - the per-message boundary: log, leave it, go on
                    report.errors += 1
                    logger.exception("uid %s: failed; left in %s for the next pass", uid, self.folder)
                    with storage_errors(self.config.database):
                        self._failed(uidvalidity, uid, read.mail if read else None, e, report)
                drain.wake()  # what this mail queued goes out while the next one is read
        if uids:
            self.store.set_folder_state(self.folder, uidvalidity)
        report.sent += drain.report.sent
        report.send_failed += drain.report.send_failed
        self.flush_outbox(report)  # whatever the background sender did not get to
        return report

    def _mover(self, uidvalidity: int) -> AbstractContextManager[Mover | None]:
        """A second IMAP connection that moves in the background; the Maildir moves at once (a rename)."""
        from .imap_mailbox import ImapMailbox

        if self.config.imap is not None and isinstance(self.mailbox, ImapMailbox):
            return Mover(ImapMailbox(self.config.imap), uidvalidity)
        return nullcontext(None)

    def _move(self, uid: str, folder: str) -> None:
        """Move a message whose row is committed."""
        if self._moving is not None:
            self._moving.move(uid, folder)
        else:
            self.mailbox.move(uid, folder)

    def _read(self, uidvalidity: int, uid: str, parser: ThreadPoolExecutor) -> _Read:
        """Look the message up in the ledger, fetch it and start parsing it; errors are kept for `_handle`."""
        try:
            prior = self.store.processed(self.folder, uidvalidity, uid)
            if prior is not None:
                return _Read(uid, prior=prior)
            mail = self.mailbox.fetch(uid)
            if mail is None:
                return _Read(uid)
            return _Read(uid, mail=mail, parsed=parser.submit(self.parse, mail.raw, self.context))
        except Exception as e:  # noqa: BLE001 - raised again when this message's turn comes
            return _Read(uid, error=e)

    def _handle(self, read: _Read, report: PollReport) -> None:
        uid, mail = read.uid, read.mail
        if read.error is not None:
            raise read.error
        if read.prior is not None:  # stored on an earlier pass that died before the move
            self._move(uid, self.folders[read.prior["target_folder"]])
            logger.info("uid %s: already stored as message %s; moved", uid, read.prior["id"])
            return
        if mail is None or read.parsed is None:
            return
        parsed = read.parsed.result()
        sha256 = hashlib.sha256(mail.raw).hexdigest()
        now = self.clock()
        duplicate = self.store.duplicate_of(parsed.message_id, sha256)
        again = ""
        if duplicate is not None and self._put_back(duplicate, sha256):
            # An administrator put a held mail back into the inbox (after registering its sender,
            # say): read it again as if new; the held copy is closed.
            again, put_back = f":again{duplicate['id']}", duplicate
            duplicate = None
        if duplicate is not None:
            record_duplicate(self.store, mail, parsed, sha256, duplicate, now)
            self._move(uid, self.folders[duplicate["target_folder"]])
            report.duplicates += 1
            logger.info("uid %s: duplicate of message %s; moved", uid, duplicate["id"])
            return
        facts, previous = facts_for(self.store, parsed, sha256, mail.internaldate, now, self.config)
        parsed = as_correction(parsed, facts.previous_answers)  # a value changed inside our quoted receipt
        decision = decide(parsed, replace(facts, again=again), self.config, self.rules)
        extras = []
        for extra in extra_reports(parsed):  # a second month attached, a second template in the body
            extra_facts, extra_previous = facts_for(self.store, extra, sha256, mail.internaldate, now, self.config)
            extras.append(Extra(extra, decide(extra, extra_facts, self.config, self.rules), extra_previous))
        decision = with_extras_noted(decision, extras)
        with self.store.transaction():
            record_new(self.store, self.outbox, mail, parsed, sha256, decision, previous, now, self.unit_key,
                       extras)
            if again:
                self.store.resolve_review(put_back["id"], "read_again", now.isoformat(), "inbox")
        self._move(uid, self.folders[decision.folder])
        if decision.folder == PROCESSED:
            report.processed += 1
        else:
            report.review += 1
        logger.info("uid %s: %s %s %s -> %s%s", uid, parsed.kind, parsed.municipality or "-",
                    parsed.period or "-", self.folders[decision.folder],
                    " (counted)" if decision.counted else "")

    def _failed(self, uidvalidity: int, uid: str, mail: IncomingMail | None, error: Exception,
                report: PollReport) -> None:
        """After MAX_FAILURES failed passes a message is stored as it is, held, and the administrators told once:
        a mail that fails every time must not sit in the inbox unseen forever."""
        now = self.clock()
        text = f"{type(error).__name__}: {error}"
        if self.store.note_failure(self.folder, uidvalidity, uid, text, now.isoformat()) < MAX_FAILURES:
            return
        if mail is None:
            return  # not even fetched: nothing to store; the server's trouble shows in the log and health
        problem = Problem("processing_error", "Mejlet kunde inte behandlas automatiskt. En handläggare tittar på det.")
        parsed = headers_only_record(mail.raw, self.context, problem)
        parsed = replace(parsed, kind="other", problems=[problem])
        sha256 = hashlib.sha256(mail.raw).hexdigest()
        notice = Outgoing(
            f"admin:processing_error:{sha256}", "admin_notice", self.config.county.admins,
            "mailbot: ett mejl kunde inte behandlas", "admin_processing_error",
            {"sender": parsed.sender, "subject": parsed.subject, "error": text[:500], "attempts": MAX_FAILURES,
             "folder": self.folders["review"]})
        decision = Decision(False, REVIEW, None, [notice], [], [], [problem])
        record_new(self.store, self.outbox, mail, parsed, sha256, decision, None, now, self.unit_key)
        self._move(uid, self.folders["review"])
        report.review += 1
        logger.error("uid %s: failed %d times; stored and held for review", uid, MAX_FAILURES)

    @staticmethod
    def _put_back(original: dict, sha256: str) -> bool:
        """The same bytes as a mail still held for review: put back into the inbox by an administrator."""
        return original["target_folder"] == "review" and not original["review_state"] and original["sha256"] == sha256

    def unit_key(self, rule: str) -> str | None:
        unit = self.rules.unit_for(rule) if self.rules else None
        return unit.key if unit else None

    # -- the outbox ---------------------------------------------------------

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.store, self.config, self.sender, clock=self.clock, stop=self.stop)

    def queue(self, out, message_ref: int | None = None, attachments=()) -> bool:
        """Add an outgoing mail unless its key was queued before. Call inside a transaction."""
        return self.outbox.queue(out, message_ref, attachments)

    def flush_outbox(self, report: PollReport | None = None) -> PollReport:
        report = report if report is not None else PollReport()
        self.outbox.flush(report)
        self.file_own_notices()
        return report

    def file_own_notices(self) -> None:
        """Notices addressed to our own mailbox go into its review folder, unread, never by SMTP."""
        for row in self.store.rows_to_file():
            self.mailbox.append(self.folders["review"], row["raw"], self.clock())
            self.store.mark_filed(row["id"], self.clock().isoformat())
            logger.info("outbox %s: filed into %s", row["id"], self.folders["review"])
