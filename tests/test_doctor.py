"""`mailbot doctor` against a real Dovecot and SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.dovecot import PASSWORD
from tests.server_config import write_server_config


def doctor(config, environ: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")} | environ
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), "doctor"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_doctor_logs_in_and_names_what_to_fix(tmp_path, imap_config, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    good = doctor(config, {"MAILBOT_TEST_IMAP_PASSWORD": PASSWORD})
    assert good.returncode == 0, good.stdout
    assert "OK       mailbox: IMAP 127.0.0.1" in good.stdout
    assert "OK       outgoing mail: SMTP 127.0.0.1" in good.stdout
    assert "placeholder address" in good.stdout  # the shipped units.toml still has .example addresses
    assert "is the mailbox the bot reads" in good.stdout  # the embedded admins = the mailbox

    wrong = doctor(config, {"MAILBOT_TEST_IMAP_PASSWORD": "fel"})
    assert wrong.returncode == 1
    assert any(line.startswith("ERROR") and "mailbox" in line for line in wrong.stdout.splitlines()), wrong.stdout

    unset = doctor(config, {})
    assert unset.returncode == 1 and "MAILBOT_TEST_IMAP_PASSWORD is not set" in unset.stdout
    assert "Traceback" not in unset.stderr + wrong.stderr
