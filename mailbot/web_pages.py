"""What the web desk's Översikt, Kommun and Granska pages show, as plain data for the templates.

Each function turns what the library already computes (summary.build_summary,
review.held, the stored parse of a held mail) into rows and words; none of
them reads SQL of its own or renders HTML.
"""

from __future__ import annotations

import json
import logging

from parsers.questions import BY_NUMBER
from parsers.vocabulary import COLOR_NAMES, LEVEL_NAMES
from rules.loader import load_rules, rules_from_texts
from rules.model import RulesError

from .config import Config
from .decide import rating_label
from .digest import WHY
from .status import STATUS_SV
from .store import Store
from .summary import RATED, Summary, Watch
from .web_original import Original, read_original

logger = logging.getLogger(__name__)

MAIL_KINDS_SV = {"report": "lägesbild", "auto_reply": "autosvar", "bounce": "leveransrapport",
                 "other": "annat mejl (ingen lägesbild)"}
# Hold reasons the daily digest (digest.WHY) has no words for
WHY_SV = {"no_report": "ingen lägesbild hittades", "joint_report": "flera kommuner i samma rapport",
          "nothing_to_correct": "en rättelse utan någon rapport att rätta"}


def rating_cell(score: int | None, color: str | None, otherwise: str) -> dict:
    """A heatmap or trend cell: its CSS class and the level in words (readable without colour)."""
    if score in LEVEL_NAMES:
        return {"css": f"level-{score}", "text": f"{score} {LEVEL_NAMES[score]}"}
    if color in COLOR_NAMES:
        return {"css": f"light-{color}", "text": COLOR_NAMES[color]}
    return {"css": "none", "text": otherwise}


def heatmap(summary: Summary) -> dict:
    """The county picture as table data: municipalities × questions 1-6 for the summary's month."""
    rows = []
    for row in summary.rows:
        if row.reported:
            cells = [rating_cell(m.score if m else None, m.color if m else None, "ej bedömd") for m in row.marks]
        else:
            cells = []
        rows.append({"name": row.name, "status": STATUS_SV.get(row.status, row.status), "cells": cells})
    return {"questions": [(q, BY_NUMBER[q].short or BY_NUMBER[q].title) for q in RATED], "rows": rows}


def watch_words(watch: Watch) -> str:
    """'Mora: fråga 2 (Hot och våld) från 2 (Avvikande) till 4 (Allvarligt), september 2026 – oktober 2026'."""
    labels = [m.label for m in watch.marks]
    via = f" via {', '.join(labels[1:-1])}" if len(labels) > 2 else ""
    return (f"{watch.municipality}: fråga {watch.question} ({watch.title}) från {labels[0]}{via} till {labels[-1]}, "
            f"{watch.months}")


def signal_rows(summary: Summary, by_rule: list[tuple], titles: dict[str, str]) -> list[dict]:
    """Per unit (most signals first): its name, the count, the rules that fired with their counts, municipalities."""
    rules: dict[str, list[str]] = {}
    for unit, rule, count in by_rule:
        rules.setdefault(unit or "", []).append(f"{titles.get(rule, rule)} ({count})")
    return [{"name": u.name, "count": u.count, "rules": rules.get(u.unit, []), "municipalities": u.municipalities}
            for u in summary.signals]


def rule_titles(store: Store, config: Config) -> dict[str, str]:
    """Rule name -> the title units read, from the rule files, else the last valid ones, else the shipped ones."""
    try:
        rules = load_rules(config.rules_dir)
    except (RulesError, OSError):
        try:
            snapshot = store.rules_snapshot()
            rules = rules_from_texts(snapshot) if snapshot else load_rules(None)
        except RulesError:
            return {}
    return {r.name: r.display for r in rules.rules}


def understood(message: dict, row: dict) -> dict:
    """What the bot read in a held mail, in Swedish: kind, municipality, month, ratings, why it is held."""
    parsed = json.loads(message["parsed_json"]) if message.get("parsed_json") else {}
    messages = {p.get("code"): p.get("message") for p in parsed.get("problems", []) if isinstance(p, dict)}
    reasons = [WHY_SV.get(code) or WHY.get(code) or messages.get(code) or code for code in row["problems"]]
    ratings = [(a["question"], rating_label(a.get("score"), a.get("color")))
               for a in parsed.get("answers", []) if isinstance(a, dict) and a.get("question") in RATED]
    return {"kind": MAIL_KINDS_SV.get(row["kind"], row["kind"] or "okänt"), "reasons": reasons, "ratings": ratings}



def original_of(message: dict) -> tuple[Original | None, bool]:
    """(the original as shown, whether it could not be read); (None, False) when retention removed it."""
    if message.get("raw") is None:
        return None, False
    try:
        return read_original(message["raw"]), False
    except Exception:  # noqa: BLE001 - one mail the page cannot show must not hide the others
        logger.exception("web desk: could not show mail %s", message.get("id"))
        return None, True
