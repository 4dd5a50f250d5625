"""The sender is the one address in the raw From header, or the mail is held (issue "Hostile mail" §1).

Table-style over `parse_sender`, then the record (`invalid_sender`,
`header.from mismatch`), then a whole poll: a spoofed sender is never
counted and nothing goes to the address it pretends to be.
"""

from __future__ import annotations

import time
from email import message_from_bytes, policy

import pytest

from mailbot.app import poll_once
from mailbot.config import load_config
from mailbot.context import parse_context
from mailbot.maildir_mailbox import MaildirMailbox
from mailbot.store import open_db
from parsers.mime import authentication_failures, header, parse_bytes, parse_sender
from parsers.model import Problem
from parsers.report import headers_only_record, parse_message
from tests.mailbuilder import template_text

CONTEXT = parse_context(load_config())
SPOOF = b"=?utf-8?q?anna.berg=40falun=2Ese?= <attacker@attacker.example>"


def mail(from_value: bytes | str, body: str = "Hej!\n", extra: bytes = b"", subject: bytes = b"Lagesbild oktober") -> bytes:
    if isinstance(from_value, str):
        from_value = from_value.encode("utf-8")
    return (extra + b"From: " + from_value + b"\r\nTo: lagesbild-fas.dalarna@lansstyrelsen.se\r\nSubject: " + subject
            + b"\r\nDate: Tue, 3 Nov 2026 09:12:00 +0000\r\nMessage-ID: <t" + str(time.monotonic_ns()).encode()
            + b"@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            + body.replace("\n", "\r\n").encode("utf-8"))


@pytest.mark.parametrize("from_value, address", [
    (SPOOF, "attacker@attacker.example"),
    (b'"anna.berg@falun.se" <attacker@attacker.example>', "attacker@attacker.example"),
    (b"Anna Berg <Anna.Berg@Falun.SE>", "anna.berg@falun.se"),
    (b"anna.berg@falun.se", "anna.berg@falun.se"),
    (b"<anna.berg@falun.se>", "anna.berg@falun.se"),
    (b'"Anna.Berg"@falun.se', "anna.berg@falun.se"),  # needless quotes: the same address as without
    (b"anna.berg@falun.se (Anna Berg)", "anna.berg@falun.se"),
    (b'"Berg, Anna" <anna.berg@falun.se>', "anna.berg@falun.se"),
    (b"Anna Berg\r\n <anna.berg@falun.se>", "anna.berg@falun.se"),  # folded
    ("Lägesbild Älvdalen <samordnare@alvdalen.se>".encode(), "samordnare@alvdalen.se"),  # RFC 6532
    ("Lägesbild Älvdalen <samordnare@alvdalen.se>".encode("cp1252"), "samordnare@alvdalen.se"),
    # An unquoted space-separated address: both readings have the domain bug.com, so the
    # last word is taken (it never changes which municipality the mail is from).
    (b"Big Bug bb@bug.com", "bb@bug.com"),
])
def test_the_address_comes_from_the_raw_header(from_value, address):
    sender = parse_sender(parse_bytes(mail(from_value)))
    assert (sender.address, sender.problem) == (address, None)


@pytest.mark.parametrize("from_value", [
    b"",  # no address
    b"Anna Berg",
    b"anna.berg@falun.se, attacker@attacker.example",  # two addresses
    b"Kommunen: anna.berg@falun.se;",  # group syntax
    b"Kommunen: ;",
    b"Anna (Falun <attacker@attacker.example>",  # a stray parenthesis before the angle address
    b"anna.berg@falun.se (<attacker@attacker.example>",
    b"Anna <anna.berg@falun.se> <attacker@attacker.example>",
    b"x@attacker.example@falun.se",
    b"<x@attacker.example@falun.se>",
    b"@falun.se",
    b"<@relay.example:anna.berg@falun.se>",  # source route
    b'"anna\x01berg"@falun.se',  # control characters in the local part
    b"anna\x0bberg@falun.se",
    b"Anna\x00 <anna.berg@falun.se>",
    b'"anna berg"@falun.se',  # a space in the address
    b"anna@[192.0.2.1]",
    b"a" * 65 + b"@falun.se",  # local part over 64 octets
    b"a" * 60 + b"@" + b".".join([b"b" * 60] * 4) + b".se",  # address over 254 octets
    b"=?utf-8?q?anna?= anna.berg@falun.se",
    b"Anna " + b"a." * 2000 + b" <anna.berg@falun.se>",  # over the 998-character line limit
])
def test_a_malformed_or_ambiguous_from_gives_no_address(from_value):
    sender = parse_sender(parse_bytes(mail(from_value)))
    assert sender.address is None and sender.problem


def test_two_from_headers_give_no_address():
    raw = mail(b"attacker@attacker.example", extra=b"From: anna.berg@falun.se\r\n")
    assert parse_sender(parse_bytes(raw)).address is None


def test_the_spoofed_display_name_is_not_counted_as_falun():
    record = parse_message(mail(SPOOF, template_text()), CONTEXT)
    assert record.sender == "attacker@attacker.example"
    assert "unknown_sender" in {p.code for p in record.problems}  # never counted: held for review


def test_an_invalid_from_is_a_problem_on_the_record():
    record = parse_message(mail(b"anna.berg@falun.se, attacker@attacker.example", template_text()), CONTEXT)
    assert record.sender is None
    [problem] = [p for p in record.problems if p.code == "invalid_sender"]
    assert "Avsändaradressen" in problem.message


def test_raw_utf8_subject_and_from_are_readable_and_name_the_municipality():
    raw = mail("Lägesbild Älvdalen <info@example.org>", template_text().replace("kommun: Mora", "kommun:"),
               subject="Lägesbild Älvdalen oktober".encode())
    msg = parse_bytes(raw)
    assert header(msg, "Subject") == "Lägesbild Älvdalen oktober"
    assert header(msg, "From") == "Lägesbild Älvdalen <info@example.org>"
    record = parse_message(raw, CONTEXT)
    assert record.subject == "Lägesbild Älvdalen oktober" and record.municipality == "Älvdalen"


def test_windows_1252_subject_falls_back():
    raw = mail(b"info@example.org", subject="Lägesbild Älvdalen".encode("cp1252"))
    assert header(parse_bytes(raw), "Subject") == "Lägesbild Älvdalen"


def test_utf8_subject_with_encoded_words_decodes_both():
    raw = mail(b"info@example.org", subject="Lägesbild =?utf-8?q?=C3=84lvdalen?= okt".encode())
    assert header(parse_bytes(raw), "Subject") == "Lägesbild Älvdalen okt"


OUR_SERVER = b"Authentication-Results: mx.lansstyrelsen.se; dkim=pass header.d=attacker.example; " \
             b"spf=pass smtp.mailfrom=attacker.example; dmarc=pass header.from=attacker.example\r\n"


@pytest.mark.parametrize("from_value, extra, failures", [
    (SPOOF, OUR_SERVER, []),  # the checks were about the address we use
    (b"Anna <anna.berg@falun.se>", OUR_SERVER, ["header.from mismatch"]),
    (b"Anna <anna.berg@FALUN.se>", b"Authentication-Results: mx; dmarc=pass header.from=falun.se\r\n", []),
    (b"Anna <anna.berg@falun.se>", b"Authentication-Results: mx; dmarc=fail header.from=attacker.example\r\n",
     ["dmarc=fail", "header.from mismatch"]),
    (b"Anna <anna.berg@falun.se>", b"Authentication-Results: mx; dkim=pass header.d=falun.se\r\n", []),
    # only the topmost header is ours; a forged one further down is not looked at
    (b"Anna <anna.berg@falun.se>", b"Authentication-Results: mx; dmarc=pass header.from=falun.se\r\n"
     b"Authentication-Results: forged; dmarc=pass header.from=elsewhere.example\r\n", []),
    (b"a@x.se, b@falun.se", b"Authentication-Results: mx; dmarc=pass header.from=falun.se\r\n",
     ["header.from mismatch"]),
])
def test_header_from_in_our_authentication_results_must_match_the_sender(from_value, extra, failures):
    assert authentication_failures(parse_bytes(mail(from_value, extra=extra))) == failures


def test_a_long_from_costs_nothing_in_the_parent():
    """The headers-only record (built in the poll's parent after a timeout) reads a bounded header."""
    raw = mail(b"Anna " + b"a." * 200_000, template_text())
    start = time.perf_counter()
    record = headers_only_record(raw, CONTEXT, Problem("processing_timeout", "x"))
    assert time.perf_counter() - start < 2.0
    assert record.sender is None and [p.code for p in record.problems] == ["processing_timeout"]


def test_spoofed_sender_through_a_whole_poll(tmp_path):
    """Counted never, answered never at the spoofed address; the header.from mismatch is held."""
    path = tmp_path / "config.toml"
    path.write_text('[storage]\ndatabase = "mailbot.db"\n[maildir]\npath = "maildir"\n[outbox]\ndirectory = "outbox"\n')
    config = load_config(path)
    raws = [
        mail(SPOOF, template_text()),
        mail(b"Anna <anna.berg@falun.se>", template_text(), extra=OUR_SERVER),
        mail(b"anna.berg@falun.se, attacker@attacker.example", template_text()),
        mail(b"Kommunen: anna.berg@falun.se;", template_text()),
        mail(b"x@attacker.example@falun.se", template_text()),
        mail(b"Anna (Falun <attacker@attacker.example>", template_text()),
    ]
    box = MaildirMailbox(config.maildir)
    for raw in raws:
        box.append("INBOX", raw, None)
    box.close()

    report = poll_once(config)

    assert (report.seen, report.errors) == (len(raws), 0)
    db = open_db(config.database)
    assert list(db["submissions"].rows) == []
    recipients = " ".join(row["recipients"] for row in db["outbox"].rows).lower()
    assert "falun.se" not in recipients
    for row in db["outbox"].rows:
        sent = message_from_bytes(row["raw"], policy=policy.default)
        assert "falun.se" not in str(sent["To"]).lower()
