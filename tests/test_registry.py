"""Addresses registered by an administrator count at once, survive restarts, and are listed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from mailbot.app import poll_once
from mailbot.cli import cli
from mailbot.config import load_config
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text

CET = timezone(timedelta(hours=1))


def test_a_registered_address_counts_and_is_listed(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    config = load_config(path)
    run = CliRunner().invoke
    assert run(cli, ["--config", str(path), "municipalities", "register", "mora", "Anna.Berg@Gmail.com"]).exit_code == 0
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", build_mail(sender="Anna Berg <anna.berg@gmail.com>", body=template_text()),
               datetime(2026, 11, 3, 9, tzinfo=CET))
    box.close()
    poll_once(load_config(path))  # a fresh configuration, as after a restart
    db = open_db(config.database)
    assert [(r["municipality"], r["sender"]) for r in db["submissions"].rows] == [("Mora", "anna.berg@gmail.com")]
    db.close()
    listed = json.loads(run(cli, ["--config", str(path), "municipalities", "--json"]).output)
    mora = next(row for row in listed if row["name"] == "Mora")
    assert mora["registered"] == ["anna.berg@gmail.com"] and mora["domains"] == ["mora.se"]
    assert mora["latest_senders"] == ["anna.berg@gmail.com"]
    gone = run(cli, ["--config", str(path), "municipalities", "unregister", "anna.berg@gmail.com"])
    assert gone.exit_code == 0
    again = run(cli, ["--config", str(path), "municipalities", "unregister", "anna.berg@gmail.com"])
    assert again.exit_code == 2


def test_an_unknown_municipality_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["municipalities", "register", "Narnia", "x@y.se"])
    assert result.exit_code == 2 and "Mora" in result.output
