"""The daemon takes up configuration edits without a restart; an invalid edit keeps the last valid one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from mailbot.config import load_config
from mailbot.daemon import Daemon
from mailbot.maildir_mailbox import MaildirMailbox
from tests.mailbuilder import build_mail, template_text

CET = timezone(timedelta(hours=1))


def write(path, outbox: str, extra: str = "") -> None:
    path.write_text(f'[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n'
                    f'[outbox]\ndirectory = "{outbox}"\n[county]\nadmins = ["it@lansstyrelsen.example"]\n{extra}')


def deliver(config, sender: str) -> None:
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", build_mail(sender=sender, body=template_text(municipality=None)), datetime(2026, 11, 3, 9, tzinfo=CET))
    box.close()


def kinds(folder) -> list[str]:
    return [message_from_bytes(p.read_bytes(), policy=policy.default)["X-Mailbot-Kind"]
            for p in sorted(folder.glob("*.eml"))]


def test_edits_apply_at_the_next_pass_and_a_broken_edit_is_reported_once(tmp_path):
    path = tmp_path / "config.toml"
    write(path, "out1")
    daemon = Daemon(load_config(path))
    try:
        deliver(daemon.config, "anna@mora.se")
        assert daemon._poll_pass()
        assert kinds(tmp_path / "out1") == ["receipt"]

        write(path, "out2", "[schedule]\npoll_minutes = 7\n")
        deliver(daemon.config, "erik@falun.se")
        assert daemon._poll_pass()
        assert kinds(tmp_path / "out2") == ["receipt"] and daemon.config.poll_minutes == 7

        write(path, "out3", "[nonsense]\nx = 1\n")
        deliver(daemon.config, "olle@orsa.se")
        assert daemon._poll_pass()
        assert daemon._poll_pass()  # a second pass with the same mistake: no second notice
        assert not (tmp_path / "out3").exists()
        assert sorted(kinds(tmp_path / "out2")) == ["admin_notice", "receipt", "receipt"]
        notice = next(message_from_bytes(p.read_bytes(), policy=policy.default)
                      for p in (tmp_path / "out2").glob("*.eml")
                      if b"admin_notice" in p.read_bytes())
        assert "nonsense" in notice.get_body(("plain",)).get_content()
    finally:
        daemon.worker.close()
