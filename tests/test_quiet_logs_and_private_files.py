"""`-v` never logs mail bodies (a real poll against Dovecot); the exported workbook is 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime

from imapclient import IMAPClient

from mailbot.config import load_config
from mailbot.export import export_year
from mailbot.store import Store, open_db
from tests.dovecot import PASSWORD
from tests.mailbuilder import build_mail, template_text
from tests.server_config import write_server_config

SECRET = "Hemligt-brodtext-7c1e"  # stands for what a mail body says


def test_verbose_poll_logs_no_mail_body(tmp_path, imap_config, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    client = IMAPClient("127.0.0.1", port=imap_config.port, ssl=False)
    client.login(imap_config.user, PASSWORD)
    raw = build_mail(subject="Lägesbild oktober", body=template_text(answers=[SECRET] * 7))
    client.append("INBOX", raw, msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    client.logout()

    env = {**os.environ, "MAILBOT_TEST_IMAP_PASSWORD": PASSWORD}
    run = subprocess.run([sys.executable, "-m", "mailbot", "-v", "--config", str(config), "poll"],
                         capture_output=True, text=True, env=env, timeout=120)

    assert run.returncode == 0, run.stderr
    assert "DEBUG" in run.stderr  # verbose it is: commands and sizes are logged
    assert SECRET not in run.stderr and SECRET not in run.stdout
    assert PASSWORD not in run.stderr


def test_export_writes_the_workbook_0600(tmp_path):
    config = load_config()
    store = Store(open_db(tmp_path / "mailbot.db"))
    out = tmp_path / "export" / "lagesbild-2026.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"old")
    os.chmod(out, 0o644)  # an earlier export, world-readable: replaced and made private
    export_year(store, config, 2026, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes()[:2] == b"PK"
