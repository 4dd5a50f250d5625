from datetime import date

import pytest

from mailbot.config import DeadlineConfig
from mailbot.deadlines import deadline_for, period_for_sent_date
from parsers.directory import Directory, Municipality
from parsers.period import find_month, find_week_period, resolve_year
from parsers.personal_data import find_personal_numbers, mask


@pytest.mark.parametrize("text, expected", [
    ("Lägesbild oktober 2026 – Orsa", (10, 2026)),
    ("lagesbild_leksand_2026-09.pdf", (9, 2026)),
    ("Lägesbild okt", (10, None)),
    ("Sociala risker, septembermånad", (9, None)),
    ("Mall för lägesbildsinsamling - Sociala risker, oktober månad", (10, None)),
    ("Rapport 10/2026", (10, 2026)),
    ("LÄGESBILD DECEMBER", (12, None)),
    ("Lägesbild Gagnef", None),
])
def test_find_month(text, expected):
    assert find_month(text) == expected


@pytest.mark.parametrize("text, sent, period", [
    ("Lägesbild v. 44-45", date(2026, 11, 9), "2026-11"),
    ("Lägesbild vecka 43 och 44", date(2026, 11, 2), "2026-10"),
    ("Lägesbild v52", date(2027, 1, 4), "2026-12"),
    ("Lägesbild oktober", date(2026, 11, 2), None),
])
def test_find_week_period(text, sent, period):
    assert find_week_period(text, sent, date(2030, 6, 1)) == period  # the mail's date wins over today


def test_without_a_sent_date_the_context_day_decides():
    assert resolve_year(12, None, None, date(2027, 1, 5)) == "2026-12"
    assert resolve_year(11, None, None, date(2026, 11, 27)) == "2026-11"
    assert find_week_period("Lägesbild v52", None, date(2027, 1, 4)) == "2026-12"


def test_resolve_year_uses_the_latest_month_not_after_sending():
    today = date(2030, 6, 1)  # a mail's date wins over today
    assert resolve_year(12, None, date(2027, 1, 5), today) == "2026-12"
    assert resolve_year(10, None, date(2026, 11, 3), today) == "2026-10"
    assert resolve_year(11, None, date(2026, 11, 27), today) == "2026-11"
    assert resolve_year(9, 2025, date(2026, 11, 3), today) == "2025-09"


@pytest.mark.parametrize("sent, rule, period", [
    (date(2026, 11, 3), "days_after_month_end", "2026-10"),
    (date(2026, 11, 25), "days_after_month_end", "2026-10"),
    (date(2027, 1, 4), "days_after_month_end", "2026-12"),
    (date(2026, 11, 3), "last_working_day", "2026-10"),
    (date(2026, 11, 26), "last_working_day", "2026-11"),
])
def test_period_for_sent_date(sent, rule, period):
    assert period_for_sent_date(sent, DeadlineConfig(rule=rule)) == period


def test_deadline_rules():
    assert deadline_for(2026, 10, DeadlineConfig()) == date(2026, 11, 7)
    # May 2026 ends on a Sunday: the last working day is Friday 29 May.
    assert deadline_for(2026, 5, DeadlineConfig(rule="last_working_day")) == date(2026, 5, 29)
    # December 2026: 31st is nyårsafton (Thursday), so the 30th.
    assert deadline_for(2026, 12, DeadlineConfig(rule="last_working_day")) == date(2026, 12, 30)
    assert deadline_for(2026, 12, DeadlineConfig(rule="last_working_day", non_working_eves=())) == date(2026, 12, 31)


@pytest.mark.parametrize("text, found", [
    ("Eleven 850709-9805 var inblandad", ["850709-9805"]),
    ("19850709-9805", ["19850709-9805"]),
    ("8507099805", ["8507099805"]),
    ("Dnr 2026-1234", []),
    ("Mötet 2026-11-03 kl 10", []),
    ("Ring 0701234567 eller 073-778 69 82", []),
    ("850709-9806 (fel kontrollsiffra)", []),
])
def test_personal_numbers(text, found):
    assert find_personal_numbers(text) == found


def test_mask_keeps_birth_date():
    assert mask("Elev 850709-9805 gick") == "Elev 850709-XXXX gick"


DIRECTORY = Directory((
    Municipality("Mora", ("mora.se",)), Municipality("Säter", ("sater.se",)),
    Municipality("Malung-Sälen", ("malung-salen.se",), ("samordnare@gmail.com",)),
    Municipality("Orsa", ("orsa.se",)),
))


@pytest.mark.parametrize("address, name", [
    ("anna@mora.se", "Mora"), ("ANNA@Mora.SE", "Mora"), ("x@kommun.sater.se", "Säter"),
    ("samordnare@gmail.com", "Malung-Sälen"), ("x@gmail.com", None), ("x@notmora.se", None), (None, None),
])
def test_directory_by_address(address, name):
    found = DIRECTORY.by_address(address)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("text, name", [
    ("Underlaget inlämnat av kommun: Orsa", "Orsa"),
    ("Med vänlig hälsning\nSäters kommun", "Säter"),
    ("Lägesbild oktober Malung-Salen", "Malung-Sälen"),
    ("Orsa och Mora samverkar; underlaget inlämnat av kommun: Mora", "Mora"),
    ("Inget namn här", None),
])
def test_directory_find_in_text(text, name):
    found = DIRECTORY.find_in_text(text)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("year, month, rule, eves, due", [
    (2026, 10, "last_working_day", None, date(2026, 10, 30)),  # 31 October is a Saturday
    (2027, 1, "last_working_day", None, date(2027, 1, 29)),    # 31 January 2027 is a Sunday
    (2026, 5, "last_working_day", None, date(2026, 5, 29)),    # ends on a Sunday
    (2027, 12, "last_working_day", None, date(2027, 12, 30)),  # 31st: nyårsafton (a Friday)
    (2027, 12, "last_working_day", (), date(2027, 12, 31)),    # eves as working days
    (2026, 6, "last_working_day", None, date(2026, 6, 30)),
    (2025, 8, "last_working_day", None, date(2025, 8, 29)),    # 30-31 August 2025 weekend
    (2026, 12, "days_after_month_end", None, date(2027, 1, 7)),  # across the year
    (2027, 2, "days_after_month_end", None, date(2027, 3, 7)),
])
def test_deadlines_across_years(year, month, rule, eves, due):
    config = DeadlineConfig(rule=rule) if eves is None else DeadlineConfig(rule=rule, non_working_eves=eves)
    assert deadline_for(year, month, config) == due


def test_swedish_public_holidays_and_eves_are_not_working_days():
    from mailbot.deadlines import is_working_day

    eves = ("julafton", "midsommarafton", "nyårsafton")
    assert not is_working_day(date(2026, 6, 19), eves)  # midsommarafton 2026
    assert is_working_day(date(2026, 6, 19), ())
    assert not is_working_day(date(2026, 5, 14), eves)  # Kristi himmelsfärd
    assert not is_working_day(date(2026, 6, 6), eves)  # nationaldagen (a Saturday anyway)
    assert not is_working_day(date(2027, 1, 6), eves)  # trettondedag jul, a Wednesday
    assert is_working_day(date(2027, 1, 7), eves)


def test_a_mail_without_a_date_takes_the_year_from_the_context():
    from mailbot.config import load_config
    from mailbot.context import parse_context
    from parsers.report import parse_message
    from tests.mailbuilder import build_mail, template_text

    mail = build_mail(subject="Lägesbild november", body=template_text())
    raw = b"".join(line for line in mail.splitlines(keepends=True) if not line.startswith(b"Date:"))
    assert b"Date:" not in raw
    config = load_config()
    assert parse_message(raw, parse_context(config, today=date(2027, 1, 5))).period == "2026-11"
    assert parse_message(raw, parse_context(config, today=date(2026, 10, 1))).period == "2025-11"
