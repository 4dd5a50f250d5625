"""`mailbot run` as a process: IDLE brings a receipt within seconds; SIGTERM stops it cleanly."""

from __future__ import annotations

import time

from tests.mailbuilder import build_mail, template_text


def test_run_answers_via_idle_and_stops_on_sigterm(daemon, imap_client, smtp_server):
    assert daemon.running()  # started, first poll done, waiting in IDLE (the fixture waited for both)
    imap_client.append("INBOX", build_mail(body=template_text()))
    started = time.monotonic()
    # poll_minutes is 60: only IDLE can bring this receipt within seconds
    assert len(smtp_server.wait_for(1, timeout=15)) == 1
    assert time.monotonic() - started < 15
    assert daemon.stop() == 0, daemon.text()
    assert "mailbot stopped" in daemon.text()
    assert smtp_server.messages[0].recipients == ["anna.berg@mora.se"]
