"""The administrators' daily digest: every mail held for review since the last one, with what to do.

Per-mail notices about unknown senders, spam and unreadable mail would bury
the administrators; instead the daily county job sends one digest listing
each held mail with the command that resolves it. Urgent notices (a send
that failed for good, a failed authentication check, a bounce, the mailbox
unreadable) still go at once.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from .config import Config
from .deadlines import SWEDEN
from .decide import Outgoing, period_label
from .store import Store

DIGEST_KEY = "admin:digest:"


def due_digest(store: Store, config: Config, today: date) -> Outgoing | None:
    """Today's digest, or None when nothing was held since the last one (or it went out today)."""
    key = f"{DIGEST_KEY}{today.isoformat()}"
    if store.outbox_row(key) is not None:
        return None
    previous = store.latest_outbox_row(DIGEST_KEY)
    held = store.held_since(previous["created_at"] if previous else "")
    if not held:
        return None
    items = [_item(row) for row in held]
    return Outgoing(
        key, "admin_notice", config.county.admins,
        f"mailbot: {len(items)} mejl att granska", "admin_digest",
        {"items": items, "county": config.county.name, "folder": config.folders.review})


def _item(row: dict) -> dict:
    codes = json.loads(row["codes"]) if row["codes"] else []
    received = datetime.fromisoformat(row["internaldate"]).astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
    if row["municipality"] and row["kind"] == "report":
        accept = f"mailbot review accept {row['id']} --municipality {_quoted(row['municipality'])}"
        if not row["period"]:
            accept += " --period ÅÅÅÅ-MM"
        if "unknown_sender" in codes:
            accept += " --register"
    else:
        accept = f"mailbot review accept {row['id']} --municipality KOMMUN --period ÅÅÅÅ-MM"
    return {
        "id": row["id"], "received": received, "sender": row["sender"] or "okänd avsändare",
        "subject": (row["subject"] or "(inget ämne)")[:120], "what": _what(row, codes),
        "municipality": row["municipality"], "period": period_label(row["period"]) if row["period"] else None,
        "accept": accept if row["kind"] == "report" else None, "reject": f"mailbot review reject {row['id']}",
    }


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name or "-" in name else name


WHY = {
    "unknown_sender": "avsändaren finns inte i kommunlistan",
    "unknown_municipality": "kommunen framgår inte",
    "unknown_period": "månaden framgår inte",
    "municipality_conflict": "avsändaren och texten anger olika kommuner",
    "period_conflict": "dokumentet och ämnesraden anger olika månader",
    "unreadable_attachment": "en bilaga gick inte att läsa",
    "encrypted": "mejlet är krypterat (S/MIME) och kan inte läsas",
    "unsupported_format": "en bilaga har ett format som inte kan läsas",
    "personal_data": "rapporten innehåller något som liknar ett personnummer",
    "processing_timeout": "mejlet tog för lång tid att läsa",
    "processing_error": "mejlet kunde inte behandlas",
    "invalid_sender": "avsändaradressen är felaktig eller tvetydig",
}


def _what(row: dict, codes: list[str]) -> str:
    reasons = [WHY[c] for c in dict.fromkeys(codes) if c in WHY]
    if row["kind"] == "other":
        reasons.insert(0, "ingen lägesbild hittades (fråga, skräppost eller annat)")
    elif row["kind"] == "bounce":
        reasons = ["leveransrapport"]
    return "; ".join(reasons) or "behöver granskas"
