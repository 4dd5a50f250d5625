"""Forwards speak the unit's language: display names, each sentence once with every hit marked."""

from __future__ import annotations

from datetime import UTC, datetime

from mailbot.compose import render
from mailbot.config import load_config
from mailbot.decide import Facts, decide
from parsers.model import Answer, ParsedMail
from rules.loader import SHIPPED_DIRECTORY, load_rules
from rules.matcher import match

CONFIG = load_config()
RULES = load_rules(SHIPPED_DIRECTORY)
SENTENCE = "Narkotika säljs öppet och narkotikahandeln har ökat kring knarkkvarter vid skolan."


def parsed_report() -> ParsedMail:
    answers = [Answer(n, 1, None, "Lugnt.") for n in range(1, 7)] + [Answer(7, None, None, "Nattvandring.")]
    answers[1] = Answer(2, 5, None, "Hot mot personal.")
    answers[4] = Answer(5, 2, None, f"{SENTENCE} Andra meningen om droger i parken.")
    return ParsedMail(message_id="<m@mora.se>", sender="anna@mora.se", kind="report", municipality="Mora",
                      period="2026-10", source="body", subject="Lägesbild oktober", answers=answers,
                      signals=match(answers, RULES))


def test_a_forward_names_signals_and_marks_each_sentence_once():
    decision = decide(parsed_report(), Facts(datetime(2026, 11, 3, tzinfo=UTC)), CONFIG, RULES)
    forwards = {o.context["unit"]: o for o in decision.outgoing if o.kind == "forward"}
    andt = next(o for name, o in forwards.items() if name.startswith("ANDT"))
    assert "_" not in andt.subject and "Narkotika och droghandel" in andt.subject
    [item] = andt.context["items"]
    assert item["question"] == 5 and item["rules"] == ["Narkotika och droghandel"]
    assert len(item["excerpts"]) == len(set(item["excerpts"])) == 2  # two sentences, each once
    first = item["excerpts"][0]
    assert first.count("»") >= 3 and "»Narkotika«" in first and "»narkotikahandeln«" in first
    crime = [o for o in forwards.values() if "Hög påverkan på fråga 2" in o.subject]
    assert crime, [o.subject for o in forwards.values()]
    for outgoing in decision.outgoing:
        text = render(outgoing.template, outgoing.context)[0]
        assert "hög_påverkan" not in text and "hög_påverkan" not in outgoing.subject
