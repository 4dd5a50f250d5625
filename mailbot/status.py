"""Who has reported for a period: on time, late, missing or pending (pure over the store)."""

from __future__ import annotations

from datetime import date, datetime

from .config import Config
from .deadlines import SWEDEN, deadline_for, parse_period, period_for_sent_date
from .store import Store


def default_period(config: Config, today: date) -> str:
    """The period whose deadline is next or just passed."""
    return period_for_sent_date(today, config.deadline)


def period_status(store: Store, config: Config, period: str, today: date) -> dict:
    deadline = deadline_for(*parse_period(period), config.deadline)
    rows: list[dict[str, str | None]] = []
    held = store.held_municipalities(period)
    for municipality in config.directory.municipalities:
        first = store.first_submission(municipality.name, period)
        if first is not None:
            received = datetime.fromisoformat(first.received_at).astimezone(SWEDEN)
            status = "on_time" if received.date() <= deadline else "late"
            rows.append({"name": municipality.name, "status": status, "received": received.isoformat()})
        elif municipality.name in held:  # nothing counted yet, but a mail of theirs waits in review
            rows.append({"name": municipality.name, "status": "held", "received": None})
        else:
            rows.append({"name": municipality.name, "status": "missing" if today > deadline else "pending",
                         "received": None})
    return {"period": period, "deadline": deadline.isoformat(), "municipalities": rows}


STATUS_SV = {"on_time": "i tid", "late": "sen", "missing": "saknas", "pending": "väntar", "held": "granskas"}


def format_table(result: dict) -> str:
    lines = [f"Period {result['period']}, deadline {result['deadline']}", ""]
    width = max(len(r["name"]) for r in result["municipalities"])
    for r in result["municipalities"]:
        received = r["received"][:16].replace("T", " ") if r["received"] else ""
        lines.append(f"{r['name']:<{width}}  {STATUS_SV[r['status']]:<8} {received}")
    counts: dict[str, int] = {}
    for r in result["municipalities"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines += ["", ", ".join(f"{STATUS_SV[k]}: {v}" for k, v in sorted(counts.items()))]
    return "\n".join(lines)
