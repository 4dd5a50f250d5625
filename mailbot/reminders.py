"""Reminders and notices about missing reports: pure decisions over a period's status.

Each mail has a dedupe key, so however often the daily job runs, a
municipality gets each reminder at most once per period, and never one
after it has reported.
"""

from __future__ import annotations

from datetime import date, timedelta

from .config import Config
from .deadlines import format_period, parse_period, previous_month
from .decide import Outgoing, period_label

WINDOW_DAYS = 14  # how long after its day a reminder may still go out (the daemon was down)


def periods_in_play(today: date) -> list[str]:
    """The periods whose reminders can be due today: last month's and this month's."""
    prev = previous_month(today.year, today.month)
    return [format_period(*prev), format_period(today.year, today.month)]


def due_reminders(config: Config, status: dict, today: date, contacts: dict[str, tuple[str, ...]],
                  *, after_deadline: bool = True) -> list[Outgoing]:
    """The reminder mails due today for one period's `status` (see status.period_status).

    `contacts` maps a municipality to the addresses that get its reminders
    (configured addresses, else its latest registered sender). With
    `after_deadline` False the notices to the missing and the administrators'
    list are held back (the mailbox has not been read since the deadline).
    """
    period = status["period"]
    deadline = date.fromisoformat(status["deadline"])
    label = period_label(period)
    context = {"county": config.county.name, "period": label, "period_code": period,
               "deadline": deadline.isoformat(), "mailbox": config.county.mailbox}
    out: list[Outgoing] = []
    before = deadline - timedelta(days=config.reminders.days_before)
    after = deadline + timedelta(days=config.reminders.notice_days_after)
    if config.reminders.days_before and before <= today <= deadline:
        for row in status["municipalities"]:
            if row["status"] == "pending" and contacts.get(row["name"]):
                out.append(Outgoing(
                    f"reminder:{period}:{row['name']}:before", "reminder", contacts[row["name"]],
                    f"Påminnelse: lägesbild för {label} senast {deadline.isoformat()}", "reminder",
                    {**context, "municipality": row["name"]}))
    if after_deadline and after <= today <= after + timedelta(days=WINDOW_DAYS):
        missing = [row["name"] for row in status["municipalities"] if row["status"] == "missing"]
        for name in missing:
            if contacts.get(name):
                out.append(Outgoing(
                    f"reminder:{period}:{name}:after", "reminder", contacts[name],
                    f"Lägesbild för {label} saknas", "missing_notice", {**context, "municipality": name}))
        if missing:
            out.append(Outgoing(
                f"admin:missing:{period}", "admin_notice", config.county.admins,
                f"mailbot: {len(missing)} kommuner har inte lämnat lägesbild för {label}", "admin_missing",
                {**context, "missing": missing, "without_address": [n for n in missing if not contacts.get(n)]}))
    return out


def summary_due(status: dict, today: date) -> bool:
    """The monthly summary goes out from the day after the deadline (once: its key is per period)."""
    deadline = date.fromisoformat(status["deadline"])
    return deadline < today <= deadline + timedelta(days=WINDOW_DAYS)


def year_of(period: str) -> int:
    return parse_period(period)[0]
