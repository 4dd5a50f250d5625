"""Deadline rules: when a month's report is due, and whether it came on time.

Two rules are in use (README, "Deadlines and reminders"): "the last working day of the month"
and "N days after the month ends". Pure functions; Swedish public holidays
come from the `holidays` package, the eves (julafton, midsommarafton,
nyårsafton) are configurable because they are de facto days off.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .config import DeadlineConfig

SWEDEN = ZoneInfo("Europe/Stockholm")


@lru_cache(maxsize=64)
def _swedish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Sweden(years=year).keys())


def _eves(year: int, names: tuple[str, ...]) -> set[date]:
    days = set()
    if "julafton" in names:
        days.add(date(year, 12, 24))
    if "nyårsafton" in names:
        days.add(date(year, 12, 31))
    if "midsommarafton" in names:
        # Midsummer Day is the Saturday between 20 and 26 June.
        midsummer = next(date(year, 6, d) for d in range(20, 27) if date(year, 6, d).weekday() == 5)
        days.add(midsummer - timedelta(days=1))
    return days


def is_working_day(day: date, eves: tuple[str, ...] = ()) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _swedish_holidays(day.year) and day not in _eves(day.year, eves)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def deadline_for(year: int, month: int, rule: DeadlineConfig) -> date:
    """The last day on which the report for `year-month` counts as on time."""
    end = month_end(year, month)
    if rule.rule == "days_after_month_end":
        return end + timedelta(days=rule.days)
    day = end
    while not is_working_day(day, rule.non_working_eves):
        day -= timedelta(days=1)
    return day


def parse_period(period: str) -> tuple[int, int]:
    year, month = period.split("-")
    return int(year), int(month)


def format_period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def period_for_sent_date(sent: date, rule: DeadlineConfig) -> str:
    """The period a report without a written month most likely covers.

    With "N days after month end" a report always covers a finished month:
    the previous one. With "last working day" it is the month whose deadline
    lies nearest to the day it was sent (3 Nov -> October, 27 Nov -> November).
    """
    prev = previous_month(sent.year, sent.month)
    if rule.rule == "days_after_month_end":
        return format_period(*prev)
    this_gap = abs((deadline_for(sent.year, sent.month, rule) - sent).days)
    prev_gap = abs((sent - deadline_for(*prev, rule)).days)
    return format_period(sent.year, sent.month) if this_gap < prev_gap else format_period(*prev)


def is_on_time(received: datetime, period: str, rule: DeadlineConfig) -> bool:
    """On time when it reached the mailbox by the end of the deadline day, Swedish time."""
    return received.astimezone(SWEDEN).date() <= deadline_for(*parse_period(period), rule)
