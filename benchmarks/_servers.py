"""Shared by the server benchmarks: Dovecot + SMTP in a temporary directory, report mails, the CLI.

    with BenchServers() as servers:
        account = servers.dovecot.add_user()
        config = servers.write_config(account, "run1")
        append_mails(account, [report_mail(n) for n in range(100)])
        subprocess.run(mailbot_argv(config, "poll"), env=mailbot_env(account))

Not a benchmark itself; the scripts beside it import it. It also puts the
repository root on sys.path, so `tests` and `mailbot` import from the checkout.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mailbot.config import load_config  # noqa: E402
from parsers.vocabulary import MONTH_NAMES  # noqa: E402
from tests.docx_factory import template_docx  # noqa: E402
from tests.dovecot import PASSWORD_ENV, Account, DovecotServer  # noqa: E402
from tests.mailbuilder import DOCX_TYPE, build_mail, template_text  # noqa: E402
from tests.server_config import write_server_config  # noqa: E402
from tests.smtp_server import SmtpTestServer  # noqa: E402

CET = timezone(timedelta(hours=1))
LATEST_PERIOD = (2026, 10)  # the newest month a generated report covers
OLDEST_YEAR = 2001  # the period parser reads years 20xx; older months wrap around to the newest again
APPEND_BATCH = 200  # messages per MULTIAPPEND command


class BenchServers:
    """A Dovecot and an in-process SMTP server, their state in one temporary directory."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
        os.chmod(self.root, 0o755)  # as root, Dovecot's mail processes run as `dovecot` and must get through
        (self.root / "dovecot").mkdir()
        self.dovecot = DovecotServer(self.root / "dovecot")
        self.smtp = SmtpTestServer()

    def __enter__(self) -> Self:
        try:
            self.dovecot.start()
            self.smtp.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.smtp.stop()
        self.dovecot.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def write_config(self, account: Account, name: str, extra: str = "") -> Path:
        """A connection-only config.toml (and its database) in a directory of its own."""
        directory = self.root / name
        directory.mkdir()
        return write_server_config(directory, account.imap_config(), self.smtp.port, extra)


def mailbot_argv(config: Path, *args: str) -> list[str]:
    """The mailbot CLI, run by this interpreter (the venv's), as `mailbot --config CONFIG ...`."""
    return [sys.executable, "-m", "mailbot", "--config", str(config), *args]


def mailbot_env(account: Account) -> dict[str, str]:
    return {**os.environ, PASSWORD_ENV: account.password, "MAILBOT_SMTP_PASSWORD": ""}


# -- mails -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportMail:
    raw: bytes
    internaldate: datetime
    sender: str  # the bare address
    municipality: str
    period: str  # YYYY-MM


def municipalities() -> list[tuple[str, str]]:
    """(name, first domain) of each municipality in the embedded default config."""
    return [(m.name, m.domains[0]) for m in load_config().directory.municipalities]


def report_mail(n: int, docx: bool = True, rng: random.Random | None = None) -> ReportMail:
    """Submission number `n`: municipality n % 15, one month further back every 15 mails.

    Each mail has a sender address of its own (so the receipt limit per sender
    never holds a receipt back) at its municipality's domain, a subject naming
    the month, and the Dalarna template as a .docx attachment (ratings as
    checkboxes in tables) or, with docx=False, as plain text in the body.
    The INTERNALDATE is the 3rd of the following month: on time.
    """
    rng = rng or random.Random(n)
    places = municipalities()
    name, domain = places[n % len(places)]
    year, month = _months_back(n // len(places))
    period = f"{year:04d}-{month:02d}"
    label = f"{MONTH_NAMES[month - 1]} {year}"
    sender = f"handlaggare{n}@{domain}"
    scores = tuple(rng.randint(1, 3) for _ in range(6))
    if docx:
        document = template_docx(name, scores=scores, month=MONTH_NAMES[month - 1])
        attachment = (f"Lägesbild {label}.docx", document, DOCX_TYPE)
        raw = build_mail(sender=f"Handläggare {n} <{sender}>", subject=f"Lägesbild {label} {name}",
                         body="Hej!\nHär kommer vår lägesbild.\nMvh\n", attachments=[attachment])
    else:
        text = template_text(scores=scores).replace("kommun: Mora", f"kommun: {name}")
        raw = build_mail(sender=f"Handläggare {n} <{sender}>", subject=f"Lägesbild {label} {name}", body=text)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    received = datetime(next_year, next_month, 3, 9, 0, tzinfo=CET)
    return ReportMail(raw, received, sender, name, period)


def _months_back(steps: int) -> tuple[int, int]:
    year, month = LATEST_PERIOD
    span = (year - OLDEST_YEAR) * 12 + month  # months from OLDEST_YEAR-01 to LATEST_PERIOD
    index = year * 12 + (month - 1) - steps % span
    return index // 12, index % 12 + 1


def append_mails(account: Account, mails: list[ReportMail], folder: str = "INBOX") -> float:
    """Append with MULTIAPPEND in batches; the seconds it took."""
    start = time.perf_counter()
    before = inbox_count(account, folder)
    client = account.client()
    try:
        for first in range(0, len(mails), APPEND_BATCH):
            batch = mails[first:first + APPEND_BATCH]
            client.multiappend(folder, [{"msg": m.raw, "date": m.internaldate} for m in batch])
    finally:
        client.logout()
    seconds = time.perf_counter() - start
    if (after := inbox_count(account, folder)) != before + len(mails):
        raise RuntimeError(f"appended {len(mails)} to {folder} but it holds {after} (was {before})")
    return seconds


def inbox_count(account: Account, folder: str = "INBOX") -> int:
    """Messages in `folder` (STATUS, so no selection is disturbed); 0 if the folder is missing."""
    client = account.client()
    try:
        if not client.folder_exists(folder):
            return 0
        return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])
    finally:
        client.logout()


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]
