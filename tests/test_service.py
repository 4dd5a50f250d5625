"""Running as a service: the systemd unit verifies clean, the daemon speaks sd_notify, the image has a health check."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.harness import require

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "mailbot.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_verifies_without_a_warning(tmp_path):
    require(shutil.which("systemd-analyze") is not None, "systemd-analyze not installed (Debian package systemd)")
    mailbot = Path(sys.executable).with_name("mailbot")
    unit = tmp_path / "mailbot.service"
    unit.write_text(UNIT.read_text().replace("/opt/mailbot/bin/mailbot", str(mailbot)))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_unit_runs_hardened_as_its_own_user():
    s = unit_settings()
    assert s["User"] == ["mailbot"] and s["Type"] == ["notify"] and s["Restart"] == ["on-failure"]
    assert int(s["WatchdogSec"][0]) >= 30
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "CapabilityBoundingSet": "", "RestrictNamespaces": "yes"}.items():
        assert s[key] == [value], key
    assert "run" in s["ExecStart"][0].split()


def test_the_image_runs_unprivileged_with_a_health_check():
    lines = [line.strip() for line in CONTAINERFILE.read_text().splitlines() if line.strip()
             and not line.startswith("#")]
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    health = next(i for i, line in enumerate(lines) if line.startswith("HEALTHCHECK"))
    assert '"health"]' in lines[health + 1]
    assert "USER mailbot" in lines and lines[-1] == 'CMD ["run"]'
    for copied in ("mailbot", "parsers", "rules", "outbox_templates"):
        assert f"COPY {copied} ./{copied}" in lines


def test_the_daemon_tells_systemd_ready_alive_and_stopping(tmp_path):
    (tmp_path / "config.toml").write_text(
        '[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(60)
    env = {**os.environ, "NOTIFY_SOCKET": address, "PYTHONPATH": str(ROOT)}
    daemon = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(tmp_path / "config.toml"), "run"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        states = []
        while "WATCHDOG=1" not in states:
            states.append(sock.recv(256).decode())
        assert states[0] == "READY=1"
        daemon.send_signal(signal.SIGTERM)
        while states[-1] != "STOPPING=1":
            states.append(sock.recv(256).decode())
        assert daemon.wait(60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        sock.close()
