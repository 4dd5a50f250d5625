"""Administrators' side of routing: `rules check`/`rules test`, reload, and an invalid edit."""

from __future__ import annotations

import shutil
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailbot.app import poll_once
from mailbot.cli import cli
from rules.loader import SHIPPED_DIRECTORY
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture
def config(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for path in SHIPPED_DIRECTORY.glob("*.toml"):
        shutil.copy(path, rules / path.name)
    return local_config(tmp_path, '[rules]\ndirectory = "rules"\n')


def outbox_kinds(config) -> list[str]:
    return [message_from_bytes(p.read_bytes(), policy=policy.default)["X-Mailbot-Kind"]
            for p in sorted(config.outbox_dir.glob("*.eml"))]


def deliver_report(config, text):
    answers = [f"Svar {n}." for n in range(1, 8)]
    answers[4] = text
    deliver(config, build_mail(body=template_text(answers=answers)))


def test_rules_check_reports_file_and_line(config):
    broken = config.rules_dir / "signals.toml"
    broken.write_text(broken.read_text("utf-8").replace('unit = "andt"', 'unit = "finns_inte"', 1), "utf-8")
    result = CliRunner().invoke(cli, ["--config", config.source, "rules", "check"])
    assert result.exit_code == 1
    assert "signals.toml:" in result.output and "finns_inte" in result.output


def test_rules_check_ok_on_shipped_rules():
    result = CliRunner().invoke(cli, ["rules", "check"])
    assert result.exit_code == 0 and "OK:" in result.output


def test_rules_test_shows_negation():
    result = CliRunner().invoke(cli, ["rules", "test", "--text", "Inga tecken på narkotikahandel, men kokain i parken."])
    assert result.exit_code == 0
    assert "narkotika" in result.output and "SLÅR TILL" in result.output and "nekat" in result.output


def test_rules_test_on_a_mail():
    result = CliRunner().invoke(cli, ["rules", "test", str(SAMPLES / "reports" / "body-plain-mora.eml")])
    assert result.exit_code == 0 and "narkotika" in result.output


def test_edits_apply_at_next_poll_and_an_invalid_edit_keeps_the_last_valid_rules(config):
    signals = config.rules_dir / "signals.toml"
    deliver_report(config, "Ökad droghandel vid skolan.")
    poll_once(config)
    assert outbox_kinds(config).count("forward") == 1

    signals.write_text(signals.read_text("utf-8") + '\n[[rule]]\nname = "trasig"\nunit = "saknas"\nterms = []\n', "utf-8")
    deliver_report(config, "Fortsatt droghandel vid torget.")  # a new report (new Message-ID), same municipality
    poll_once(config)
    poll_once(config)  # the same broken files: no second warning
    kinds = outbox_kinds(config)
    assert kinds.count("admin_notice") == 1
    notice = [p for p in sorted(config.outbox_dir.glob("*.eml"))
              if b"regelfilerna" in p.read_bytes()]
    assert notice and "signals.toml" in message_from_bytes(notice[0].read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    # the last valid rules still ran: the second report's drug signal was found (and, already
    # forwarded for Mora and October, not forwarded again)
    from mailbot.store import open_db

    db = open_db(config.database)
    rows = db.execute("select message_ref, rule, forwarded from signals order by id").fetchall()
    assert rows == [(1, "narkotika", 1), (2, "narkotika", 0)]
    assert kinds.count("forward") == 1
