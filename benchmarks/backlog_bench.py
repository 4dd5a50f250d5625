"""Backlog throughput: `mailbot poll` on N waiting .docx reports beside a bare imapclient + python-docx loop.

    .venv/bin/python benchmarks/backlog_bench.py [--count 1000]

N distinct submissions (15 municipalities × N/15 months, each from its own
address at the municipality's registered domain, the Dalarna template as a
.docx attachment with the seven questions and their ratings) are appended
to two identical Dovecot mailboxes.

- mailbot: `mailbot --config CONFIG poll` as a subprocess (a connection-only
  config, so the embedded default otherwise) on the first mailbox, rerun until
  the INBOX is empty. Timed from the start of the process to the INBOX being
  empty (every mail stored, answered in the outbox and moved), to the last
  receipt delivered to the in-process SMTP server, and to the process exiting.
  The whole job is the last of these: that is the figure the goal is about.
  Every mail has a sender address of its own, so the per-sender daily limit
  on automatic answers never skips a receipt.
- bare: on the second mailbox, one imapclient connection: select, search,
  FETCH BODY.PEEK[] of each message, `email` parse, python-docx
  `Document(BytesIO(data))` and the text of every paragraph and table cell.
  No storing, moving or answering.

Goal (issues 6 and 12): mailbot's whole job (receipts delivered, process
exited) ≥ 0.66 × the bare loop's messages per second, with every mail stored
once, filed, and its receipt delivered once (checked and printed).
The figures are wall-clock on a shared machine: expect noise.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser

import docx  # noqa: E402 - after _servers, which puts the repository on sys.path
from _servers import BenchServers, ReportMail, append_mails, inbox_count, mailbot_argv, mailbot_env, report_mail

from mailbot.store import open_db  # noqa: E402
from tests.dovecot import Account  # noqa: E402

GOAL_RATIO = 0.66
CHECK_EVERY = 0.25  # seconds between looks at the INBOX while mailbot works
MAX_RUNS = 5
LOG_TIME = "%Y-%m-%d %H:%M:%S,%f"


@dataclass
class BareResult:
    seconds: float
    fetch_seconds: float
    parse_seconds: float
    characters: int


@dataclass
class MailbotResult:
    runs: int
    to_empty: float  # process start -> INBOX empty
    to_exit: float  # process start -> last poll process exited
    to_receipts: float  # process start -> the SMTP server holds a receipt for every mail
    phases: dict[str, float]  # from the first run's log timestamps


def bare_loop(account: Account) -> BareResult:
    """What any IMAP + python-docx script would do, and nothing more."""
    start = time.perf_counter()
    fetch_seconds = parse_seconds = 0.0
    characters = 0
    client = account.client()
    try:
        client.select_folder("INBOX", readonly=True)
        for uid in client.search(["ALL"]):
            t0 = time.perf_counter()
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            t1 = time.perf_counter()
            characters += len(docx_text(raw))
            fetch_seconds += t1 - t0
            parse_seconds += time.perf_counter() - t1
    finally:
        client.logout()
    return BareResult(time.perf_counter() - start, fetch_seconds, parse_seconds, characters)


def docx_text(raw: bytes) -> str:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    texts = []
    for part in message.iter_attachments():
        if (part.get_filename() or "").lower().endswith(".docx"):
            document = docx.Document(io.BytesIO(part.get_content()))
            texts += [p.text for p in document.paragraphs]
            for table in document.tables:
                for row in table.rows:
                    texts += [cell.text for cell in row.cells]
    return "\n".join(texts)


def receipts_delivered(servers: BenchServers) -> int:
    return sum(1 for m in list(servers.smtp.messages) if m.message["X-Mailbot-Kind"] == "receipt")


def run_mailbot(servers: BenchServers, account: Account, count: int, profile: str | None = None) -> MailbotResult:
    # A synthetic backlog of 1,000 distinct senders: the hourly cap on automatic answers (a safety
    # valve against floods, 100 by default) is lifted so that every receipt is part of the job.
    config = servers.write_config(account, "mailbot", "[limits]\nauto_answers_per_hour = 1000000\n")
    argv = mailbot_argv(config, "poll")
    if profile:  # the first run under cProfile (the parse worker's child is not profiled)
        argv = [argv[0], "-m", "cProfile", "-o", profile, *argv[1:]]
    log_path = config.parent / "poll.log"
    start = time.perf_counter()
    started_wall = datetime.now()
    to_empty = to_receipts = None
    runs = 0
    while runs < MAX_RUNS:
        runs += 1
        with open(log_path, "a") as log:
            process = subprocess.Popen(argv, env=mailbot_env(account),
                                       stdout=log, stderr=subprocess.STDOUT, cwd=config.parent)
            while process.poll() is None:
                time.sleep(CHECK_EVERY)
                if to_empty is None and inbox_count(account) == 0:
                    to_empty = time.perf_counter() - start
                if to_receipts is None and receipts_delivered(servers) >= count:
                    to_receipts = time.perf_counter() - start
        if process.returncode != 0:
            print(f"  mailbot poll exited with {process.returncode}; see the log below")
        if inbox_count(account) == 0:
            break
    if to_empty is None:
        to_empty = time.perf_counter() - start
    to_exit = time.perf_counter() - start
    if to_receipts is None:  # the last receipt went in the last CHECK_EVERY before the exit
        to_receipts = to_exit
    if inbox_count(account) != 0:
        print(log_path.read_text()[-3000:])
        raise SystemExit(f"the INBOX is not empty after {runs} poll runs")
    return MailbotResult(runs, to_empty, to_exit, to_receipts, log_phases(log_path.read_text(), started_wall))


def log_phases(text: str, started: datetime) -> dict[str, float]:
    """Seconds per phase of the first poll run, from its log timestamps (millisecond resolution)."""
    connected = first_uid = last_uid = last_sent = None
    for line in text.splitlines():
        try:
            when = datetime.strptime(line[:23], LOG_TIME)
        except ValueError:
            continue
        if "connected to IMAP" in line and connected is None:
            connected = when
        elif " uid " in line and ": report " in line:
            first_uid = first_uid or when
            last_uid = when
        elif "outbox" in line and ": sent " in line:
            last_sent = when
    if None in (connected, first_uid, last_uid):
        return {}
    phases = {"start-up (imports, config, db, rules, login)": (connected - started).total_seconds(),
              "mails (fetch, parse, store, move)": (last_uid - connected).total_seconds()}
    if last_sent is not None:
        phases["sending receipts"] = (last_sent - last_uid).total_seconds()
    return phases


def check_results(servers: BenchServers, account: Account, mails: list[ReportMail]) -> list[str]:
    db = open_db(servers.root / "mailbot" / "mailbot.db")
    try:
        stored = db.execute("select count(*) from messages").fetchone()[0]
        counted = db.execute("select count(*) from submissions").fetchone()[0]
        review = db.execute("select count(*) from messages where target_folder = 'review'").fetchone()[0]
    finally:
        db.close()
    captured = [m for m in servers.smtp.messages if m.message["X-Mailbot-Kind"] == "receipt"]
    receipts = len(captured)
    distinct = len({m.message["Message-ID"] for m in captured})
    answered = {r for m in captured for r in m.recipients} & {m.sender for m in mails}
    processed = inbox_count(account, "Behandlade")
    summary = (f"stored {stored}, counted {counted}, for review {review}, in Behandlade {processed}, "
               f"receipts captured {receipts} ({distinct} distinct Message-IDs, {len(answered)} senders answered; "
               f"of {len(mails)} mails)")
    lines = [summary]
    if not stored == counted == processed == receipts == distinct == len(answered) == len(mails):
        lines.append("WARNING: not every mail was counted, filed and answered once; the figures compare unequal work")
    else:
        lines.append("sent once and nothing lost: every mail stored, filed and answered exactly once")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="report mails in the backlog (default 1000)")
    parser.add_argument("--profile", metavar="FILE", help="run the poll under cProfile, stats to FILE")
    args = parser.parse_args()

    t0 = time.perf_counter()
    mails = [report_mail(n) for n in range(args.count)]
    size = sum(len(m.raw) for m in mails) / len(mails)
    print(f"built {len(mails)} docx report mails ({size / 1024:.0f} KiB each) in {time.perf_counter() - t0:.1f} s")

    with BenchServers() as servers:
        bare_account, mailbot_account = servers.dovecot.add_user(), servers.dovecot.add_user()
        for account in (bare_account, mailbot_account):
            seconds = append_mails(account, mails)
            print(f"appended {len(mails)} to {account.user} in {seconds:.1f} s")

        bare = bare_loop(bare_account)
        result = run_mailbot(servers, mailbot_account, args.count, args.profile)
        checks = check_results(servers, mailbot_account, mails)

    n = args.count
    bare_rate = n / bare.seconds
    whole = max(result.to_empty, result.to_receipts, result.to_exit)
    print()
    print(f"{'':<48} {'seconds':>8} {'msg/s':>8} {'ratio':>6}")
    print(f"{'bare imapclient + python-docx':<48} {bare.seconds:>8.2f} {bare_rate:>8.1f} {1:>6.2f}")
    print(f"{'  of which FETCH':<48} {bare.fetch_seconds:>8.2f}")
    print(f"{'  of which email + python-docx':<48} {bare.parse_seconds:>8.2f}")
    for label, seconds in (("mailbot poll: start -> INBOX empty", result.to_empty),
                           ("mailbot poll: start -> every receipt delivered", result.to_receipts),
                           ("mailbot poll: start -> exit (the whole job)", result.to_exit)):
        print(f"{label:<48} {seconds:>8.2f} {n / seconds:>8.1f} {n / seconds / bare_rate:>6.2f}")
    if result.phases:
        print("mailbot phases (from the first run's log timestamps):")
    for name, seconds in result.phases.items():
        print(f"  {name:<46} {seconds:>8.2f}")
    print(f"poll runs needed: {result.runs} (INBOX and SMTP capture checked every {CHECK_EVERY} s, "
          f"so 'empty' and 'delivered' are ±{CHECK_EVERY} s)")
    for line in checks:
        print(line)
    ratio = n / whole / bare_rate
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    print(f"goal: mailbot/bare ≥ {GOAL_RATIO} (the whole job, receipts delivered): {verdict} ({ratio:.2f})")


if __name__ == "__main__":
    main()
