"""Trust the record, the pure decision: conflicts are held, corrections merge, nothing current is replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mailbot.compose import render
from mailbot.config import load_config
from mailbot.decide import REVIEW, Facts, decide, merge_correction
from parsers.model import Answer, ParsedMail, Problem

CONFIG = load_config()
ON_TIME = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
FULL = tuple(Answer(n, 2 if n < 7 else None, None, f"svar {n}") for n in range(1, 8))


def report(**kw) -> ParsedMail:
    base = ParsedMail(message_id="<m1@mora.se>", sender="anna@mora.se", kind="report", municipality="Mora",
                      period="2026-10", source="body", subject="SV: Lägesbild oktober", answers=list(FULL))
    return replace(base, **kw)


@pytest.mark.parametrize("code", ["municipality_conflict", "period_conflict", "joint_report", "invalid_sender"])
def test_a_conflict_is_held_and_replaces_nothing(code):
    d = decide(report(problems=[Problem(code, "Dokumentet gäller november 2026 men ämnesraden säger oktober 2026.")]),
               Facts(ON_TIME, previous_answers=FULL), CONFIG)
    assert not d.counted and d.folder == REVIEW and d.answers == []
    if code != "invalid_sender":
        [receipt] = [o for o in d.outgoing if o.kind == "receipt"]
        text = render(receipt.template, receipt.context)[0]
        assert "har inte räknats ännu" in text and "Den tidigare rapporten gäller tills dess" in text
        assert "november 2026" in text


def test_a_correction_changes_only_what_it_names():
    merged, changed = merge_correction(FULL, [Answer(2, 3, None, None), Answer(5, None, None, "ny text")])
    assert changed == {2, 5}
    assert merged[1] == Answer(2, 3, None, "svar 2")  # rating changed, text kept
    assert merged[4] == Answer(5, 2, None, "ny text")  # text changed, rating kept
    assert merged[6] == FULL[6] and len(merged) == 7


def test_a_correction_by_reply_counts_the_merged_report_and_marks_the_change():
    d = decide(report(partial=True, answers=[Answer(2, 3, None, None)]), Facts(ON_TIME, previous_answers=FULL),
               CONFIG)
    assert d.counted and [a.score for a in d.answers] == [2, 3, 2, 2, 2, 2, None]
    assert [a.text for a in d.answers] == [f"svar {n}" for n in range(1, 8)]
    [receipt] = d.outgoing
    text = render(receipt.template, receipt.context)[0]
    assert "Tack för rättelsen" in text
    rows = [line for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert rows[1].endswith("3 (Oroande) *") and not rows[0].endswith("*")


def test_a_correction_with_nothing_to_correct_is_held():
    d = decide(report(partial=True, answers=[Answer(2, 3, None, None)]), Facts(ON_TIME), CONFIG)
    assert not d.counted and d.folder == REVIEW
    assert "nothing_to_correct" in [p.code for p in d.problems]


def test_an_old_month_says_what_it_replaced_and_what_is_still_missing():
    d = decide(report(period="2026-09"), Facts(ON_TIME, previous_submission_at="2026-10-02 kl. 09:00",
                                               replaces_period="2026-09", current_missing="2026-10"), CONFIG)
    text = render(d.outgoing[0].template, d.outgoing[0].context)[0]
    assert "för september 2026 (2026-10-02 kl. 09:00)" in text
    assert "lägesbilden för oktober 2026 har vi ännu inte fått" in text
