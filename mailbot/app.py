"""Wiring: builds the mailbox, sender, store and poller from a Config."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager, nullcontext

from parsers.report import parse_message

from .config import Config
from .context import parse_context
from .errors import MailbotError, StorageError
from .mailbox import Mailbox
from .parse_worker import ParseWorker
from .poll import Poller, PollReport
from .registry import with_registered
from .rules_state import rules_in_force
from .sender import Sender
from .store import Store, open_db, storage_errors

logger = logging.getLogger(__name__)


def open_mailbox(config: Config) -> Mailbox:
    if config.imap is not None:
        from .imap_mailbox import ImapMailbox

        return ImapMailbox(config.imap)
    from .maildir_mailbox import MaildirMailbox

    return MaildirMailbox(config.maildir)


def open_sender(config: Config) -> Sender:
    if config.smtp is not None:
        from .sender import SmtpSender

        return SmtpSender(config.smtp)
    from .sender import FileSender

    return FileSender(config.outbox_dir)


@contextmanager
def poller(config: Config, stop: Callable[[], bool] = lambda: False, mailbox: Mailbox | None = None,
           worker: ParseWorker | None = None):
    """A ready Poller; closes what it opened. With a worker, mail is parsed in its child process."""
    db = open_db(config.database)
    store = Store(db)
    config = with_registered(config, store)  # addresses administrators registered count too
    rules, notice = rules_in_force(config, store)  # reloaded every pass
    own_mailbox = mailbox is None
    mailbox = mailbox or open_mailbox(config)
    try:
        p = Poller(config, store, mailbox, open_sender(config), parse_context(config, rules), rules, stop=stop,
                   parse=worker.parse if worker else parse_message)
        if notice is not None:
            with store.transaction():
                p.queue(notice)
        yield p
    finally:
        if own_mailbox:
            mailbox.close()
        db.close()


def poll_once(config: Config, stop: Callable[[], bool] = lambda: False,
              worker: ParseWorker | None = None) -> PollReport:
    """One pass; each mail is parsed in a child process within `[limits] max_seconds`.

    Raises StorageError when the database cannot be written (locked, disk full)
    and TransientError when the mail server is unavailable: retry later.
    """
    from .health import record_pass
    from .store import utcnow

    own = nullcontext(worker) if worker else ParseWorker(config.limits.max_seconds)
    try:
        with storage_errors(config.database), own as w, poller(config, stop, worker=w) as p:
            report = p.run_once()
    except StorageError:  # the database cannot be written: nothing to log the pass in (health sees it go stale)
        raise
    except MailbotError as e:  # the server away or the login refused (transient), or the configuration
        record_pass(config, utcnow(), error=str(e) or type(e).__name__)
        tell_about_the_mailbox(config)
        raise
    record_pass(config, utcnow(), report=report)
    tell_about_the_mailbox(config)
    return report


def tell_about_the_mailbox(config: Config) -> None:
    """Send the administrators' notice that the mailbox cannot be read (or is read again), if one is due."""
    from .incidents import due_notices
    from .store import utcnow

    try:
        with storage_errors(config.database):
            db = open_db(config.database)
            try:
                notices = due_notices(config, Store(db), utcnow())
            finally:
                db.close()
        if not notices:
            return
        with storage_errors(config.database), poller(config) as p:
            with p.store.transaction():
                for notice in notices:
                    p.queue(notice)
            p.flush_outbox()
    except MailbotError as e:  # the database or the SMTP server away too: the next pass tries again
        logger.warning("could not send the notice about the mailbox: %s", e)
