"""Peak memory of `mailbot poll`: the main process and its parse worker, sampled from /proc.

    .venv/bin/python benchmarks/memory_bench.py [--count 10000] [--attachment-mb 25]

Two cases, each a fresh mailbox and database, `mailbot --config CONFIG poll`
as a subprocess against Dovecot and the in-process SMTP server:

(a) one report mail with a 25 MB attachment (a PDF of zeros, as
    tests/test_hostile.py builds it: refused as too large, with a reason);
(b) `--count` small report mails (the template pasted into the body; distinct
    senders, municipalities and months, later ones resubmissions), appended
    with MULTIAPPEND.

Every 0.2 s (--interval) the process tree is read from /proc: the mailbot process, the
multiprocessing forkserver it starts, and the parse worker(s) forked from
that. Shown per role: VmRSS at 10%, 50% and 100% of the mails processed
(progress = the poll's "uid N:" log lines), the largest while the queued
receipts are sent after the last mail, the last and the largest sample, and
the peak (VmHWM, the kernel's high-water mark, as last seen before the
process exited: whatever happens in the last interval before exit is
missed). getrusage/wait4 ru_maxrss is not used: on Linux a child's maxrss
starts from the parent's RSS at fork (the benchmark holds all the mails), and
the parse worker is the forkserver's child, not the poll process's.

Goal (issue 6): under 200 MB per process, and flat as the backlog grows.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _servers import BenchServers, ReportMail, append_mails, inbox_count, mailbot_argv, mailbot_env, report_mail

from tests.mailbuilder import build_mail  # noqa: E402 - after _servers, which puts the repository on sys.path

GOAL_MB = 200
ROLES = ("mailbot", "forkserver", "parser", "other")
PROGRESS_MARKS = (0.10, 0.50, 1.00)
PROGRESS_LINE = "mailbot.poll: uid "
CET_RECEIVED = report_mail(0).internaldate


@dataclass
class Sample:
    seconds: float
    processed: int
    rss_kb: dict[str, int]  # summed VmRSS per role


@dataclass
class Recording:
    samples: list[Sample] = field(default_factory=list)
    peak_kb: dict[str, int] = field(default_factory=dict)  # largest VmHWM of one process per role
    pids: dict[str, set[int]] = field(default_factory=dict)


class TreeSampler(threading.Thread):
    """Samples the process tree under `root_pid` until stopped; progress from the poll's log file."""

    def __init__(self, root_pid: int, log_path: Path, interval: float):
        super().__init__(daemon=True)
        self.root_pid, self.log_path, self.interval = root_pid, log_path, interval
        self.recording = Recording()
        self.processed = 0
        self._offset = 0
        self._stopping = threading.Event()
        self._start = time.perf_counter()

    def stop(self) -> Recording:
        self._stopping.set()
        self.join()
        return self.recording

    def run(self) -> None:
        while not self._stopping.is_set():
            self.sample()
            self._stopping.wait(self.interval)
        self.sample()

    def sample(self) -> None:
        self._count_progress()
        rss = dict.fromkeys(ROLES, 0)
        for pid, role in tree_roles(self.root_pid).items():
            status = read_status(pid)
            if not status:
                continue
            rss[role] += status.get("VmRSS", 0)
            peak = self.recording.peak_kb
            peak[role] = max(peak.get(role, 0), status.get("VmHWM", 0))
            self.recording.pids.setdefault(role, set()).add(pid)
        self.recording.samples.append(Sample(time.perf_counter() - self._start, self.processed, rss))

    def _count_progress(self) -> None:
        with open(self.log_path, "rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        complete = chunk.rfind(b"\n") + 1  # count whole lines only
        self._offset += complete
        self.processed += chunk[:complete].count(PROGRESS_LINE.encode())


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def tree_roles(root: int) -> dict[int, str]:
    """pid -> role for the mailbot process and everything under it."""
    roles = {root: "mailbot"}
    pending = [root]
    while pending:
        parent = pending.pop()
        for child in children(parent):
            if roles[parent] == "forkserver":
                roles[child] = "parser"
            elif "forkserver" in cmdline(child):
                roles[child] = "forkserver"
            else:
                roles[child] = "other"  # e.g. multiprocessing's resource tracker
            pending.append(child)
    return roles


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in kB; empty if the process is gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    return values


def poll_and_sample(servers: BenchServers, name: str, mails: list[ReportMail],
                    interval: float) -> tuple[Recording, float]:
    """Run `mailbot poll` once on `mails`; (recording, seconds)."""
    account = servers.dovecot.add_user()
    append_mails(account, mails)
    config = servers.write_config(account, name)
    log_path = config.parent / "poll.log"
    log_path.touch()
    start = time.perf_counter()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(mailbot_argv(config, "poll"), env=mailbot_env(account),
                                   stdout=log, stderr=subprocess.STDOUT, cwd=config.parent)
        sampler = TreeSampler(process.pid, log_path, interval)
        sampler.start()
        code = process.wait()
    recording = sampler.stop()
    seconds = time.perf_counter() - start
    left = inbox_count(account)
    if code != 0 or left:
        print(f"  case {name}: mailbot poll exited with {code}, {left} mail(s) left in the INBOX")
        print(log_path.read_text(errors="replace")[-2000:])
    return recording, seconds


def big_attachment_mail(megabytes: int) -> ReportMail:
    """As tests/test_hostile.py: a 'PDF' of `megabytes` MB, too large to read."""
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", b"%PDF-1.4\n" + bytes(megabytes * 1024 * 1024),
                                   ("application", "pdf"))])
    return ReportMail(raw, CET_RECEIVED, "anna.berg@mora.se", "Mora", "2026-10")


def alive(recording: Recording) -> list[Sample]:
    """The samples taken while the mailbot process was still there."""
    return [s for s in recording.samples if s.rss_kb["mailbot"]]


def at_progress(recording: Recording, fraction: float, total: int) -> Sample | None:
    for sample in alive(recording):
        if sample.processed >= fraction * total:
            return sample
    return None


def print_case(title: str, recording: Recording, seconds: float, total: int) -> None:
    roles = [r for r in ROLES if recording.peak_kb.get(r)]
    samples = alive(recording)
    print(f"\n{title}: {seconds:.1f} s, {len(samples)} samples while it ran")
    print(f"{'MB':<28}" + "".join(f"{role:>11}" for role in roles))
    rows = []
    if total > 1:
        rows = [(f"VmRSS {int(f * 100)}% processed", at_progress(recording, f, total)) for f in PROGRESS_MARKS]
    rows.append(("VmRSS last sample", samples[-1] if samples else None))
    for label, sample in rows:
        if sample is None:
            print(f"{label:<28}" + "".join(f"{'-':>11}" for _ in roles))
            continue
        label = f"{label} @{sample.seconds:.0f}s"
        print(f"{label:<28}" + "".join(f"{sample.rss_kb[role] / 1024:>11.1f}" for role in roles))
    if total > 1:  # after the last mail: sending the queued receipts
        after = [s for s in samples if s.processed >= total]
        sending = {role: max((s.rss_kb[role] for s in after), default=0) for role in roles}
        print(f"{'VmRSS largest, sending':<28}" + "".join(f"{sending[role] / 1024:>11.1f}" for role in roles))
    largest = {role: max((s.rss_kb[role] for s in samples), default=0) for role in roles}
    print(f"{'VmRSS largest sample':<28}" + "".join(f"{largest[role] / 1024:>11.1f}" for role in roles))
    print(f"{'peak VmHWM (one process)':<28}" + "".join(f"{recording.peak_kb[role] / 1024:>11.1f}" for role in roles))
    print(f"{'processes seen':<28}" + "".join(f"{len(recording.pids[role]):>11}" for role in roles))
    worst = max(recording.peak_kb.values()) / 1024
    print(f"goal: every process < {GOAL_MB} MB: {'met' if worst < GOAL_MB else 'NOT met'} (largest {worst:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="small report mails in case (b) (default 10000)")
    parser.add_argument("--attachment-mb", type=int, default=25, help="attachment size in case (a) (default 25)")
    parser.add_argument("--skip-big", action="store_true", help="run case (b) only")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples (default 0.2)")
    args = parser.parse_args()

    with BenchServers() as servers:
        if not args.skip_big:
            mail = big_attachment_mail(args.attachment_mb)
            recording, seconds = poll_and_sample(servers, "big", [mail], args.interval)
            print_case(f"(a) one mail of {len(mail.raw) / 2**20:.1f} MB ({args.attachment_mb} MB attachment)",
                       recording, seconds, 1)

        t0 = time.perf_counter()
        mails = [report_mail(n, docx=False) for n in range(args.count)]
        print(f"\nbuilt {len(mails)} small report mails ({sum(len(m.raw) for m in mails) / len(mails):.0f} bytes each) "
              f"in {time.perf_counter() - t0:.1f} s")
        recording, seconds = poll_and_sample(servers, "many", mails, args.interval)
        print_case(f"(b) {len(mails)} small report mails", recording, seconds, len(mails))
        receipts = sum(1 for m in servers.smtp.messages if m.message["X-Mailbot-Kind"] == "receipt")
        print(f"receipts captured in all: {receipts}")


if __name__ == "__main__":
    main()
