"""Storage faults under `mailbot poll`: the database locked by another process, the disk full.

Either way the pass stops with one clear line naming the database, exits 75
(try again later), leaves the mail in INBOX and the database intact; once the
cause is gone the next poll stores the mail and sends its receipt exactly once.
The daemon's poll job logs a warning and stays up; a lock released within the
busy timeout only delays the poll.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from imapclient import IMAPClient

from mailbot.config import load_config
from mailbot.daemon import Daemon
from mailbot.store import BUSY_TIMEOUT_SECONDS
from tests.db_lock import locked
from tests.harness import require, wait_until
from tests.mailbuilder import build_mail, template_text
from tests.server_config import mailbot_argv, mailbot_env, write_server_config
from tests.server_config import run_mailbot as mailbot

TRY_LATER = 75  # EX_TEMPFAIL
MONTHS = ["augusti", "september", "oktober"]

def inbox_count(client: IMAPClient) -> int:
    client.select_folder("INBOX", readonly=True)
    return len(client.search(["NOT", "DELETED"]))


def integrity(db_path: Path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def stored_messages(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select count(*) from messages").fetchone()[0]
    finally:
        conn.close()


def receipts(smtp_server) -> list[str]:
    return [m.message["Message-ID"] for m in smtp_server.messages if m.message["X-Mailbot-Kind"] == "receipt"]


def test_database_locked_by_another_process(tmp_path, imap_config, smtp_server, imap_client, caplog):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    db_path = tmp_path / "mailbot.db"
    assert mailbot(config, "poll").returncode == 0  # the database exists, as in steady operation
    for month in MONTHS:
        imap_client.append("INBOX", build_mail(subject=f"Lägesbild {month} Mora", body=template_text()))

    with locked(db_path) as holder:
        started = time.monotonic()
        result = mailbot(config, "poll")
        elapsed = time.monotonic() - started
        assert holder.poll() is None  # the lock was held throughout
        assert result.returncode == TRY_LATER, result.stderr
        assert "Traceback" not in result.stderr
        [line] = [x for x in result.stderr.splitlines() if "database" in x]
        assert str(db_path) in line and "locked by another process" in line
        # It waited the busy timeout once, then stopped the pass: not one timeout per waiting mail.
        assert BUSY_TIMEOUT_SECONDS <= elapsed < 2 * BUSY_TIMEOUT_SECONDS, f"the poll took {elapsed:.1f} s"
        assert inbox_count(imap_client) == len(MONTHS)

        # The daemon's poll job meets the same lock: one warning, and it keeps running.
        daemon = Daemon(load_config(config))
        try:
            with caplog.at_level(logging.WARNING, logger="mailbot"):
                daemon.poll_job()
        finally:
            daemon.worker.close()
        assert not daemon.stopping.is_set()
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.name == "mailbot.daemon" and warning.levelno == logging.WARNING
        assert "poll failed, retrying in" in warning.getMessage() and warning.exc_info is None
        assert str(db_path) in warning.getMessage() and "locked by another process" in warning.getMessage()

        # The daily county job too: one warning, and a retry in minutes rather than tomorrow.
        caplog.clear()
        daemon = Daemon(load_config(config))
        daemon.scheduler.start()
        try:
            with caplog.at_level(logging.WARNING, logger="mailbot"):
                daemon.county_job()
            assert daemon.scheduler.get_job("county-retry") is not None
        finally:
            daemon.scheduler.shutdown(wait=False)
            daemon.worker.close()
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert "county job failed, retrying in 10 min" in warning.getMessage() and warning.exc_info is None
        assert "locked by another process" in warning.getMessage()

    assert integrity(db_path) == "ok"
    assert stored_messages(db_path) == 0 and inbox_count(imap_client) == len(MONTHS) and receipts(smtp_server) == []

    assert mailbot(config, "poll").returncode == 0
    assert inbox_count(imap_client) == 0 and stored_messages(db_path) == len(MONTHS)
    assert mailbot(config, "poll").returncode == 0  # nothing left: nothing sent again
    sent = receipts(smtp_server)
    assert len(sent) == len(MONTHS) == len(set(sent))
    assert {m.recipients[0] for m in smtp_server.messages} == {"anna.berg@mora.se"}


def test_a_short_lock_is_waited_out(tmp_path, dovecot, imap_config, smtp_server, imap_client):
    """Another writer that finishes within the busy timeout only delays the poll."""
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    db_path = tmp_path / "mailbot.db"
    assert mailbot(config, "poll").returncode == 0
    imap_client.append("INBOX", build_mail(body=template_text()))
    with locked(db_path):
        process = subprocess.Popen(mailbot_argv(config, "poll"), env=mailbot_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            # fetched (the server says so); parsing takes milliseconds, then it waits for the lock
            wait_until(lambda: dovecot.finished(imap_config.user, "UID FETCH") >= 1, "the mail fetched",
                       alive=lambda: process.poll() is None)
            time.sleep(0.5)  # the scenario, not a wait: the other writer keeps its lock half a second longer
            assert process.poll() is None
        except BaseException:
            process.kill()
            raise
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert inbox_count(imap_client) == 0 and stored_messages(db_path) == 1
    assert len(smtp_server.wait_for(1)) == 1


# -- disk full ---------------------------------------------------------------------


@contextmanager
def small_filesystem(size_mb: int) -> Iterator[Path]:
    """A fresh file system of `size_mb` (tmpfs, else an ext4 loop image); skips where mounting is not allowed
    (not root), and fails there under CI=true."""
    mount_point = Path(tempfile.mkdtemp(prefix="mailbot-small-fs-"))
    image = None
    reasons = []
    if os.geteuid() != 0:
        reasons.append("not root")
    else:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", str(mount_point)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reasons.append(f"mount -t tmpfs: {done.stderr.strip()}")
            image = _loop_image(mount_point, size_mb, reasons)
    if not os.path.ismount(mount_point):
        os.rmdir(mount_point)
        if image is not None:
            image.unlink(missing_ok=True)
        require(False, "cannot mount a small file system here (" + "; ".join(reasons) + ")")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        shutil.rmtree(mount_point, ignore_errors=True)
        if image is not None:
            image.unlink(missing_ok=True)


def _loop_image(mount_point: Path, size_mb: int, reasons: list[str]) -> Path | None:
    """An ext4 image mounted through a loop device, where tmpfs is refused but loop devices work."""
    if shutil.which("mkfs.ext4") is None:
        reasons.append("no mkfs.ext4 for a loop image")
        return None
    image = Path(tempfile.mkstemp(prefix="mailbot-small-fs-", suffix=".img")[1])
    with open(image, "r+b") as f:
        f.truncate(size_mb * 1024 * 1024)
    for argv in (["mkfs.ext4", "-q", "-F", str(image)], ["mount", "-o", "loop", str(image), str(mount_point)]):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reasons.append(f"{argv[0]}: {done.stderr.strip()}")
            break
    return image


def fill(directory: Path, leave_bytes: int) -> Path:
    """A filler file taking every free block of the file system, then giving back `leave_bytes`."""
    filler = directory / "filler"
    chunk = b"\0" * (1024 * 1024)
    with open(filler, "wb", buffering=0) as f:
        for size in (1024 * 1024, 4096, 1):
            try:
                while True:
                    f.write(chunk[:size])
            except OSError as e:
                assert e.errno == 28, e  # ENOSPC
        f.truncate(max(0, f.tell() - leave_bytes))
    return filler


@pytest.mark.parametrize("leave_kib", [0, 96], ids=["no-space-at-all", "room-to-open-not-to-store"])
def test_disk_full(tmp_path, imap_config, smtp_server, imap_client, leave_kib):
    with small_filesystem(8) as fs:
        config = write_server_config(fs, imap_config, smtp_server.port)
        db_path = fs / "mailbot.db"
        assert mailbot(config, "poll").returncode == 0
        # A report with a 400 KB picture: with 96 KiB free the database opens but the mail cannot be stored.
        picture = b"\x89PNG\r\n\x1a\n" + os.urandom(400_000)
        imap_client.append("INBOX", build_mail(body=template_text(), attachments=[("bild.png", picture, ("image", "png"))]))
        filler = fill(fs, leave_kib * 1024)

        result = mailbot(config, "poll")
        assert result.returncode == TRY_LATER, result.stderr
        assert "Traceback" not in result.stderr
        [line] = [x for x in result.stderr.splitlines() if "database" in x]
        assert str(db_path) in line and "disk is full" in line
        assert inbox_count(imap_client) == 1 and receipts(smtp_server) == []

        filler.unlink()
        assert integrity(db_path) == "ok"
        assert stored_messages(db_path) == 0

        result = mailbot(config, "poll")
        assert result.returncode == 0, result.stderr
        assert inbox_count(imap_client) == 0 and stored_messages(db_path) == 1
        assert mailbot(config, "poll").returncode == 0
        assert len(receipts(smtp_server)) == 1
        assert smtp_server.messages[0].recipients == ["anna.berg@mora.se"]
