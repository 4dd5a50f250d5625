"""classify(): bounces, automatic replies and mail written by people."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.classify import classify, is_mailing_list, is_noreply_address, looks_like_out_of_office

SAMPLES = Path(__file__).parent / "samples"


def load(relative: str, policy=email.policy.default) -> EmailMessage:
    return email.message_from_bytes((SAMPLES / relative).read_bytes(), policy=policy)


def make(
    subject: str = "Lägesbild oktober",
    body: str = "Hej!",
    sender: str = "Anna Berg <anna.berg@mora.se>",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>"
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def dsn(action: str) -> EmailMessage:
    raw = f"""From: Mail System <mailer@lansstyrelsen.se>
To: lagesbild-fas.dalarna@lansstyrelsen.se
Subject: Delivery Status Notification
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Rapport om leverans.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.lansstyrelsen.se

Final-Recipient: rfc822; anna.berg@mora.se
Action: {action}
Status: 2.0.0

--b1--
"""
    return email.message_from_bytes(raw.encode(), policy=email.policy.default)


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("auto_reply/exchange-oof-sv.eml", "auto_reply"),
        ("auto_reply/franvaro-without-headers.eml", "auto_reply"),
        ("auto_reply/gmail-vacation-en.eml", "auto_reply"),
        ("auto_reply/exchange-read-receipt-sv.eml", "auto_reply"),
        ("bounce/postfix-undelivered.eml", "bounce"),
        ("bounce/exchange-ndr-sv.eml", "bounce"),
        ("bounce/exim-mail-delivery-failed.eml", "bounce"),
        ("other/gagnef-question.eml", None),
        ("other/mora-thunderbird-reply.eml", None),
        ("other/newsletter-bulk.eml", None),
    ],
)
@pytest.mark.parametrize("policy", [email.policy.default, email.policy.compat32], ids=["default", "compat32"])
def test_sample_mails(relative, expected, policy):
    assert classify(load(relative, policy)) == expected


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Automatiskt svar: Lägesbild oktober", "auto_reply"),
        ("Autosvar: Lägesbild oktober", "auto_reply"),
        ("Frånvaromeddelande", "auto_reply"),
        ("Out of Office: Lägesbild oktober", "auto_reply"),
        ("Automatic reply: Lägesbild oktober", "auto_reply"),
        ("Abwesenheitsnotiz: Lagebild", "auto_reply"),
        ("Autoreply: Lägesbild", "auto_reply"),
        ("Ej på plats: Lägesbild oktober", "auto_reply"),
        ("Läst: Påminnelse: lägesbild oktober", "auto_reply"),
        ("Undeliverable: Påminnelse", "bounce"),
        ("Olevererbart: Påminnelse", "bounce"),
        ("Delivery Status Notification (Failure)", "bounce"),
        ("Mail delivery failed: returning message to sender", "bounce"),
        ("Returned mail: see transcript for details", "bounce"),
        ("Det gick inte att leverera: Påminnelse", "bounce"),
        ("Undelivered Mail Returned to Sender", "bounce"),
        ("SV: Automatiskt svar: Lägesbild oktober", None),
        ("VB: Olevererbart: Påminnelse", None),
        ("Frånvaro på skolorna i oktober", None),
        ("Lägesbild oktober Mora", None),
    ],
)
def test_subjects(subject, expected):
    assert classify(make(subject=subject, body="Hej! En fråga om lägesbilden.")) == expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
        ({"Auto-Submitted": "auto-generated; type=vacation"}, "auto_reply"),
        ({"Auto-Submitted": "no"}, None),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"X-Autorespond": "Lägesbild oktober"}, "auto_reply"),
        ({"Precedence": "auto_reply"}, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All"}, None),
        ({"X-Auto-Response-Suppress": "All", "X-MS-Exchange-Inbox-Rules-Loop": "a@mora.se"}, None),
        ({"X-Auto-Response-Suppress": "All", "Precedence": "bulk"}, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All", "Precedence": "bulk", "List-Id": "<x.mora.se>"}, None),
        ({"Precedence": "bulk"}, None),
        ({"X-Failed-Recipients": "per.olsson@smedjebacken.se"}, "bounce"),
        ({"X-MS-Exchange-Message-Is-Ndr": ""}, "bounce"),
    ],
)
def test_headers(headers, expected):
    assert classify(make(subject="Lägesbild oktober", body="Hej! En fråga.", headers=headers)) == expected


@pytest.mark.parametrize(
    "sender, expected",
    [
        ("MAILER-DAEMON@mx1.lansstyrelsen.se (Mail Delivery System)", "bounce"),
        ("Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "bounce"),
        ("postmaster@falun.se", "bounce"),
        ("Anna Berg <anna.berg@mora.se>", None),
    ],
)
def test_bounce_senders(sender, expected):
    assert classify(make(subject="Meddelande", body="Text.", sender=sender)) == expected


@pytest.mark.parametrize(
    "action, expected",
    [("failed", "bounce"), ("delayed", "bounce"), ("delivered", "auto_reply"), ("relayed", "auto_reply")],
)
def test_delivery_status_actions(action, expected):
    assert classify(dsn(action)) == expected


OOO_BODY = "Hej!\n\nJag är ledig till och med 14 november.\n\nLena Holm\nRättviks kommun"


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        pytest.param({"subject": "Frånvaro", "body": OOO_BODY}, "auto_reply", id="plain-body"),
        pytest.param({"subject": "Lägesbild oktober", "body": OOO_BODY,
                      "html": "<p>Jag är på semester till och med den 16 november.</p>"},
                     "auto_reply", id="plain-and-html"),
        pytest.param({"subject": "Lägesbild oktober", "body": OOO_BODY,
                      "attachment": ("Lägesbild oktober Rättvik.docx", b"PK\x03\x04 fake")},
                     None, id="report-attached-by-person-going-on-leave"),
        pytest.param({"subject": "Lägesbild oktober",
                      "body": OOO_BODY + "\n\nFråga 1, Ordningsstörningar och otrygghet:\nLugnt.\nPåverkan: 1"},
                     None, id="report-in-body"),
        pytest.param({"subject": "Lägesbild oktober", "body": OOO_BODY + "\n" + "Mer text om läget. " * 70},
                     None, id="long-body"),
        pytest.param({"subject": "Fråga", "body": "Hej! När ska oktober-rapporten vara inne?\n\nMaria"},
                     None, id="human-question"),
        pytest.param({"subject": "SV: Påminnelse", "body": "Vi skickar på fredag.\n\n"
                      "Den 2026-11-04 kl. 08:00, skrev Lägesbild FAS Dalarna:\n> Jag är tillbaka den 16 november."},
                     None, id="ooo-text-only-in-quote"),
    ],
)
def test_body_out_of_office(kwargs, expected):
    assert classify(make(**kwargs)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jag är på semester till och med 16 november.", True),
        ("Hej! Jag är tjänstledig t.o.m. 30/11. Kontakta växeln.", True),
        ("Jag är föräldraledig fram till januari 2027.", True),
        ("Jag är för närvarande sjukskriven och åter den 20 november.", True),
        ("Jag är tillbaka den 16 november.", True),
        ("Jag är åter måndag 16/11.", True),
        ("Jag har begränsad tillgång till e-post under veckan.", True),
        ("I am out of the office until Monday 16 November.", True),
        ("I'm on vacation and will be back on 16 November.", True),
        ("Hej! När ska oktober-rapporten vara inne?", False),
        ("Jag är ledig.", False),
        ("Eleverna är på semester till och med söndag.", False),
        ("Jag är ledig till och med fredag.\nFråga 1, Ordningsstörningar och otrygghet:\nPåverkan: 2", False),
        ("", False),
    ],
)
def test_looks_like_out_of_office(text, expected):
    assert looks_like_out_of_office(text) is expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"List-Id": "Trygghet i Dalarna <nyhetsbrev.trygghetidalarna.se>"}, True),
        ({"List-Unsubscribe": "<mailto:avregistrera@trygghetidalarna.se>"}, True),
        ({"Precedence": "list"}, True),
        ({"Precedence": "Bulk"}, True),
        ({"Precedence": "auto_reply"}, False),
        ({}, False),
    ],
)
def test_is_mailing_list(headers, expected):
    assert is_mailing_list(make(headers=headers)) is expected


def test_newsletter_sample_is_a_mailing_list():
    assert is_mailing_list(load("other/newsletter-bulk.eml"))
    assert not is_mailing_list(load("other/gagnef-question.eml"))


@pytest.mark.parametrize(
    "addr, expected",
    [
        ("noreply@nyhetsbrev.trygghetidalarna.se", True),
        ("Trygghet i Dalarna <no-reply@trygghetidalarna.se>", True),
        ("no_reply@falun.se", True),
        ("DoNotReply@lansstyrelsen.se", True),
        ("do-not-reply+12@falun.se", True),
        ("MAILER-DAEMON@mx1.lansstyrelsen.se", True),
        ("MAILER-DAEMON", True),
        ("postmaster@falun.se", True),
        ("<>", True),
        ("", True),
        ("anna.berg@mora.se", False),
        ("Anna Noreplysson <anna.n@mora.se>", False),
        ("postmastersson@falun.se", False),
    ],
)
def test_is_noreply_address(addr, expected):
    assert is_noreply_address(addr) is expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_classify_without_raising(raw):
    prefix = b"From: a@mora.se\r\nSubject: x\r\nContent-Type: multipart/report; boundary=b\r\n\r\n--b\r\n"
    for data in (raw, prefix + raw):
        assert classify(email.message_from_bytes(data, policy=email.policy.default)) in {
            None, "bounce", "auto_reply"}
