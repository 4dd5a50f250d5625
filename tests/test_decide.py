"""The pure decision: counted or not, which folder, which mails."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mailbot.config import load_config
from mailbot.decide import PROCESSED, REVIEW, Facts, decide
from parsers.model import Answer, ParsedMail, Problem

CONFIG = load_config()
ON_TIME = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
LATE = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)


def report(sender="anna@mora.se", municipality="Mora", problems=(), kind="report", **kw) -> ParsedMail:
    return ParsedMail(message_id="<m1@mora.se>", sender=sender, kind=kind, municipality=municipality,
                      period="2026-10", source="body", subject="Lägesbild oktober",
                      answers=[Answer(n, 2 if n < 7 else None, None, "x") for n in range(1, 8)],
                      problems=list(problems), **kw)


def test_clean_report_is_counted_and_receipted():
    d = decide(report(), Facts(ON_TIME), CONFIG)
    assert (d.counted, d.folder, d.on_time) == (True, PROCESSED, True)
    [receipt] = d.outgoing
    assert receipt.kind == "receipt" and receipt.recipients == ("anna@mora.se",)
    assert receipt.subject == "SV: Lägesbild oktober" and receipt.in_reply_to == "<m1@mora.se>"
    assert receipt.context["questions"][0]["rating"] == "2 (Avvikande)"


def test_late_report_is_counted_as_late():
    d = decide(report(), Facts(LATE), CONFIG)
    assert d.counted and d.on_time is False


def test_unknown_sender_is_not_counted_and_gets_a_receipt_that_quotes_nothing():
    hostile = "Lägesbild <b>" + "A" * 5000
    parsed = replace(report(sender="x@gmail.com", problems=[Problem("unknown_sender", "okänd"),
                                                            Problem("invalid_score", f"Fråga 2: '{hostile}'", 2)]),
                     subject=hostile, source=f"attachment:{hostile}.docx")
    d = decide(parsed, Facts(ON_TIME), CONFIG)
    assert not d.counted and d.folder == REVIEW
    [receipt] = d.outgoing  # the administrators hear of it in the daily digest
    assert receipt.kind == "receipt" and receipt.subject == "Lägesbild mottagen"
    assert hostile not in repr(receipt.context) and receipt.context["problems"] == []


def test_a_stranger_is_answered_only_for_a_report_shaped_mail():
    spam = report(sender="offer@spam.example", kind="other", municipality=None, problems=[Problem("no_report", "x")])
    assert decide(spam, Facts(ON_TIME), CONFIG).outgoing == []
    no_answers = replace(report(sender="x@gmail.com"), answers=[])
    assert decide(no_answers, Facts(ON_TIME), CONFIG).outgoing == []
    question = report(sender="anna@mora.se", kind="other", problems=[Problem("no_report", "x")])
    assert [o.kind for o in decide(question, Facts(ON_TIME), CONFIG).outgoing] == ["reply"]


def test_the_hourly_limit_stops_every_automatic_answer():
    limit = CONFIG.auto_answers_per_hour
    assert decide(report(), Facts(ON_TIME, auto_answers_last_hour=limit - 1), CONFIG).outgoing
    assert decide(report(), Facts(ON_TIME, auto_answers_last_hour=limit), CONFIG).outgoing == []


@pytest.mark.parametrize("written", ['"victim"@gmail.com', "Victim+1@Gmail.COM", "victim+x+y@gmail.com"])
def test_the_per_sender_limit_counts_the_normalised_address(written):
    from mailbot.decide import address_key

    assert address_key(written) == "victim@gmail.com"


@pytest.mark.parametrize("kind, sender, extra, replies", [
    ("auto_reply", "anna@mora.se", {}, 0),
    ("other", "noreply@mora.se", {}, 0),
    ("other", "anna@mora.se", {"mailing_list": True}, 0),
    ("other", "lagesbild-fas.dalarna@lansstyrelsen.se", {}, 0),
    ("other", "anna@mora.se", {}, 3),
    ("report", "anna@mora.se", {}, 10),
])
def test_no_automatic_answer(kind, sender, extra, replies):
    d = decide(report(kind=kind, sender=sender, **extra), Facts(ON_TIME, replies_last_day=replies), CONFIG)
    assert [o for o in d.outgoing if o.kind in ("receipt", "reply")] == []


def test_human_question_gets_a_short_answer_and_review():
    d = decide(report(kind="other", problems=[Problem("no_report", "ingen")]), Facts(ON_TIME), CONFIG)
    assert d.folder == REVIEW and [o.kind for o in d.outgoing] == ["reply"]


def test_resubmission_receipt_says_it_replaces():
    d = decide(report(), Facts(ON_TIME, previous_submission_at="2026-11-02 kl. 10:00"), CONFIG)
    assert d.outgoing[0].context["replaces"] == "2026-11-02 kl. 10:00"


def test_personal_data_goes_to_review_but_counts():
    d = decide(report(problems=[Problem("personal_data", "pnr", 2)]), Facts(ON_TIME), CONFIG)
    assert d.counted and d.folder == REVIEW


def test_failed_authentication_is_held_without_answer():
    d = decide(report(auth_failures=["dmarc=fail"]), Facts(ON_TIME), CONFIG)
    assert not d.counted and d.folder == REVIEW
    assert [o.kind for o in d.outgoing] == ["admin_notice"]
    assert d.outgoing[0].recipients == CONFIG.county.admins


def test_authentication_switch_off_counts_as_usual():
    from dataclasses import replace

    d = decide(report(auth_failures=["spf=fail"]), Facts(ON_TIME), replace(CONFIG, hold_failed_authentication=False))
    assert d.counted


@pytest.mark.parametrize("headers, failures", [
    ([("Authentication-Results", "mx.lansstyrelsen.se; dkim=fail header.d=mora.se; spf=pass; dmarc=fail")],
     ["dkim=fail", "dmarc=fail"]),
    ([("Authentication-Results", "mx.lansstyrelsen.se; dkim=pass; spf=pass; dmarc=pass"),
      ("Authentication-Results", "forged.example; dmarc=fail")], []),  # only the topmost counts
    ([("Authentication-Results", "dkim=none (message not signed); dmarc=none")], []),
    ([], []),
])
def test_authentication_failures_from_the_topmost_header(headers, failures):
    from parsers.mime import authentication_failures, parse_bytes
    from tests.mailbuilder import build_mail

    raw = build_mail()
    prefix = "".join(f"{k}: {v}\r\n" for k, v in headers).encode()
    assert authentication_failures(parse_bytes(prefix + raw)) == failures


@pytest.mark.parametrize("sender, extra", [(None, {}), ("noreply@mora.se", {}), ("anna@mora.se", {"mailing_list": True})])
def test_a_mail_nobody_can_be_answered_about_is_held_for_the_digest(sender, extra):
    parsed = report(kind="other", sender=sender, municipality=None, problems=[Problem("no_report", "oläsbart")], **extra)
    d = decide(parsed, Facts(ON_TIME), CONFIG)
    assert (d.folder, d.outgoing) == (REVIEW, [])  # listed in the daily digest (tests/test_digest.py)


def test_our_own_mail_coming_back_starts_no_loop():
    parsed = report(kind="other", sender=CONFIG.county.admins[0], problems=[Problem("no_report", "x")])
    assert decide(parsed, Facts(ON_TIME), CONFIG).outgoing == []


def test_mails_without_message_id_are_told_apart_by_their_bytes():
    first, second = (replace(report(), message_id=None) for _ in range(2))
    keys = [decide(parsed, Facts(ON_TIME, mail_sha256=digest), CONFIG).outgoing[0].dedupe_key
            for parsed, digest in ((first, "a" * 64), (second, "b" * 64))]
    assert keys == ["receipt:sha256:" + "a" * 64, "receipt:sha256:" + "b" * 64]


def test_a_forward_names_the_folder_the_report_went_to():
    from parsers.model import Signal
    from rules.loader import load_rules

    rules = load_rules(None)
    signals = [Signal("narkotika", 5, "narkotikahandel vid skateparken")]
    clean = decide(report(signals=signals), Facts(ON_TIME), CONFIG, rules)
    held = decide(report(signals=signals, problems=[Problem("personal_data", "pnr", 2)]), Facts(ON_TIME), CONFIG, rules)
    [forward] = [o for o in clean.outgoing if o.kind == "forward"]
    assert forward.context["folder"] == CONFIG.folders.processed == "Behandlade"
    [forward] = [o for o in held.outgoing if o.kind == "forward"]
    assert forward.context["folder"] == CONFIG.folders.review == "Att granska"
