"""The parse worker: the same records as in-process, a time limit per mail, survival of a dying child.

The slow and crashing parsers are real code run in the child: a routing
function (the context's injectable find_signals) that sleeps or kills its
own process, standing in for a reader stuck on or crashed by a hostile file.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from email import message_from_bytes, policy
from functools import partial
from pathlib import Path

import pytest

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.context import parse_context
from mailbot.errors import ConfigError
from mailbot.parse_worker import ParseWorker
from mailbot.store import open_db
from parsers.report import parse_message
from tests.harness import wait_until
from tests.mailbuilder import build_mail, deliver, template_text
from tests.pdf_factory import many_pages_pdf
from tests.server_config import local_config

SAMPLES = Path(__file__).resolve().parent / "samples"
REPORT = build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober Mora", body=template_text())


def sleepy_signals(answers):
    time.sleep(30)  # the scenario: a reader stuck for longer than the time limit
    return []


def pausing_signals(marks: str, answers):
    """Says "reading" (a file in `marks`), then goes on only once the test has sent its signals."""
    Path(marks, "reading").touch()
    wait_until(lambda: Path(marks, "signalled").exists(), "the test's signals")
    return []


def crashing_signals(answers):
    os.kill(os.getpid(), signal.SIGSEGV)  # what a native crash in a reader looks like from outside


@pytest.fixture(scope="module")
def context():
    return parse_context(load_config())


@pytest.fixture(scope="module")
def worker():
    with ParseWorker(max_seconds=20) as w:
        yield w


def test_records_equal_the_in_process_parser(worker, context):
    raws = [p.read_bytes() for p in sorted(SAMPLES.rglob("*.eml"))]
    assert len(raws) > 30
    assert [worker.parse(raw, context) for raw in raws] == [parse_message(raw, context) for raw in raws]


def test_a_mail_over_the_time_limit_is_stopped_and_the_next_one_is_read(context):
    slow = replace(context, find_signals=sleepy_signals)
    with ParseWorker(max_seconds=1.5) as worker:
        worker.parse(REPORT, context)  # started and warm
        started = time.monotonic()
        record = worker.parse(REPORT, slow)
        took = time.monotonic() - started
        assert 1.5 <= took < 10
        assert record.kind == "report" and record.answers == []
        assert (record.sender, record.municipality) == ("anna.berg@mora.se", "Mora")
        assert record.message_id and record.message_id.endswith(">")
        [problem] = record.problems
        assert problem.code == "processing_timeout"
        assert "1,5 sekunder" in problem.message
        after = worker.parse(REPORT, context)  # a fresh child
        assert after.problems == [] and len(after.answers) == 7


def test_a_child_that_dies_costs_one_mail(worker, context):
    crashing = replace(context, find_signals=crashing_signals)
    record = worker.parse(REPORT, crashing)
    assert record.kind == "report" and record.municipality == "Mora"
    assert [p.code for p in record.problems] == ["no_report"]
    assert "kunde inte läsas automatiskt" in record.problems[0].message
    assert len(worker.parse(REPORT, context).answers) == 7


def test_ctrl_c_and_sigterm_to_the_process_group_do_not_cost_the_mail_in_hand(context, tmp_path):
    with ParseWorker(max_seconds=20) as worker:
        worker.parse(REPORT, context)  # the child runs
        pid = worker.pid

        def send_signals():  # while the child reads the mail
            wait_until(lambda: (tmp_path / "reading").exists(), "the child reading the mail")
            os.kill(pid, signal.SIGINT)
            os.kill(pid, signal.SIGTERM)
            (tmp_path / "signalled").touch()

        signals = threading.Thread(target=send_signals)
        signals.start()
        record = worker.parse(REPORT, replace(context, find_signals=partial(pausing_signals, str(tmp_path))))
        signals.join()
        assert record.problems == [] and len(record.answers) == 7
        assert worker.pid == pid  # the same child read it


def test_a_new_context_reaches_the_child(worker, context):
    directory = replace(context.directory, municipalities=())
    unknown = replace(context, directory=directory)
    assert worker.parse(REPORT, context).municipality == "Mora"
    assert "unknown_sender" in [p.code for p in worker.parse(REPORT, unknown).problems]
    assert worker.parse(REPORT, context).municipality == "Mora"


def test_max_seconds_is_read_from_the_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[limits]\nmax_seconds = 2.5\n")
    assert load_config(path).limits.max_seconds == 2.5
    assert load_config().limits.max_seconds == 60
    for bad in ("0", '"soon"', "-1"):
        path.write_text(f"[limits]\nmax_seconds = {bad}\n")
        with pytest.raises(ConfigError, match="max_seconds"):
            load_config(path)


def test_poll_gives_a_slow_pdf_a_receipt_and_review(tmp_path):
    """A real slow input: 3000 pages allowed (~0.4 s to read here), a tenth of a second per mail."""
    config = local_config(tmp_path, "[limits]\nmax_pages = 100000\nmax_seconds = 0.1\n")
    raw = build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober Mora", body="Hej, se bilagan.",
                     attachments=[("Lägesbild.pdf", many_pages_pdf(3000), ("application", "pdf"))])
    deliver(config, raw, when=None)
    report = poll_once(config)
    assert (report.seen, report.review, report.sent) == (1, 1, 1)
    [receipt] = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in config.outbox_dir.glob("*.eml")]
    assert receipt["To"] == "anna.berg@mora.se"
    text = receipt.get_body(("plain",)).get_content()
    assert "tog för lång tid att läsa automatiskt" in text
    db = open_db(config.database)
    [row] = db["messages"].rows
    assert row["target_folder"] == "review" and row["raw"] == raw
    assert [p["code"] for p in db["problems"].rows] == ["processing_timeout"]
