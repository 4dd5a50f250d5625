"""Trust the record, end to end against Dovecot and aiosmtpd: nothing good is replaced by something worse."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

from mailbot.store import open_db
from tests.mailbuilder import build_mail, template_text
from tests.server_config import mailbot_argv, mailbot_env, run_mailbot, write_server_config

CET = timezone(timedelta(hours=1))
TRUST = Path(__file__).resolve().parent / "samples" / "trust"
NOVEMBER_3 = datetime(2026, 11, 3, 9, tzinfo=CET)


def current_answers(db_path: Path, municipality: str, period: str) -> dict[int, tuple]:
    db = open_db(db_path)
    try:
        [sub] = db["submissions"].rows_where("municipality = ? and period = ? and is_current = 1",
                                             [municipality, period])
        return {a["question"]: (a["score"], a["text"]) for a in db["answers"].rows_where(
            "submission_id = ?", [sub["id"]])}
    finally:
        db.close()


def status_of(config: Path, period: str) -> dict[str, str]:
    result = json.loads(run_mailbot(config, "status", "--period", period, "--json").stdout)
    return {m["name"]: m["status"] for m in result["municipalities"]}


def test_a_correction_by_reply_merges_into_the_report(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    answers = [f"Svar på fråga {n} från Mora." for n in range(1, 8)]
    imap_client.append("INBOX", build_mail(sender="anna@mora.se", subject="Lägesbild oktober", body=template_text(
        scores=(1, 4, 1, 2, 1, 2), answers=answers)), msg_time=NOVEMBER_3)
    assert run_mailbot(config, "poll").returncode == 0
    receipt = next(m for m in smtp_server.wait_for(2) if m.message["X-Mailbot-Kind"] == "receipt")
    correction = build_mail(sender="anna@mora.se", subject="SV: Lägesbild oktober",
                            body="Hej!\nFråga 2 ska vara 3, inte 4.\nMvh Anna\n",
                            headers={"In-Reply-To": receipt.message["Message-ID"],
                                     "References": receipt.message["Message-ID"]},
                            date=NOVEMBER_3 + timedelta(hours=2))
    imap_client.append("INBOX", correction, msg_time=NOVEMBER_3 + timedelta(hours=2))
    assert run_mailbot(config, "poll").returncode == 0
    answers_now = current_answers(tmp_path / "mailbot.db", "Mora", "2026-10")
    assert answers_now[2] == (3, "Svar på fråga 2 från Mora.")  # the rating changed, the text carried over
    assert answers_now[7] == (None, "Svar på fråga 7 från Mora.")  # the positive actions stay
    assert [answers_now[n][0] for n in range(1, 7)] == [1, 3, 1, 2, 1, 2]
    smtp_server.wait_for(3)
    second = [m for m in smtp_server.messages if m.message["X-Mailbot-Kind"] == "receipt"][-1]
    second = second.message.get_body(("plain",)).get_content()
    assert "Tack för rättelsen" in second and "3 (Oroande) *" in second
    assert status_of(config, "2026-10")["Mora"] == "on_time"


def test_a_conflicting_month_is_held_and_replaces_nothing(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    imap_client.append("INBOX", build_mail(sender="anna@mora.se", subject="Lägesbild oktober",
                                           body=template_text(scores=(1, 1, 1, 1, 1, 1))), msg_time=NOVEMBER_3)
    assert run_mailbot(config, "poll").returncode == 0
    before = current_answers(tmp_path / "mailbot.db", "Mora", "2026-10")
    imap_client.append("INBOX", (TRUST / "period-heading-outranks-subject-mora.eml").read_bytes(),
                       msg_time=datetime(2026, 12, 3, 9, tzinfo=CET))
    assert run_mailbot(config, "poll").returncode == 0
    assert current_answers(tmp_path / "mailbot.db", "Mora", "2026-10") == before
    [held] = json.loads(run_mailbot(config, "review", "list", "--json").stdout)
    assert "period_conflict" in held["problems"]
    receipt = smtp_server.wait_for(2)[1].message.get_body(("plain",)).get_content()
    assert "har inte räknats ännu" in receipt and "november 2026" in receipt and "oktober 2026" in receipt


def test_every_report_in_a_mail_counts_and_random_documents_never_do(tmp_path, imap_config, imap_client,
                                                                      smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    for name in ("two-months-attached-falun", "survey-with-numbered-questions-mora", "spam-with-scanned-invoice"):
        imap_client.append("INBOX", (TRUST / f"{name}.eml").read_bytes(), msg_time=NOVEMBER_3)
    assert run_mailbot(config, "poll").returncode == 0
    db = open_db(tmp_path / "mailbot.db")
    counted = sorted((r["municipality"], r["period"]) for r in db["submissions"].rows)
    db.close()
    assert counted == [("Falun", "2026-09"), ("Falun", "2026-10")]  # both months; the survey is no report
    recipients = [r for m in smtp_server.messages for r in m.recipients]
    assert not any("spam" in r or "example" in r.split("@")[-1] and "lansstyrelsen" not in r for r in recipients)
    falun = next(m for m in smtp_server.messages if m.message["X-Mailbot-Kind"] == "receipt"
                 and "falun" in m.recipients[0]).message.get_body(("plain",)).get_content()
    assert "september 2026 har också räknats" in falun


def test_two_concurrent_polls_send_each_receipt_once(tmp_path, imap_config, imap_client, smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    senders = ["anna@mora.se", "erik@falun.se", "olle@orsa.se", "lisa@borlange.se", "per@leksand.se"]
    for n, sender in enumerate(senders):
        imap_client.append("INBOX", build_mail(sender=sender, subject="Lägesbild oktober",
                                               body=template_text(municipality=None)),
                           msg_time=NOVEMBER_3 + timedelta(minutes=n))
    polls = [subprocess.Popen(mailbot_argv(config, "poll"), env=mailbot_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = [p.wait(120) for p in polls]
    assert set(codes) <= {0, 75}, [p.stderr.read() for p in polls]
    if 75 in codes:  # one of them found the database busy: the next pass finishes the work
        assert run_mailbot(config, "poll").returncode == 0
    receipts = Counter(m.message["Message-ID"] for m in smtp_server.wait_for(len(senders)))
    assert len(receipts) == len(senders) and set(receipts.values()) == {1}
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == sorted(senders)


def test_no_identity_number_and_a_broken_subject_is_filed_in_one_pass(tmp_path, imap_config, imap_client,
                                                                       smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port,
                                 extra='[county]\nadmins = ["it@lansstyrelsen.example"]\n')
    answers = [f"Svar {n}." for n in range(1, 8)]
    answers[4] = "Eleven 850709-9805 säljer narkotika vid skolan."
    raw = build_mail(sender="anna@mora.se", subject="x", body=template_text(answers=answers))
    raw = raw.replace(b"Subject: x", b"Subject: =?utf-8?q?L=C3=A4gesbild_oktober?= =?utf-8?b?###?= =?utf-8?q?=C3")
    imap_client.append("INBOX", raw, msg_time=NOVEMBER_3)
    assert run_mailbot(config, "poll").returncode == 0
    imap_client.select_folder("INBOX", readonly=True)
    assert imap_client.search(["ALL"]) == []  # stored and moved in one pass
    mails = smtp_server.wait_for(2)
    assert {m.message["X-Mailbot-Kind"] for m in mails} >= {"receipt", "forward"}
    for mail in mails:
        text = message_from_bytes(mail.raw, policy=policy.default).as_string()
        assert "850709-9805" not in text and "8507099805" not in text


def test_the_receipt_quoted_back_with_one_value_changed_is_a_correction(tmp_path, imap_config, imap_client,
                                                                        smtp_server):
    config = write_server_config(tmp_path, imap_config, smtp_server.port)
    imap_client.append("INBOX", build_mail(sender="anna@mora.se", subject="Lägesbild oktober",
                                           body=template_text(scores=(1, 2, 1, 2, 1, 2))), msg_time=NOVEMBER_3)
    assert run_mailbot(config, "poll").returncode == 0
    receipt = smtp_server.wait_for(1)[0].message
    lines = receipt.get_body(("plain",)).get_content().splitlines()
    edited = [line.replace("2 (Avvikande)", "4 (Allvarligt)") if line.startswith("2.") else line for line in lines]
    reply = build_mail(sender="anna@mora.se", subject="SV: " + str(receipt["Subject"]),
                       body="\n".join("> " + line for line in edited),
                       headers={"In-Reply-To": receipt["Message-ID"]}, date=NOVEMBER_3 + timedelta(hours=1))
    imap_client.append("INBOX", reply, msg_time=NOVEMBER_3 + timedelta(hours=1))
    assert run_mailbot(config, "poll").returncode == 0
    answers = current_answers(tmp_path / "mailbot.db", "Mora", "2026-10")
    assert [answers[n][0] for n in range(1, 7)] == [1, 4, 1, 2, 1, 2]
    assert answers[1][1]  # texts carried over
