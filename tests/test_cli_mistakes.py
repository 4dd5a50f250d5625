"""A new user's mistakes, walked through: each gets one clear line and an exit status that says what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailbot.config import load_config
from mailbot.demo import demo_period, run_demo
from mailbot.reminders import due_reminders
from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text

ROOT = Path(__file__).resolve().parent.parent


def mailbot(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    environ.update(env or {})
    environ["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "mailbot", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


def one_clear_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if " INFO " not in line and " WARNING " not in line]
    assert errors, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[storage]\ndatabase = "db/mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    return tmp_path


def test_an_unset_password_variable_is_one_line_for_poll_and_run(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[imap]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\nuser = "x"\npassword_env = "MAILBOT_UNSET_PW"\n'
        '[storage]\ndatabase = "mailbot.db"\n')
    for command in ("poll", "run"):
        result = mailbot(command, cwd=tmp_path)
        assert result.returncode == 78, (command, result.stderr)
        one_clear_line(result, "MAILBOT_UNSET_PW", "is not set")


def test_invalid_rules_in_parse_and_rules_test(folder):
    rules = folder / "rules"
    rules.mkdir()
    (rules / "signals.toml").write_text("[[rule]]\nid = \n")
    (folder / "config.toml").write_text((folder / "config.toml").read_text() + '[rules]\ndirectory = "rules"\n')
    mail = folder / "m.eml"
    mail.write_bytes(build_mail(body=template_text()))
    parsed = mailbot("parse", str(mail), cwd=folder)
    assert parsed.returncode == 78
    one_clear_line(parsed, "invalid routing rules", "signals.toml")
    tried = mailbot("rules", "test", "--text", "narkotika", cwd=folder)
    assert tried.returncode == 1
    one_clear_line(tried, "invalid routing rules", "signals.toml")


def test_parse_of_a_missing_file_is_an_error_a_script_can_see(folder):
    good = folder / "m.eml"
    good.write_bytes(build_mail(body=template_text()))
    result = mailbot("parse", str(good), str(folder / "nope.eml"), cwd=folder)
    assert result.returncode == 66
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(folder / "nope.eml")]
    assert lines[0]["kind"] == "report" and "error" not in lines[0]
    assert lines[1]["error"].startswith("cannot read") and lines[1]["problems"][0]["code"] == "unreadable_file"
    one_clear_line(result, "nope.eml", "cannot read")


def test_export_to_an_unwritable_path_and_a_two_digit_year(folder):
    result = mailbot("export", "--year", "2026", "--out", str(folder / "config.toml" / "x.xlsx"), cwd=folder)
    assert result.returncode == 1
    one_clear_line(result, "cannot write")
    short = mailbot("export", "--year", "26", "--out", str(folder / "x.xlsx"), cwd=folder)
    assert short.returncode == 2 and "26" in short.stderr and not (folder / "x.xlsx").exists()


def test_reprocess_of_an_unknown_id(folder):
    result = mailbot("reprocess", "999", cwd=folder)
    assert result.returncode == 2
    one_clear_line(result, "no stored mail with id 999")


def test_read_only_commands_create_no_database(folder):
    for args in (("status", "--json"), ("summary", "--period", "2026-10"), ("health",), ("doctor", "--offline")):
        result = mailbot(*args, cwd=folder)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert not (folder / "db").exists(), args
    status = json.loads(mailbot("status", "--period", "2026-10", "--json", cwd=folder).stdout)
    assert {m["status"] for m in status["municipalities"]} == {"missing"}


def test_the_missing_list_suggests_a_command_that_works():
    config = load_config()
    status = {"period": "2026-10", "deadline": "2026-11-07",
              "municipalities": [{"name": "Mora", "status": "missing", "received": None}]}
    notice = next(o for o in due_reminders(config, status, date(2026, 11, 8), {}) if o.kind == "admin_notice")
    from mailbot.compose import render

    assert "mailbot status --period 2026-10" in render(notice.template, notice.context)[0]


@pytest.mark.parametrize("today", [datetime(2026, 12, 1, 7, tzinfo=UTC),
                                   datetime(2026, 11, 20, 12, tzinfo=UTC),
                                   datetime(2027, 1, 9, 12, tzinfo=UTC)])
def test_the_demo_is_consistent_on_any_day(tmp_path, today):
    (tmp_path / "config.toml").write_text(
        '[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    config = load_config(tmp_path / "config.toml")
    text = run_demo(config, now=today)
    period = demo_period(today, config.deadline)[0]
    assert f"mailbot status --period {period}" in text
    db = open_db(config.database)
    arrivals = [datetime.fromisoformat(r["internaldate"]) for r in db["messages"].rows]
    assert arrivals and max(arrivals) < today
    counted = {r["municipality"]: r["period"] for r in db["submissions"].rows}
    assert counted == {"Mora": period, "Avesta": period, "Orsa": period}
    db.close()
