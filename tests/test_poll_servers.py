"""`mailbot poll` end to end against a real Dovecot and a real SMTP server.

The config file holds only the fixed connection keys, as acceptance checks
write it; everything else is the embedded default.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from imapclient import IMAPClient

from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text
from tests.server_config import run_mailbot as mailbot
from tests.server_config import write_server_config

SAMPLES = Path(__file__).resolve().parent / "samples"
CET = timezone(timedelta(hours=1))


@pytest.fixture
def setup(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    return config, imap_client, smtp_server, tmp_path / "mailbot.db"


def folder_subjects(client: IMAPClient, folder: str) -> list[str]:
    if not client.folder_exists(folder):
        return []
    client.select_folder(folder, readonly=True)
    data = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    return sorted(message_from_bytes(d[b"BODY[HEADER.FIELDS (SUBJECT)]"], policy=policy.default)["Subject"]
                  for d in data.values())


def test_poll_answers_stores_and_files_every_mail(setup):
    config, client, smtp, db_path = setup
    report_mail = (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes()
    docx_mail = (SAMPLES / "attachments" / "docx-table-falun.eml").read_bytes()
    oof = (SAMPLES / "auto_reply" / "exchange-oof-sv.eml").read_bytes()
    stranger = (SAMPLES / "reports" / "unknown-sender-alvdalen.eml").read_bytes()
    for raw, when in [(report_mail, datetime(2026, 11, 3, 9, 0, tzinfo=CET)),
                      (docx_mail, datetime(2026, 11, 9, 9, 0, tzinfo=CET)),
                      (oof, datetime(2026, 11, 3, 10, 0, tzinfo=CET)),
                      (stranger, datetime(2026, 11, 3, 11, 0, tzinfo=CET))]:
        client.append("INBOX", raw, msg_time=when)

    result = mailbot(config, "poll", "--json")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["seen"], figures["sent"]) == (4, 4), result.stderr

    sent = smtp.wait_for(4)
    by_to = {m.recipients[0]: m.message for m in sent}
    # Falun rated question 4 "Allvarligt" (4): the rating rule forwards it to crime prevention
    # The unknown sender's report-shaped mail gets a receipt that quotes nothing; the administrators
    # hear of it in the daily digest, not by a mail per held message.
    assert set(by_to) == {"anna.berg@mora.se", "erik.lund@falun.se", "sara.nord.privat@gmail.com",
                          "brottsforebyggande@lansstyrelsen.example"}
    assert by_to["sara.nord.privat@gmail.com"]["Subject"] == "Lägesbild mottagen"
    mora = by_to["anna.berg@mora.se"]
    original = message_from_bytes(report_mail, policy=policy.default)
    assert mora["In-Reply-To"] == original["Message-ID"] and original["Message-ID"] in mora["References"]
    assert mora["Subject"] == "SV: Lägesbild oktober Mora" and mora["Auto-Submitted"] == "auto-replied"
    assert "i tid" in mora.get_body(("plain",)).get_content()
    falun = by_to["erik.lund@falun.se"].get_body(("plain",)).get_content()
    assert "efter sista dag" in falun  # 9 November: late
    assert "4 (Allvarligt)" in falun

    assert folder_subjects(client, "INBOX") == []
    assert len(folder_subjects(client, "Behandlade")) == 3  # two reports and the out-of-office
    assert folder_subjects(client, "Att granska") == ["Lägesbild oktober"]  # the unknown sender

    db = open_db(db_path)
    subs = {r["municipality"]: r for r in db["submissions"].rows}
    assert set(subs) == {"Mora", "Falun"}
    assert (subs["Mora"]["on_time"], subs["Falun"]["on_time"]) == (1, 0)
    assert db["messages"].count == 4
    assert db["outbox"].count == 4 and {r["status"] for r in db["outbox"].rows} == {"sent"}

    again = mailbot(config, "poll", "--json")
    assert json.loads(again.stdout)["sent"] == 0
    assert len(smtp.messages) == 4

    status = json.loads(mailbot(config, "status", "--period", "2026-10", "--json").stdout)
    states = {m["name"]: m["status"] for m in status["municipalities"]}
    assert states["Mora"] == "on_time" and states["Falun"] == "late" and states["Orsa"] == "missing"


def test_resubmission_supersedes(setup):
    config, client, smtp, db_path = setup
    client.append("INBOX", build_mail(subject="Lägesbild oktober", body=template_text(scores=(1,) * 6)),
                  msg_time=datetime(2026, 11, 2, 9, 0, tzinfo=CET))
    mailbot(config, "poll")
    client.append("INBOX", build_mail(subject="SV: Lägesbild oktober", body=template_text(scores=(4,) * 6)),
                  msg_time=datetime(2026, 11, 4, 9, 0, tzinfo=CET))
    mailbot(config, "poll")
    sent = smtp.wait_for(2)
    assert "ersätter" in sent[1].message.get_body(("plain",)).get_content()
    db = open_db(db_path)
    current = list(db["submissions"].rows_where("is_current = 1"))
    assert len(current) == 1 and db["submissions"].count == 2
    assert {a["score"] for a in db["answers"].rows_where("submission_id = ? and question < 7", [current[0]["id"]])} == {4}


def test_a_processed_mail_put_back_is_not_processed_again(setup):
    """A new UID (as after a UIDVALIDITY change) for a stored mail: matched by Message-ID."""
    config, client, smtp, db_path = setup
    raw = (SAMPLES / "reports" / "body-plain-mora.eml").read_bytes()
    client.append("INBOX", raw, msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))
    mailbot(config, "poll")
    client.select_folder("Behandlade")
    client.copy(client.search(["ALL"]), "INBOX")  # someone drags it back into the inbox
    result = mailbot(config, "poll", "--json")
    assert json.loads(result.stdout)["duplicates"] == 1
    assert len(smtp.wait_for(1)) == 1 and len(smtp.messages) == 1
    assert folder_subjects(client, "INBOX") == []
    db = open_db(db_path)
    assert db["submissions"].count == 1


def test_signals_are_forwarded_once_to_each_unit(setup):
    from rules.loader import load_rules

    config, client, smtp, db_path = setup
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[4] = "Fältgruppen har sett ökad droghandel vid skateparken."
    answers[5] = "Polisen misstänker prostitution i en lägenhet vid torget. Inga tecken på extremism."
    body = template_text(scores=(1, 1, 1, 1, 2, 2), answers=answers)
    client.append("INBOX", build_mail(subject="Lägesbild oktober", body=body),
                  msg_time=datetime(2026, 11, 2, 9, 0, tzinfo=CET))
    mailbot(config, "poll")
    rules = load_rules()
    andt, prostitution = rules.addresses_for("narkotika"), rules.addresses_for("prostitution")
    forwards = [m for m in smtp.wait_for(3) if m.message["X-Mailbot-Kind"] == "forward"]
    assert sorted(tuple(m.recipients) for m in forwards) == sorted([andt, prostitution])
    drugs = next(m for m in forwards if tuple(m.recipients) == andt).message.get_body(("plain",)).get_content()
    assert "»droghandel«" in drugs and "Mora" in drugs and "Fråga 5" in drugs
    assert not any(tuple(m.recipients) == rules.addresses_for("extremism") for m in forwards)  # negated

    client.append("INBOX", build_mail(subject="Lägesbild oktober (rättad)", body=body),
                  msg_time=datetime(2026, 11, 3, 9, 0, tzinfo=CET))
    mailbot(config, "poll")
    smtp.wait_for(4)
    assert [m.message["X-Mailbot-Kind"] for m in smtp.messages].count("forward") == 2  # nothing new
    db = open_db(db_path)
    assert db.execute("select count(*) from signals where forwarded = 1").fetchone()[0] == 2
