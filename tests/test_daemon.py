"""`mailbot run` as a process: IDLE brings a receipt within seconds; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from imapclient import IMAPClient

from tests.dovecot import PASSWORD, dovecot, imap_config  # noqa: F401
from tests.mailbuilder import build_mail, template_text
from tests.server_config import write_server_config
from tests.smtp_server import smtp_server  # noqa: F401


def test_run_answers_via_idle_and_stops_on_sigterm(tmp_path, imap_config, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port, extra="[schedule]\npoll_minutes = 60\n")
    env = {**os.environ, "MAILBOT_TEST_IMAP_PASSWORD": PASSWORD}
    process = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # started, first poll done, waiting in IDLE
        assert process.poll() is None
        client = IMAPClient("127.0.0.1", port=imap_config.port, ssl=False)
        client.login(imap_config.user, PASSWORD)
        client.append("INBOX", build_mail(body=template_text()))
        client.logout()
        started = time.monotonic()
        # poll_minutes is 60: only IDLE can bring this receipt within seconds
        assert len(smtp_server.wait_for(1, timeout=15)) == 1
        assert time.monotonic() - started < 15
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "mailbot stopped" in err
    assert smtp_server.messages[0].recipients == ["anna.berg@mora.se"]
