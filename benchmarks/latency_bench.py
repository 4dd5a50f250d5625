"""Receipt latency of the daemon: APPEND of a report -> its receipt arrives over SMTP.

    .venv/bin/python benchmarks/latency_bench.py [--count 30]

`mailbot run` is started as a subprocess against Dovecot and the in-process
SMTP server with `[schedule] poll_minutes = 60`, so only IMAP IDLE can
trigger a poll during the run. One warm-up report is sent first (its
latency includes starting the parse worker and is shown apart). Then
`--count` report mails (.docx attachment, distinct municipality and month)
are appended one at a time, each after the previous receipt arrived; the
time from just before the APPEND to the receipt being accepted by the SMTP
server is measured. Finally the daemon gets SIGTERM and must exit with 0.

Goal (issue 6): median ≤ 2 s. Wall-clock on a shared machine: expect noise.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import time
from pathlib import Path

from _servers import BenchServers, ReportMail, mailbot_argv, mailbot_env, percentile, report_mail

from tests.smtp_server import SmtpTestServer  # noqa: E402 - after _servers, which puts the repository on sys.path

GOAL_MEDIAN_SECONDS = 2.0
START_TIMEOUT = 60.0
RECEIPT_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
EXTRA_CONFIG = "\n[schedule]\npoll_minutes = 60\n"


def wait_for_log(path: Path, text: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise SystemExit(f"mailbot run exited with {process.returncode}:\n{path.read_text()[-3000:]}")
        time.sleep(0.05)
    raise SystemExit(f"no {text!r} in the daemon's log within {timeout:g} s:\n{path.read_text()[-3000:]}")


def wait_for_receipt(smtp: SmtpTestServer, recipient: str, seen: int) -> int:
    """Block until a receipt to `recipient` is captured (after the first `seen` mails); the new `seen`."""
    while True:
        captured = smtp.wait_for(seen + 1, timeout=RECEIPT_TIMEOUT)
        for mail in captured[seen:]:
            seen += 1
            if mail.message["X-Mailbot-Kind"] == "receipt" and recipient in mail.recipients:
                return seen


def measure(client, smtp: SmtpTestServer, mail: ReportMail, seen: int) -> tuple[float, float, int]:
    """(seconds from APPEND to receipt, seconds the APPEND took, the new `seen`)."""
    start = time.perf_counter()
    client.append("INBOX", mail.raw, msg_time=mail.internaldate)
    appended = time.perf_counter()
    seen = wait_for_receipt(smtp, mail.sender, seen)
    return time.perf_counter() - start, appended - start, seen


def print_errors(log_text: str) -> None:
    """The daemon log's ERROR lines, and the first traceback in full."""
    lines = log_text.splitlines()
    errors = [line for line in lines if " ERROR " in line]
    print(f"daemon log: {len(errors)} ERROR line(s)")
    for line in errors[:5]:
        print(f"  {line}")
    if "Traceback" in log_text:
        start = next(i for i, line in enumerate(lines) if line.startswith("Traceback"))
        end = next((i for i in range(start + 1, len(lines)) if lines[i][:4].isdigit()), len(lines))
        print("  first traceback:")
        for line in lines[start:end]:
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="measured report mails (default 30)")
    args = parser.parse_args()
    mails = [report_mail(n) for n in range(args.count + 1)]

    with BenchServers() as servers:
        account = servers.dovecot.add_user()
        config = servers.write_config(account, "daemon", EXTRA_CONFIG)
        log_path = config.parent / "daemon.log"
        with open(log_path, "w") as log:
            daemon = subprocess.Popen(mailbot_argv(config, "run"), env=mailbot_env(account),
                                      stdout=log, stderr=subprocess.STDOUT, cwd=config.parent)
        client = account.client()
        try:
            wait_for_log(log_path, "mailbot running", daemon, START_TIMEOUT)
            time.sleep(1.0)  # let the first (empty) poll finish and IDLE begin
            seen = len(servers.smtp.messages)
            warm_up, _, seen = measure(client, servers.smtp, mails[0], seen)
            latencies, appends = [], []
            for mail in mails[1:]:
                latency, append_seconds, seen = measure(client, servers.smtp, mail, seen)
                latencies.append(latency)
                appends.append(append_seconds)
        finally:
            client.logout()
            daemon.send_signal(signal.SIGTERM)
            try:
                code = daemon.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                daemon.kill()
                code = daemon.wait()
                print(f"the daemon did not stop within {STOP_TIMEOUT:g} s of SIGTERM: killed")
        log_text = log_path.read_text(errors="replace")
        other = [m.message["X-Mailbot-Kind"] for m in servers.smtp.messages
                 if m.message["X-Mailbot-Kind"] != "receipt"]

    print(f"APPEND -> receipt captured, {len(latencies)} report mails, one at a time (poll_minutes = 60: IDLE only)")
    print(f"{'':<28} {'seconds':>8}")
    print(f"{'warm-up mail (cold worker)':<28} {warm_up:>8.3f}")
    print(f"{'median':<28} {statistics.median(latencies):>8.3f}")
    print(f"{'p90':<28} {percentile(latencies, 0.9):>8.3f}")
    print(f"{'max':<28} {max(latencies):>8.3f}")
    print(f"{'min':<28} {min(latencies):>8.3f}")
    print(f"{'APPEND itself (median)':<28} {statistics.median(appends):>8.3f}")
    if other:
        print(f"other mails the daemon sent meanwhile: {', '.join(sorted(set(map(str, other))))} ({len(other)})")
    print_errors(log_text)
    print(f"daemon exit code after SIGTERM: {code} ({'OK' if code == 0 else 'FAIL: expected 0'})")
    verdict = "met" if statistics.median(latencies) <= GOAL_MEDIAN_SECONDS else "NOT met"
    print(f"goal: median ≤ {GOAL_MEDIAN_SECONDS:g} s: {verdict}")


if __name__ == "__main__":
    main()
