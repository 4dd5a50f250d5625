"""Seconds per hostile mail, and the slowest: the goal is under 2 s each on this machine.

    .venv/bin/python benchmarks/hostile_bench.py [--timeout 120] [--code DIR] [KIND ...]

The mails come from tests/hostile_corpus.py at their hostile sizes (what
took seconds to minutes before the fixes of issue "Hostile mail"). Each is
timed in a fresh process, as the parse worker would read it, with what the
poll's parent then does with the record: `parse_message`, then the routing
matcher's `find_hits` (decide() runs it again in the parent) and the
headers-only record (what the parent builds after a timeout). A mail that
overruns `--timeout` is killed and shown as "> TIMEOUT".

`--code DIR` times another checkout's parsers with the same mails (e.g. the
commit before the fixes, unpacked with `git archive`), for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_corpus import KINDS, build  # noqa: E402

GOAL_SECONDS = 2.0

_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from mailbot.config import load_config
from mailbot.context import parse_context
from parsers.model import Problem
from parsers.report import headers_only_record, parse_message
from rules.loader import load_rules
from rules.matcher import find_hits
config = load_config()
rules = load_rules(config.rules_dir)
context = parse_context(config, rules)
raw = open(sys.argv[2], "rb").read()
start = time.perf_counter()
record = parse_message(raw, context)
parsed = time.perf_counter()
find_hits(record.answers, rules)
headers_only_record(raw, context, Problem("processing_timeout", "x"))
done = time.perf_counter()
print(f"{done - start:.3f} {parsed - start:.3f} {record.kind}")
"""


def time_one(code: Path, path: Path, timeout: float) -> tuple[float | None, str]:
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(code), str(path)], capture_output=True,
                             text=True, timeout=timeout, cwd=code, env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return None, "killed"
    if out.returncode != 0:
        return None, "error: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    total, parse, kind = out.stdout.split()[-3:]
    return float(total), f"parse {parse} s, kind {kind}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kinds", nargs="*", help="kinds to run (default: all)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a mail's process is killed")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose parsers are timed")
    args = ap.parse_args()
    kinds = args.kinds or list(KINDS)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            path = Path(tmp) / f"{kind}.eml"
            raw = build(kind)
            path.write_bytes(raw)
            seconds, note = time_one(args.code.resolve(), path, args.timeout)
            shown = f"{seconds:7.2f} s" if seconds is not None else f"> {args.timeout:g} s TIMEOUT"
            print(f"{kind:32} {len(raw) / 1024:8.0f} kB  {shown}   {note}", flush=True)
            results.append((seconds if seconds is not None else float("inf"), kind))
    worst, kind = max(results)
    verdict = "ok" if worst < GOAL_SECONDS else "OVER THE GOAL"
    print(f"slowest: {kind} {worst:.2f} s (goal < {GOAL_SECONDS:g} s): {verdict}")
    return 0 if worst < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
