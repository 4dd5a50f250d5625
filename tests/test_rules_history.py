"""`mailbot rules test --history`: a rule change's effect over the stored reports, before it goes live."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from mailbot.app import poll_once
from mailbot.cli import cli
from mailbot.config import load_config
from mailbot.maildir_mailbox import MaildirMailbox
from rules.loader import SHIPPED_DIRECTORY
from tests.mailbuilder import build_mail, template_text

CET = timezone(timedelta(hours=1))
NEW_RULE = """
[[rule]]
name = "brand"
title = "Bränder"
unit = "brottsforebyggande"
terms = ["brand"]
"""


def test_history_shows_what_a_new_rule_would_add(tmp_path):
    base = '[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n'
    (tmp_path / "live.toml").write_text(base)
    config = load_config(tmp_path / "live.toml")
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[0] = "En brand i skolans förråd under helgen."
    answers[4] = "Ökad droghandel vid busstationen."
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", build_mail(sender="anna@mora.se", body=template_text(answers=answers)),
               datetime(2026, 11, 3, 9, tzinfo=CET))
    box.close()
    poll_once(config)  # forwarded with the shipped rules: narkotika only

    edited = tmp_path / "rules"
    shutil.copytree(SHIPPED_DIRECTORY, edited, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (edited / "signals.toml").write_text((edited / "signals.toml").read_text() + NEW_RULE)
    (tmp_path / "draft.toml").write_text(base + '[rules]\ndirectory = "rules"\n')

    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "draft.toml"), "rules", "test", "--history",
                                      "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "Mora 2026-10:\n  skulle nu också skickas: Bränder (fråga 1)" in result.output
    assert "1 rapporter prövade: 1 signaler tillkommer, 0 faller bort, 1 oförändrade." in result.output

    unchanged = CliRunner().invoke(cli, ["--config", str(tmp_path / "live.toml"), "rules", "test", "--history",
                                         "--period", "2026-10"])
    assert "0 signaler tillkommer, 0 faller bort, 1 oförändrade" in unchanged.output


def test_history_needs_no_file_or_text():
    result = CliRunner().invoke(cli, ["rules", "test", "--history", "--text", "x"])
    assert result.exit_code == 2 and "one of FILE, --text or --history" in result.output
