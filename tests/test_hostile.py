"""Big and hostile input, built in memory (too large to keep as files): a record, a clear problem."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.context import parse_context
from mailbot.county import run_county_jobs
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from parsers.mime import collect_parts, parse_bytes
from parsers.report import _parse
from tests.mailbuilder import build_mail, deliver
from tests.pdf_factory import many_pages_pdf
from tests.server_config import local_config

CONTEXT = parse_context(load_config())


def test_25_mb_attachment_is_refused_with_a_reason():
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", b"%PDF-1.4\n" + bytes(25 * 1024 * 1024), ("application", "pdf"))])
    record = _parse(raw, CONTEXT)
    [problem] = [p for p in record.problems if p.code == "unreadable_attachment"]
    assert "för stor" in problem.message and record.municipality == "Mora"


def test_thousand_page_pdf_is_read_within_the_page_limit():
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", many_pages_pdf(1000), ("application", "pdf"))])
    record = _parse(raw, CONTEXT)
    assert record.kind == "other" and [p.code for p in record.problems] == ["no_report"]


HOSTILE_SAMPLES = sorted((Path(__file__).resolve().parent / "samples" / "broken").glob("*.eml")) + [
    Path(__file__).resolve().parent / "samples" / "attachments" / f"{name}.eml"
    for name in ("docx-zip-bomb-falun", "pdf-encrypted-avesta", "pdf-scanned-mora", "docm-with-macros-borlange",
                 "excel-damaged-mora")]


def test_every_hostile_mail_is_stored_filed_and_someone_is_told(tmp_path):
    """Through a whole poll: never a crash, never silence, nothing left behind."""
    config = local_config(tmp_path)
    raws = [p.read_bytes() for p in HOSTILE_SAMPLES] + [
        build_mail(subject="Lägesbild oktober", attachments=[
            ("Lägesbild.pdf", b"%PDF-1.4\n" + bytes(25 * 1024 * 1024), ("application", "pdf"))]),
        build_mail(subject="Lägesbild oktober", attachments=[
            ("Lägesbild.pdf", many_pages_pdf(1000), ("application", "pdf"))]),
    ]
    deliver(config, *raws, when=None)

    report = poll_once(config)

    assert (report.seen, report.errors) == (len(raws), 0)
    box = MaildirMailbox(config.maildir)
    assert box.waiting()[1] == []
    box.close()
    db = open_db(config.database)
    messages = list(db["messages"].rows)
    assert sorted(m["raw"] for m in messages) == sorted(raws)
    run_county_jobs(config, date.today())  # the administrators' daily digest lists what was held unanswered
    digest = next(row for row in db["outbox"].rows if row["dedupe_key"].startswith("admin:digest:"))
    listed = message_from_bytes(digest["raw"], policy=policy.default).get_body(("plain",)).get_content()
    told = {row["message_ref"] for row in db["outbox"].rows}
    silent = [m["subject"] or m["sender"] or f"message {m['id']}" for m in messages
              if m["id"] not in told and f"\n{m['id']}. " not in listed]
    assert silent == []
    outgoing = [message_from_bytes(row["raw"], policy=policy.default) for row in db["outbox"].rows]
    assert all("å" in m.get_body(("plain",)).get_content() or "ä" in m.get_body(("plain",)).get_content()
               for m in outgoing)  # Swedish, for the sender or the administrators


def test_an_oversize_attachment_is_not_decoded_whole():
    raw = build_mail(subject="Lägesbild oktober",
                     attachments=[("Lägesbild.pdf", b"%PDF-1.4\n" + bytes(25 * 1024 * 1024), ("application", "pdf"))])
    [attachment] = collect_parts(parse_bytes(raw), max_bytes=20 * 1024 * 1024).attachments
    assert 25 * 1024 * 1024 <= attachment.oversize < 26 * 1024 * 1024
    assert attachment.data.startswith(b"%PDF-1.4") and len(attachment.data) <= 8192
    [whole] = collect_parts(parse_bytes(raw)).attachments  # no limit: decoded whole
    assert whole.oversize == 0 and len(whole.data) == 25 * 1024 * 1024 + 9
