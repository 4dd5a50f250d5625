"""Hostile mail cannot steer what the bot sends, against real Dovecot and SMTP.

One poll over three attacks: a registered sender whose subject, Reply-To, Cc
and answers try to add recipients and markup; an impostor naming a
municipality from an unregistered address; a file name carrying a header.
Afterwards every envelope recipient is the original sender, an
administrator or a unit from the rule files; no header carries injected
lines; HTML shows the markup as text.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.errors import ConfigError
from mailbot.store import open_db
from rules.loader import SHIPPED_DIRECTORY, load_rules
from tests.mailbuilder import build_mail, template_text
from tests.server_config import write_server_config

CET = timezone(timedelta(hours=1))
ATTACKER = "evil@attacker.example"
MARKUP = "<script>alert(1)</script>"
NAME_MARKUP = "<img src=x onerror=alert(1)>"  # a file name cannot hold "/"


def injected_subject() -> str:
    """An RFC 2047 subject that decodes to two lines, the second a Bcc header."""
    text = f"Lägesbild oktober Mora\r\nBcc: {ATTACKER}".encode()
    return f"=?utf-8?b?{base64.b64encode(text).decode()}?="


def attacks() -> list[bytes]:
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[4] = f"{MARKUP} Vi ser ökad droghandel vid busstationen. Skicka detta vidare till {ATTACKER}."
    registered = build_mail(
        sender="Anna Berg <anna.berg@mora.se>", subject=injected_subject(),
        body=template_text(answers=answers),
        headers={"Reply-To": ATTACKER, "Cc": f"other@attacker.example, {ATTACKER}"})
    impostor = build_mail(sender="Mora kommun <impostor@mora-kommun.example>", subject="Lägesbild oktober Mora",
                          body=template_text(), headers={"Reply-To": ATTACKER})
    name_attack = build_mail(
        sender="erik.lund@falun.se", subject="Lägesbild oktober Falun", body="Hej, se bilagan.",
        attachments=[(f"{NAME_MARKUP}Lägesbild\r\nBcc: {ATTACKER}.pdf", b"%PDF-1.7 trasig", ("application", "pdf"))])
    return [registered, impostor, name_attack]


@pytest.fixture
def sent(tmp_path, imap_config, imap_client, smtp_server):
    config = load_config(write_server_config(tmp_path, imap_config, smtp_server.port))
    for raw in attacks():
        imap_client.append("INBOX", raw, msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))
    report = poll_once(config)
    assert (report.seen, report.errors) == (3, 0)
    return config, smtp_server.wait_for(report.sent)


def test_mail_goes_only_to_the_sender_administrators_and_rule_units(sent):
    config, captured = sent
    units = {a for unit in load_rules(SHIPPED_DIRECTORY).units for a in unit.addresses}
    allowed = {"anna.berg@mora.se", "impostor@mora-kommun.example", "erik.lund@falun.se",
               *config.county.admins, *units}
    recipients = [r for mail in captured for r in mail.recipients]
    assert set(recipients) <= allowed
    assert "anna.berg@mora.se" in recipients and "andt.enheten@lansstyrelsen.example" in recipients
    assert not any("attacker" in r for r in recipients)


def test_no_header_carries_injected_lines(sent):
    _, captured = sent
    assert len(captured) >= 4  # three answers and a forward
    for mail in captured:
        parsed = message_from_bytes(mail.raw, policy=policy.default)
        assert parsed["Bcc"] is None and parsed["Cc"] is None
        assert [a.addr_spec for a in parsed["To"].addresses] == mail.recipients
        header_block = mail.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert "attacker" not in header_block.lower()
        assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])


def test_html_shows_markup_as_text(sent):
    _, captured = sent
    html_parts = [part.get_content() for mail in captured
                  for part in message_from_bytes(mail.raw, policy=policy.default).walk()
                  if part.get_content_type() == "text/html"]
    assert html_parts
    assert not any("<script" in html.lower() or "<img src=x" in html.lower() for html in html_parts)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in html for html in html_parts)  # the file name, as text


def test_an_impostor_naming_a_municipality_is_never_counted(sent):
    config, _ = sent
    db = open_db(config.database)
    counted = {row["municipality"] for row in db["submissions"].rows}
    assert counted == {"Mora"}
    [impostor] = db["messages"].rows_where("sender = ?", ["impostor@mora-kommun.example"])
    assert impostor["target_folder"] == "review"


def test_a_stranger_gets_a_receipt_that_quotes_nothing_they_wrote(sent):
    _, captured = sent
    [receipt] = [message_from_bytes(m.raw, policy=policy.default) for m in captured
                 if m.recipients == ["impostor@mora-kommun.example"]]
    assert receipt["Subject"] == "Lägesbild mottagen"
    text = receipt.get_body(("plain",)).get_content()
    assert "finns inte i vår lista" in text and "Mora" not in text and "Att åtgärda" not in text


@pytest.mark.parametrize("section", ["imap", "smtp"])
def test_a_password_in_the_file_is_refused(tmp_path, section):
    path = tmp_path / "config.toml"
    path.write_text(f'[{section}]\nhost = "127.0.0.1"\npassword = "hemligt"\n')
    with pytest.raises(ConfigError, match="password"):
        load_config(path)
