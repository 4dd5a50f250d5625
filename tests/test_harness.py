"""The harness itself: the Dovecot config per version, require() under CI=true, wait_until."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests import harness
from tests.dovecot import DOVECOT, render_config, version_of
from tests.harness import require, wait_until

VALUES = dict(root=Path("/srv/dc"), port=14143, ssl_port=14993, cert=Path("/srv/dc/cert.pem"),
              key=Path("/srv/dc/key.pem"), uid=102, gid=105, login_user="dovenull", internal_user="dovecot",
              internal_group="dovecot", as_root=True)


def settings(text: str) -> dict[str, str]:
    """The top-level `key = value` lines of a config (block contents included, indentation dropped)."""
    pairs = (line.strip().split(" = ", 1) for line in text.splitlines() if " = " in line
             and not line.lstrip().startswith("#"))
    return {key: value for key, value in pairs}


def test_version_of_a_release():
    assert version_of("2.3.19.1") == (2, 3) and version_of("2.4.1") == (2, 4) and version_of("") == ()


def test_dovecot_24_config_uses_the_24_names():
    text = render_config("2.4.1", **VALUES)
    keys = settings(text)
    assert text.splitlines()[1:3] == ["dovecot_config_version = 2.4.1", "dovecot_storage_version = 2.4.1"]
    assert keys["mail_driver"] == "maildir" and keys["mail_path"] == "~/Maildir"
    assert keys["ssl_server_cert_file"] == "/srv/dc/cert.pem" and keys["ssl_server_key_file"] == "/srv/dc/key.pem"
    assert keys["auth_allow_cleartext"] == "yes" and "xoauth2" not in keys["auth_mechanisms"]
    assert "passdb bare {" in text and "passdb static {" in text and "userdb static {" in text
    assert keys["username_filter"] == "*.imap4rev1@*" and keys["userdb_imap_capability"] == "IMAP4rev1"
    assert keys["home"] == "/srv/dc/mail/%{user}" and keys["listen"] == "127.0.0.1"
    assert keys["verbose_proctitle"] == "yes" and "log_debug" not in keys
    assert settings(render_config("2.4.1", **VALUES, log_commands=True))["log_debug"] == "event=imap_command_finished"
    for gone in ("mail_location", "ssl_cert", "ssl_key", "disable_plaintext_auth", "args", "address"):
        assert gone not in keys, gone  # 2.3 names a 2.4 server refuses
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in lines if "%u" in line or "%{if" in line]  # 2.3 variables


def test_dovecot_23_config_keeps_the_23_names():
    text = render_config("2.3.19.1", **VALUES)
    keys = settings(text)
    assert keys["mail_location"] == "maildir:~/Maildir" and keys["ssl_cert"] == "</srv/dc/cert.pem"
    assert "dovecot_config_version" not in keys and "mail_driver" not in keys
    assert "xoauth2" in keys["auth_mechanisms"]


def test_no_certificate_means_no_tls_and_other_versions_are_refused():
    for release in ("2.3.19.1", "2.4.1"):
        text = render_config(release, **{**VALUES, "cert": None, "key": None, "ssl_port": None})
        assert settings(text)["ssl"] == "no"
    with pytest.raises(ValueError, match="2.3 and 2.4"):
        render_config("2.5.0", **VALUES)


def test_the_installed_dovecot_accepts_its_config(tmp_path, dovecot):
    """`dovecot -n` parses the config the session's server runs on (2.3 here, 2.4 on Debian 13)."""
    done = subprocess.run([str(DOVECOT), "-n", "-c", str(dovecot.conf)], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert dovecot.release.split(".")[:2] == done.stdout.split()[1].split(".")[:2]


def test_require_skips_here_and_fails_under_ci(monkeypatch):
    require(True, "never shown")
    monkeypatch.setattr(harness, "CI", False)
    with pytest.raises(pytest.skip.Exception, match="no tool"):
        require(False, "no tool")
    monkeypatch.setattr(harness, "CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true, so this does not skip: no tool"):
        require(None, "no tool")


def test_wait_until_returns_the_value_or_says_what_it_waited_for(tmp_path):
    flag = tmp_path / "flag"
    threading.Timer(0.05, flag.touch).start()  # the scenario: something happens a moment later
    started = time.monotonic()
    assert wait_until(lambda: flag.exists() and "there", "the flag", timeout=5) == "there"
    assert time.monotonic() - started < 2
    with pytest.raises(AssertionError, match="no miracle within 0.1 s"):
        wait_until(lambda: False, "miracle", timeout=0.1)
    with pytest.raises(AssertionError, match="gave up waiting for the flag"):
        wait_until(lambda: False, "the flag", timeout=5, alive=lambda: False)
