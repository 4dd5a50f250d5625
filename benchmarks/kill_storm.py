"""Kill storm: SIGKILL `mailbot poll` at random points many times, restart until done, then check.

    .venv/bin/python benchmarks/kill_storm.py [--kills 100] [--mails 60] [--seed 20261123]

A longer tests/test_faults_kill.py. `--mails` distinct .docx report
submissions (each from its own address, so no receipt limit applies) go to
a Dovecot INBOX in step with the kills (mail k of M once kill k×K/M is
due, and one more whenever a run finished everything), so that no run
starts on an empty mailbox (`--all-at-once` appends them all first, as the
test does). Each `mailbot poll` runs in a
session of its own and gets SIGKILL (the main process only, as the OOM
killer would) a random 0.3-1.6 s after its start, as the test does (with
100 kills over 60 mails most kills must land before a mail is finished:
in the imports, the IMAP login or the parse worker's start-up, about 1 s
after the login). `--after-login S` kills a random 0-S s after the IMAP
login instead, to aim at fetching, storing, moving and sending (the work
then runs out after fewer kills). This repeats until `--kills` kills have landed
(or the work ran out: every mail processed and sent, which is reported);
then it runs undisturbed until the INBOX is empty and the outbox all sent.

Checked afterwards:
- every mail stored exactly once in `messages` (not counting rows marked
  duplicate_of), one submission and seven answers each;
- every receipt sent once: the Message-IDs captured by the SMTP server are
  exactly the outbox rows' message ids; a receipt captured twice under the
  same Message-ID (a kill between the server's 250 and the "sent" mark) is an
  at-least-once resend, allowed up to `--max-resends` like the test allows;
- every mail in Behandlade, none left in the INBOX or in Att granska;
- no parse worker or forkserver outlives its killed poll for long.
Prints the counts and PASS/FAIL.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from _servers import BenchServers, ReportMail, append_mails, inbox_count, mailbot_argv, mailbot_env, report_mail

from mailbot.store import open_db  # noqa: E402 - after _servers, which puts the repository on sys.path
from tests.dovecot import Account  # noqa: E402

MAX_RUNS_AFTER_KILLS = 20
CONNECT_TIMEOUT = 30.0
RUN_TIMEOUT = 300.0
ORPHAN_GRACE_SECONDS = 2.0


def phase_at_kill(log_text: str) -> str:
    """Where the killed run had got to, judged by its last log lines."""
    if "mailbot.outbox: outbox " in log_text:
        return "sending"
    if "mailbot.poll: uid " in log_text:
        return "mails"
    if "connected to IMAP" in log_text:
        return "logged in (parse worker starting, first mail)"
    return "start-up"


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` is still running (zombies waiting for init to reap them do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            return True
    return False


def wait_until_connected(log_path: Path, process: subprocess.Popen) -> None:
    """Until the poll has logged in to IMAP (or exited)."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if "connected to IMAP" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.01)


def undeleted_in_inbox(account: Account) -> int:
    client = account.client()
    try:
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["UNDELETED"]))
    finally:
        client.logout()


def outbox_done(db_path: Path) -> bool:
    if not db_path.exists():
        return False
    db = open_db(db_path)
    try:
        return all(row["status"] == "sent" for row in db["outbox"].rows)
    finally:
        db.close()


class Storm:
    def __init__(self, servers: BenchServers, account: Account, mails: list[ReportMail], args: argparse.Namespace):
        self.servers, self.account, self.mails, self.args = servers, account, mails, args
        self.config = servers.write_config(account, "storm")
        self.db_path = self.config.parent / "mailbot.db"
        self.rng = random.Random(args.seed)
        self.appended = 0
        self.kills = 0
        self.runs = 0
        self.phases: Counter[str] = Counter()
        self.killed_groups: list[int] = []
        self.lingering: set[int] = set()  # killed runs with a process left when the next run started

    def append_until(self, count: int) -> None:
        wave = self.mails[self.appended:count]
        if wave:
            append_mails(self.account, wave)
            self.appended += len(wave)

    def append_wave(self) -> None:
        """Keep the mails coming in step with the kills: mail k of M is in once kill k*K/M is due."""
        if self.args.all_at_once:
            self.append_until(len(self.mails))
        else:
            self.append_until(math.ceil(len(self.mails) * (self.kills + 1) / self.args.kills))

    def start(self, log_path: Path) -> subprocess.Popen:
        self.runs += 1
        with open(log_path, "w") as log:
            return subprocess.Popen(mailbot_argv(self.config, "poll"), env=mailbot_env(self.account), stdout=log,
                                    stderr=subprocess.STDOUT, cwd=self.config.parent, start_new_session=True)

    def check_lingering(self) -> None:
        alive = [pgid for pgid in self.killed_groups if group_alive(pgid)]
        self.lingering.update(alive)
        self.killed_groups = alive

    def kill_phase(self) -> None:
        log_path = self.config.parent / "run.log"
        while self.kills < self.args.kills:
            self.append_wave()
            self.check_lingering()
            process = self.start(log_path)
            if self.args.after_login is None:
                time.sleep(self.rng.uniform(self.args.min_delay, self.args.max_delay))
            else:
                wait_until_connected(log_path, process)
                time.sleep(self.rng.uniform(0, self.args.after_login))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                self.kills += 1
                self.killed_groups.append(process.pid)  # the session id is the leader's pid
                self.phases[phase_at_kill(log_path.read_text(errors="replace"))] += 1
            elif process.returncode != 0:
                print(f"run {self.runs} exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
            elif self.appended < len(self.mails):
                self.append_until(self.appended + 1)  # the run finished everything: never start an idle one
            elif self.all_done():
                print(f"  work ran out after {self.kills} kills: every mail processed and sent")
                return
            if self.runs % 20 == 0:
                print(f"  run {self.runs}: {self.kills} kills, {self.appended}/{len(self.mails)} mails appended")

    def all_done(self) -> bool:
        return undeleted_in_inbox(self.account) == 0 and outbox_done(self.db_path)

    def finish(self) -> bool:
        """Run undisturbed until everything is appended, processed and sent; True when done."""
        log_path = self.config.parent / "final.log"
        for _ in range(MAX_RUNS_AFTER_KILLS):
            self.append_until(len(self.mails))
            process = self.start(log_path)
            code = process.wait(timeout=RUN_TIMEOUT)
            if code != 0:
                print(f"an undisturbed run exited with {code}:\n{log_path.read_text()[-2000:]}")
            if self.appended == len(self.mails) and self.all_done():
                return True
        return False

    def orphans(self) -> int:
        """Killed runs whose forkserver or parse worker is still alive after a grace period; those are ended."""
        time.sleep(ORPHAN_GRACE_SECONDS)
        alive = [pgid for pgid in self.killed_groups if group_alive(pgid)]
        for pgid in alive:
            try:
                os.killpg(pgid, signal.SIGKILL)  # a group this script started
            except ProcessLookupError:
                pass
        return len(alive)


def verify(storm: Storm) -> list[tuple[str, bool]]:
    """(description, passed) for each check."""
    n = len(storm.mails)
    db = open_db(storm.db_path)
    try:
        stored = db.execute("select count(*) from messages where duplicate_of is null").fetchone()[0]
        duplicate_rows = db.execute("select count(*) from messages where duplicate_of is not null").fetchone()[0]
        distinct_ids = db.execute("select count(distinct message_id) from messages "
                                  "where duplicate_of is null").fetchone()[0]
        submissions = db["submissions"].count
        distinct_submissions = db.execute(
            "select count(distinct municipality || period) from submissions").fetchone()[0]
        answers = db.execute("select count(*) from answers").fetchone()[0]
        outbox = [row for row in db["outbox"].rows if row["kind"] == "receipt"]
        unsent = db.execute("select count(*) from outbox where status != 'sent'").fetchone()[0]
    finally:
        db.close()
    captured = Counter(m.message["Message-ID"] for m in storm.servers.smtp.messages
                       if m.message["X-Mailbot-Kind"] == "receipt")
    outbox_ids = Counter(row["message_id"] for row in outbox)
    resent = sum(count - 1 for count in captured.values())
    processed = inbox_count(storm.account, "Behandlade")
    review = inbox_count(storm.account, "Att granska")
    inbox = undeleted_in_inbox(storm.account)
    return [
        (f"messages stored (not duplicate rows): {stored} of {n}, distinct Message-IDs {distinct_ids}",
         stored == distinct_ids == n),
        (f"rows marked duplicate_of (same mail seen again): {duplicate_rows}", True),
        (f"submissions {submissions}, distinct municipality+period {distinct_submissions}, answers {answers}",
         submissions == distinct_submissions == n and answers == 7 * n),
        (f"receipt rows in the outbox: {len(outbox)}, with distinct Message-IDs: {len(outbox_ids)}",
         len(outbox) == len(outbox_ids) == n),
        (f"receipts captured by SMTP: {sum(captured.values())}, distinct Message-IDs {len(captured)}",
         len(captured) == n),
        ("captured receipt Message-IDs == outbox receipt message ids", set(captured) == set(outbox_ids)),
        (f"receipts resent under the same Message-ID: {resent} (allowed ≤ {storm.args.max_resends})",
         resent <= storm.args.max_resends),
        (f"outbox rows not 'sent': {unsent}", unsent == 0),
        (f"folders: Behandlade {processed}, Att granska {review}, INBOX {inbox}",
         processed == n and review == 0 and inbox == 0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100,
                        help="SIGKILLs that must land on a running poll (default 100)")
    parser.add_argument("--mails", type=int, default=60, help="distinct report submissions (default 60)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--min-delay", type=float, default=0.3, help="earliest kill after the start, s (default 0.3)")
    parser.add_argument("--max-delay", type=float, default=1.6, help="latest kill after the start, s (default 1.6)")
    parser.add_argument("--after-login", type=float, metavar="S",
                        help="instead: kill within S seconds after the IMAP login (e.g. 1.5)")
    parser.add_argument("--max-resends", type=int, default=2, help="receipts allowed twice under one Message-ID")
    parser.add_argument("--all-at-once", action="store_true", help="append every mail before the first run")
    args = parser.parse_args()
    mails = [report_mail(n) for n in range(args.mails)]

    start = time.perf_counter()
    with BenchServers() as servers:
        storm = Storm(servers, servers.dovecot.add_user(), mails, args)
        storm.kill_phase()
        orphans = storm.orphans()
        done = storm.finish()
        checks = verify(storm) if storm.db_path.exists() else []
    seconds = time.perf_counter() - start

    print(f"\n{storm.kills} kills in {storm.runs} poll runs over {len(mails)} mails, {seconds:.0f} s")
    landed = ", ".join(f"{phase} {count}" for phase, count in storm.phases.most_common())
    print(f"where the kills landed (by the killed run's log): {landed}")
    print(f"killed runs with a process still running when the next run started: {len(storm.lingering)}")
    orphan_text = f"killed runs with a forkserver/worker alive {ORPHAN_GRACE_SECONDS:g} s after the storm: {orphans}"
    checks.insert(0, (orphan_text, orphans == 0))
    checks.insert(0, ("finished: INBOX empty and outbox all sent after the kills", done))
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    print("PASS" if all(passed for _, passed in checks) else "FAIL")


if __name__ == "__main__":
    main()
