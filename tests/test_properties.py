"""Invariants over arbitrary input: the parser always gives a record, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.config import load_config
from mailbot.context import parse_context
from parsers.report import _parse  # the logic inside the never-raise boundary

CONTEXT = parse_context(load_config())
SAMPLES = sorted((Path(__file__).resolve().parent / "samples").rglob("*.eml"))
KINDS = {"report", "auto_reply", "bounce", "other"}


def assert_record(raw: bytes) -> None:
    record = _parse(raw, CONTEXT)  # must not raise: the boundary's catch-all is the last resort
    assert record.kind in KINDS
    json.dumps(record.to_json(), ensure_ascii=False)  # always serialisable
    assert all(p.code and p.message for p in record.problems)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_give_a_record(raw):
    assert_record(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_mutated_sample_mails_give_a_record(path, data):
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 20))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    assert_record(bytes(raw[:cut]) if data.draw(st.booleans()) else bytes(raw))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_body_gives_a_record(text):
    raw = ("From: a@mora.se\r\nSubject: Lägesbild\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           + text).encode("utf-8", errors="surrogatepass")
    assert_record(raw)
