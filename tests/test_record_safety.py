"""What leaves the bot: headers that never raise, identity numbers masked, the summary sent once and on time."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.app import poll_once
from mailbot.cli import cli
from mailbot.compose import build_message, header_safe
from mailbot.county import run_county_jobs
from mailbot.decide import Outgoing
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import Store, open_db
from mailbot.summary import build_summary, render_text
from parsers.personal_data import mask
from tests.mailbuilder import build_mail, template_text
from tests.server_config import local_config

CET = timezone(timedelta(hours=1))
NUMBER = "850709-9805"  # a valid personnummer (date and Luhn digit)
ENCODED_WORDS = st.sampled_from(["=?utf-8?q?", "=?utf-8?b?", "?=", "=?", "=E4", "=?iso-8859-1?q?", "\udce4", "SV: "])


@pytest.fixture
def config(tmp_path):
    return local_config(tmp_path)


def deliver(config, sender: str, subject: str, body: str, day: date) -> None:
    box = MaildirMailbox(config.maildir)
    moment = datetime.combine(day, time(9), CET)
    box.append("INBOX", build_mail(sender=sender, subject=subject, body=body, date=moment), moment)
    box.close()
    poll_once(config)


def sent(config) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(config.outbox_dir.glob("*.eml"))]


def every_text(message) -> str:
    """Headers, text parts and the cells of attached workbooks, as one string."""
    texts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                texts += [z.read(name).decode("utf-8", "replace") for name in z.namelist() if name.endswith(".xml")]
        else:
            texts.append(data.decode("utf-8", "replace"))
    return "\n".join(texts)


# -- headers built from mail data never raise ---------------------------------------------


@settings(max_examples=300, deadline=None)
@given(subject=st.lists(st.one_of(ENCODED_WORDS, st.text(max_size=8)), max_size=40).map("".join),
       thread=st.lists(st.one_of(ENCODED_WORDS, st.text(max_size=8)), max_size=10).map("".join))
def test_outgoing_headers_from_any_subject_never_raise(subject, thread):
    out = Outgoing("key", "reply", ("anna@mora.se",), f"SV: {subject}", "no_report",
                   {"county": "Länsstyrelsen Dalarna", "mailbox": "lagesbild@example.se"}, thread, (thread,))
    _, raw = build_message(out, "lagesbild@example.se", [(subject or "x", b"data", "application", "octet-stream")])
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # 7-bit headers: everything encoded
    assert headers.count("\r\nSubject:") == 1


def test_a_broken_encoded_word_stays_text():
    assert header_safe("Lägesbild =?utf-8?q?okt=C3ober") == "Lägesbild = ?utf-8?q?okt=C3ober"
    assert header_safe("a\udce4b\r\nBcc: x@y") == "a?b Bcc: x@y"


def test_a_mail_with_a_broken_subject_is_answered_and_filed_in_one_pass(config):
    raw = build_mail(sender="anna@mora.se", subject="x", body=template_text())
    raw = raw.replace(b"Subject: x", b"Subject: =?utf-8?q?L=C3=A4gesbild_oktober?= =?utf-8?b?###?= =?utf-8?q?=C3")
    box = MaildirMailbox(config.maildir)
    box.append("INBOX", raw, datetime(2026, 11, 3, 9, tzinfo=CET))
    box.close()
    poll_once(config)
    box = MaildirMailbox(config.maildir)
    assert box.waiting()[1] == []  # not left in the inbox to fail again
    box.close()
    receipts = [m for m in sent(config) if m["X-Mailbot-Kind"] == "receipt"]
    assert len(receipts) == 1 and receipts[0]["To"] == "anna@mora.se"


# -- no identity number leaves the bot ---------------------------------------------------


def test_mask_is_one_pass_and_keeps_other_numbers():
    text = f"Elev {NUMBER} och dnr 2026-1234, tel 0701234567. " * 3
    assert NUMBER not in mask(text)
    assert mask(text).count("850709-XXXX") == 3
    assert "2026-1234" in mask(text) and "0701234567" in mask(text)


def test_no_identity_number_in_any_sent_mail_or_workbook(config, tmp_path):
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[4] = f"Ökad narkotikahandel vid skolan, eleven {NUMBER} är känd av socialtjänsten."
    deliver(config, "anna@mora.se", f"Lägesbild oktober {NUMBER}", template_text(answers=answers), date(2026, 11, 3))
    run_county_jobs(config, date(2026, 11, 8))  # the day after the deadline: summary with the workbook
    mails = sent(config)
    kinds = {m["X-Mailbot-Kind"] for m in mails}
    assert {"receipt", "forward", "summary"} <= kinds, kinds
    for message in mails:
        text = every_text(message)
        assert NUMBER not in text and "8507099805" not in text, message["X-Mailbot-Kind"]
    assert any("850709-XXXX" in every_text(m) for m in mails if m["X-Mailbot-Kind"] == "forward")
    out = tmp_path / "export.xlsx"
    result = CliRunner().invoke(cli, ["--config", config.source, "export", "--year", "2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        cells = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    assert NUMBER not in cells and "850709-XXXX" in cells
    # stored: only the raw mail keeps it (until the retention purge); every other column is masked
    db = open_db(config.database)
    leaks = [(table, column) for table in db.table_names() for column in db[table].columns_dict
             if (table, column) != ("messages", "raw")
             and db.execute(f"select count(*) from [{table}] where cast([{column}] as text) like ?",
                            (f"%{NUMBER[:6]}%{NUMBER[-4:]}%",)).fetchone()[0]]
    db.close()
    assert leaks == [], leaks


# -- the summary goes out once, after the deadline -----------------------------------------


def test_summary_send_refuses_before_the_deadline(config):
    period = date.today().strftime("%Y-%m")  # due 7 days after this month ends: always ahead
    result = CliRunner().invoke(cli, ["--config", config.source, "summary", "--period", period, "--send"])
    assert result.exit_code == 2
    assert "deadline" in result.output and "--force" in result.output
    assert sent(config) == []
    forced = CliRunner().invoke(cli, ["--config", config.source, "summary", "--period", period, "--send", "--force"])
    assert forced.exit_code == 0, forced.output
    assert [m["X-Mailbot-Kind"] for m in sent(config)] == ["summary"]


def test_reports_after_the_summary_are_listed_next_month(config):
    deliver(config, "anna@mora.se", "Lägesbild oktober", template_text(), date(2026, 11, 3))
    run_county_jobs(config, date(2026, 11, 8))  # October's summary goes out
    deliver(config, "olle@orsa.se", "Lägesbild oktober", template_text(municipality="Orsa"), date(2026, 11, 12))
    deliver(config, "anna@mora.se", "Lägesbild oktober", template_text(scores=(3, 2, 1, 2, 1, 2)),
            date(2026, 11, 13))  # a correction after it
    db = open_db(config.database)
    try:
        november = build_summary(Store(db), config, "2026-11", date(2026, 12, 8))
        october = build_summary(Store(db), config, "2026-10", date(2026, 11, 20))
    finally:
        db.close()
    assert november.after_last == (("Orsa", "ny"), ("Mora", "rättad"))
    assert "Kom in efter förra sammanställningen (oktober 2026)" in render_text(november)
    assert "Orsa (ny rapport)" in render_text(november) and "Mora (rättad rapport)" in render_text(november)
    assert october.after_last == ()  # September had no summary
