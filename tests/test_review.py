"""The administrators' desk against Dovecot and aiosmtpd: held mail listed, accepted, rejected, put back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from mailbot.store import open_db
from tests.mailbuilder import MAILBOX, build_mail, template_text
from tests.server_config import run_mailbot, write_server_config

CET = timezone(timedelta(hours=1))
GMAIL = "anna.berg@gmail.com"


def folder(client, name: str) -> list:
    if not client.folder_exists(name):
        return []
    client.select_folder(name, readonly=True)
    data = client.fetch(client.search(["ALL"]), ["BODY.PEEK[]", "FLAGS"])
    return [(message_from_bytes(d[b"BODY[]"], policy=policy.default), d[b"FLAGS"]) for d in data.values()]


def gmail_report(subject: str, answers=None) -> bytes:
    return build_mail(sender=f"Anna Berg <{GMAIL}>", subject=subject, body=template_text(answers=answers))


def test_a_held_gmail_report_is_accepted_registered_and_the_next_one_counts(tmp_path, imap_config, imap_client,
                                                                            smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[4] = "Fältgruppen har sett öppen droghandel vid skateparken."
    imap_client.append("INBOX", gmail_report("Lägesbild oktober Mora", answers),
                       msg_time=datetime(2026, 11, 3, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    [stranger_receipt] = smtp_server.wait_for(1)
    assert stranger_receipt.recipients == [GMAIL]  # a report-shaped mail: a receipt that quotes nothing

    listed = json.loads(run_mailbot(config, "review", "list", "--json").stdout)
    [held] = listed
    assert (held["sender"], held["municipality"], held["period"], held["kind"]) == (GMAIL, "Mora", "2026-10", "report")
    assert "unknown_sender" in held["problems"]
    status = json.loads(run_mailbot(config, "status", "--period", "2026-10", "--json").stdout)
    assert {m["name"]: m["status"] for m in status["municipalities"]}["Mora"] == "held"

    accepted = run_mailbot(config, "review", "accept", str(held["id"]), "--register")
    assert accepted.returncode == 0, accepted.stderr
    mails = smtp_server.wait_for(3)
    receipt = next(m for m in mails[1:] if m.recipients == [GMAIL])
    assert "nu räknas den för Mora, oktober 2026" in receipt.message.get_body(("plain",)).get_content()
    assert any(m.message["X-Mailbot-Kind"] == "forward" for m in mails[1:])
    assert [m.message for m, _ in folder(imap_client, "Att granska")
            if m["From"] and GMAIL in m["From"]] == []
    assert any(GMAIL in str(m["From"]) for m, _ in folder(imap_client, "Behandlade"))
    status = json.loads(run_mailbot(config, "status", "--period", "2026-10", "--json").stdout)
    assert {m["name"]: m["status"] for m in status["municipalities"]}["Mora"] == "on_time"
    assert json.loads(run_mailbot(config, "review", "list", "--json").stdout) == []
    again = run_mailbot(config, "review", "accept", str(held["id"]))
    assert again.returncode == 2 and "not held" in again.stderr

    imap_client.append("INBOX", gmail_report("Lägesbild november Mora"), msg_time=datetime(2026, 12, 2, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    db = open_db(tmp_path / "mailbot.db")
    counted = {(r["municipality"], r["period"], r["sender"]) for r in db["submissions"].rows}
    db.close()
    assert ("Mora", "2026-11", GMAIL) in counted  # counts at once: the address is Mora's now
    assert all(MAILBOX not in m.recipients for m in smtp_server.messages)  # nothing to our own mailbox by SMTP


def test_rejected_mail_is_closed_and_nothing_is_sent(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    imap_client.append("INBOX", build_mail(sender="offers@spam.example", subject="Billiga klockor", body="Köp nu!"),
                       msg_time=datetime(2026, 11, 3, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    [held] = json.loads(run_mailbot(config, "review", "list", "--json").stdout)
    cannot = run_mailbot(config, "review", "accept", str(held["id"]), "--municipality", "Mora", "--period", "2026-10")
    assert cannot.returncode == 2 and "no answers to count" in cannot.stderr
    rejected = run_mailbot(config, "review", "reject", str(held["id"]), "--note", "Reklam")
    assert rejected.returncode == 0, rejected.stderr
    assert json.loads(run_mailbot(config, "review", "list", "--json").stdout) == []
    assert [str(m["Subject"]) for m, _ in folder(imap_client, "Behandlade")] == ["Billiga klockor"]
    assert smtp_server.messages == []


def test_a_held_mail_put_back_into_the_inbox_is_read_again(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    imap_client.append("INBOX", gmail_report("Lägesbild oktober Mora"), msg_time=datetime(2026, 11, 3, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    assert run_mailbot(config, "municipalities", "register", "Mora", GMAIL).returncode == 0
    imap_client.select_folder("Att granska")
    imap_client.move(imap_client.search(["ALL"]), "INBOX")  # the administrator puts it back
    assert run_mailbot(config, "poll").returncode == 0
    db = open_db(tmp_path / "mailbot.db")
    assert [(r["municipality"], r["sender"]) for r in db["submissions"].rows] == [("Mora", GMAIL)]
    db.close()
    assert json.loads(run_mailbot(config, "review", "list", "--json").stdout) == []
    counted = smtp_server.wait_for(2)[1]
    assert "räknat den för Mora" in counted.message.get_body(("plain",)).get_content()


def test_notices_for_the_mailbox_itself_are_filed_unread_into_review(tmp_path, imap_config, imap_client,
                                                                      smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)  # admins = the mailbox (embedded)
    bounce = (
        "From: MAILER-DAEMON@mx.mora.se\r\nTo: " + MAILBOX + "\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <b1@mx.mora.se>\r\nX-Failed-Recipients: gone@mora.se\r\nAuto-Submitted: auto-replied\r\n\r\n"
        "This is a permanent error. The following address(es) failed:\r\n\r\n  gone@mora.se\r\n    user unknown\r\n"
    ).encode()
    imap_client.append("INBOX", bounce, msg_time=datetime(2026, 11, 3, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    assert smtp_server.messages == []  # not by SMTP into the mailbox the bot reads
    filed = [(m, flags) for m, flags in folder(imap_client, "Att granska") if m["X-Mailbot-Kind"] == "admin_notice"]
    assert len(filed) == 1 and b"\\Seen" not in filed[0][1]
    assert "gone@mora.se" in str(filed[0][0]["Subject"])
