"""`mailbot run`: the poll on a schedule, IDLE for speed, a clean stop on SIGTERM.

Signal handlers only set a flag. The poll job checks the flag between
messages, so the message in hand is finished (or not started) when the
daemon stops; APScheduler's shutdown waits for the running job.

A pass that fails on a transient error (the mail server away, the database
locked or full) is retried after RETRY_SECONDS, doubling up to the poll
interval. Mail that IDLE reports while a pass runs gets another pass at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from .app import open_mailbox, poll_once
from .config import Config
from .config_state import LiveConfig
from .deadlines import SWEDEN
from .errors import ConfigError, TransientError
from .parse_worker import ParseWorker
from .store import storage_errors
from .systemd_notify import notify

logger = logging.getLogger(__name__)

IDLE_SLICE_SECONDS = 5.0  # how long one IDLE wait lasts before the stop flag is checked
RETRY_SECONDS = 2.0  # the first retry after a failed poll; it doubles up to the poll interval
COUNTY_RETRY_MINUTES = 10  # after a county job that met a locked or full database


class Daemon:
    def __init__(self, config: Config):
        self.config = config
        self.live = LiveConfig(config)  # re-read before every pass: edits apply without a restart
        self.stopping = threading.Event()
        self._retry_delay = RETRY_SECONDS
        self._poll_state = threading.Lock()  # guards the two flags below
        self._polling = False  # a pass is running
        self._poll_again = False  # mail arrived during it
        self.worker = ParseWorker(config.limits.max_seconds)  # kept across passes: no start-up per poll
        self.scheduler = BackgroundScheduler(
            timezone=SWEDEN, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600})

    def request_stop(self, signum=None, _frame=None) -> None:
        logger.info("signal %s: stopping after the message in hand", signum)
        self.stopping.set()

    def poll_job(self) -> None:
        """One pass; at once another when IDLE reported mail during it (the pass had listed the inbox)."""
        with self._poll_state:
            self._polling, self._poll_again = True, False
        try:
            while self._poll_pass() and self._again():
                pass
        finally:
            with self._poll_state:
                self._polling = False

    def _again(self) -> bool:
        with self._poll_state:  # one step with trigger_poll's check: no arrival falls between
            again = self._poll_again and not self.stopping.is_set()
            self._polling, self._poll_again = again, False
            return again

    def _refresh_config(self) -> None:
        """Take up an edited configuration file (or keep the last valid one and tell the administrators)."""
        config, notice = self.live.current()
        if notice is not None:
            from .app import poller

            with storage_errors(config.database), poller(config) as p, p.store.transaction():
                p.queue(notice)  # sent by this pass's flush; once per distinct mistake
        if config.poll_minutes != self.config.poll_minutes and self.scheduler.get_job("poll") is not None:
            self.scheduler.reschedule_job("poll", trigger="interval", minutes=config.poll_minutes)
        if config.reminders.job_hour != self.config.reminders.job_hour and self.scheduler.get_job("county"):
            self.scheduler.reschedule_job("county", trigger="cron", hour=config.reminders.job_hour, minute=0)
        self.config = config

    def _poll_pass(self) -> bool:
        """One pass; False when it failed (a transient failure is retried soon, with backoff)."""
        try:
            self._refresh_config()
            report = poll_once(self.config, stop=self.stopping.is_set, worker=self.worker)
        except TransientError as e:  # the mail server went away, the database is locked or full
            delay = self._retry_delay
            self._retry_delay = min(delay * 2, self.config.poll_minutes * 60)
            logger.warning("poll failed, retrying in %.0f s: %s", delay, e)
            self._poll_in(delay)
            return False
        except ConfigError:
            logger.exception("configuration error during poll; stopping")
            self.stopping.set()
            return False
        except Exception:  # noqa: BLE001 - the per-job boundary: the daemon never dies of one poll
            logger.exception("poll failed unexpectedly; retrying on the next tick")
            return False
        self._retry_delay = RETRY_SECONDS
        logger.info("poll: %s", report)  # one line per pass, with its counts, even when nothing came
        return True

    def county_job(self) -> None:
        from .county import run_county_jobs

        try:
            with storage_errors(self.config.database):
                run_county_jobs(self.config, datetime.now(SWEDEN).date())
        except TransientError as e:  # the database locked or full: reminders should not wait a day
            logger.warning("county job failed, retrying in %d min: %s", COUNTY_RETRY_MINUTES, e)
            if not self.stopping.is_set() and self.scheduler.running:
                self.scheduler.add_job(self.county_job, "date", id="county-retry", replace_existing=True,
                                       run_date=datetime.now(SWEDEN) + timedelta(minutes=COUNTY_RETRY_MINUTES))
        except Exception:  # noqa: BLE001 - the per-job boundary: tomorrow is another run
            logger.exception("county job failed; it runs again tomorrow (or at the next start)")

    def retention_job(self) -> None:
        """The retention period, daily: `[retention] days` (0: never)."""
        from .app import open_mailbox
        from .purge import purge
        from .store import Store, open_db, utcnow

        if not self.config.retention_days:
            return
        try:
            with storage_errors(self.config.database):
                db = open_db(self.config.database)
                mailbox = open_mailbox(self.config) if self.config.retention_mailbox else None
                try:
                    purge(Store(db), self.config.retention_days, utcnow(), self.config, mailbox)
                finally:
                    db.close()
                    if mailbox is not None:
                        mailbox.close()
        except Exception:  # noqa: BLE001 - the per-job boundary: tomorrow is another run
            logger.exception("retention purge failed; it runs again tomorrow")

    def trigger_poll(self) -> None:
        """Poll now: new mail (IDLE). During a pass, the pass runs once more instead."""
        with self._poll_state:
            if self._polling:
                self._poll_again = True
                return
        self._poll_in(0)

    def _poll_in(self, seconds: float) -> None:
        """Bring the next poll forward; the interval then counts from that run."""
        if self.stopping.is_set() or self.scheduler.get_job("poll") is None:
            return  # stopping, or poll_job called outside run()
        self.scheduler.modify_job("poll", next_run_time=datetime.now(SWEDEN) + timedelta(seconds=seconds))

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        self.scheduler.add_job(self.poll_job, "interval", minutes=self.config.poll_minutes, id="poll",
                               next_run_time=datetime.now(SWEDEN))
        self.scheduler.add_job(self.county_job, "cron", hour=self.config.reminders.job_hour, minute=0, id="county")
        self.scheduler.add_job(self.county_job, "date", run_date=datetime.now(SWEDEN), id="county-at-start")
        self.scheduler.add_job(self.retention_job, "cron", hour=3, minute=30, id="retention")
        close_web = None
        if self.config.web_listen:  # before the scheduler: a port in use stops the start cleanly
            from .web import background_server

            close_web = background_server(self.config)
            logger.info("web desk on http://%s/", self.config.web_listen)
        self.scheduler.start()
        logger.info("mailbot running: polling every %d min (%s)", self.config.poll_minutes, self.config.source)
        notify("READY=1")
        try:
            self._wait_loop()
        finally:
            notify("STOPPING=1")
            if close_web is not None:
                close_web()
            self.scheduler.shutdown(wait=True)
            self.worker.close()
            logger.info("mailbot stopped")

    def _wait_alive(self, seconds: float) -> None:
        """Wait (until stopped), telling systemd's watchdog every IDLE_SLICE_SECONDS that the loop lives."""
        end = time.monotonic() + seconds
        while not self.stopping.is_set() and (left := end - time.monotonic()) > 0:
            self.stopping.wait(min(left, IDLE_SLICE_SECONDS))
            notify("WATCHDOG=1")

    def _wait_loop(self) -> None:
        """Wait in IMAP IDLE (when there is a server) and poll at once when mail arrives."""
        watched = self.config.imap
        watcher = open_mailbox(self.config) if watched else None
        backoff = 1.0
        try:
            while not self.stopping.is_set():
                notify("WATCHDOG=1")  # the loop is alive (each turn lasts at most IDLE_SLICE_SECONDS or a backoff)
                if self.config.imap != watched:  # the configuration changed the mailbox: watch the new one
                    if watcher is not None:
                        watcher.close()
                    watched = self.config.imap
                    watcher = open_mailbox(self.config) if watched else None
                if watcher is None:
                    self.stopping.wait(1.0)
                    continue
                try:
                    if watcher.wait_for_new(IDLE_SLICE_SECONDS):
                        logger.debug("IDLE: new mail")
                        self.trigger_poll()
                    backoff = 1.0
                except TransientError as e:
                    logger.warning("IDLE failed (%s); retrying in %.0f s", e, backoff)
                    self._wait_alive(backoff)
                    backoff = min(backoff * 2, 300.0)
        finally:
            if watcher is not None:
                watcher.close()
