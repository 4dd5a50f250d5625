"""`mailbot health` against a real Dovecot: false with a wrong password, true after a good pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from mailbot.config import load_config
from mailbot.health import health
from mailbot.store import Store, open_db, utcnow
from tests.dovecot import PASSWORD
from tests.server_config import write_server_config


def mailbot(config, *args: str, password: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MAILBOT_TEST_IMAP_PASSWORD": password}
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_health_follows_the_passes(tmp_path, imap_config, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    never = mailbot(config, "health", "--json", password=PASSWORD)
    assert never.returncode == 1 and json.loads(never.stdout)["last_pass_ok"] is None

    good = mailbot(config, "poll", password=PASSWORD)
    assert good.returncode == 0, good.stderr
    ok = mailbot(config, "health", "--json", password=PASSWORD)
    assert ok.returncode == 0, ok.stdout
    first = json.loads(ok.stdout)
    assert first["ok"] is True and first["last_pass_ok"] and first["failing_since"] is None

    bad = mailbot(config, "poll", password="wrong-password")
    assert bad.returncode == 75, bad.stderr
    failing = mailbot(config, "health", "--json", password=PASSWORD)
    assert failing.returncode == 1
    result = json.loads(failing.stdout)
    assert result["ok"] is False and result["last_pass_ok"] == first["last_pass_ok"]
    assert result["failing_since"] and "login" in result["last_error"].lower(), result
    assert "Last error" in mailbot(config, "health", password=PASSWORD).stdout  # in words without --json

    again = mailbot(config, "poll", password=PASSWORD)
    assert again.returncode == 0
    recovered = json.loads(mailbot(config, "health", "--json", password=PASSWORD).stdout)
    assert recovered["ok"] is True and recovered["failing_since"] is None and recovered["last_error"] is None


def test_health_is_false_when_no_pass_succeeded_lately(tmp_path):
    (tmp_path / "config.toml").write_text('[storage]\ndatabase = "db.sqlite"\n[schedule]\npoll_minutes = 5\n')
    config = load_config(tmp_path / "config.toml")
    db = open_db(config.database)
    store = Store(db)
    now = utcnow()
    store.record_pass({"at": (now - timedelta(minutes=16)).isoformat(), "ok": 1})
    stale = health(store, config, now)
    assert stale["ok"] is False and "no successful pass since" in stale["last_error"]
    assert health(store, config, now - timedelta(minutes=10))["ok"] is True  # within three intervals
    db.close()
