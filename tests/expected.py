"""Compare a `mailbot parse` record with an .expected.json (only the fields present)."""

from __future__ import annotations

import re
import unicodedata


def _norm(text) -> str:
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", " ", text).strip().casefold()


def mismatches(actual: dict, expected: dict) -> list[str]:
    """Human-readable differences; empty when the record meets every expectation."""
    out = []
    for key in ("kind", "period"):
        if key in expected and actual.get(key) != expected[key]:
            out.append(f"{key}: {actual.get(key)!r} != {expected[key]!r}")
    if "municipality" in expected and _norm(actual.get("municipality") or "") != _norm(expected["municipality"] or ""):
        out.append(f"municipality: {actual.get('municipality')!r} != {expected['municipality']!r}")
    source = actual.get("source") or ""
    if "source_kind" in expected:
        kind = None if not source else source.split(":", 1)[0]
        if kind != expected["source_kind"]:
            out.append(f"source kind: {source!r} != {expected['source_kind']!r}")
    if "source_name" in expected:
        name = source.split(":", 1)[1] if ":" in source else None
        if unicodedata.normalize("NFC", name or "") != unicodedata.normalize("NFC", expected["source_name"]):
            out.append(f"source name: {name!r} != {expected['source_name']!r}")
    by_question = {a["question"]: a for a in actual.get("answers", [])}
    for number, want in expected.get("answers", {}).items():
        got = by_question.get(int(number))
        if got is None:
            out.append(f"question {number}: missing")
            continue
        if "score" in want and (got["score"], got["color"]) != (want["score"], want.get("color")):
            out.append(f"question {number}: rating {(got['score'], got['color'])} != {(want['score'], want.get('color'))}")
        for phrase in want.get("text_contains", []):
            if _norm(phrase) not in _norm(got["text"]):
                out.append(f"question {number}: text lacks {phrase!r}: {got['text']!r}")
    signals = {s["rule"] for s in actual.get("signals", [])}
    problems = {p["code"] for p in actual.get("problems", [])}
    for rule in expected.get("signals_present", []):
        if rule not in signals:
            out.append(f"signal {rule} missing")
    for rule in expected.get("signals_absent", []):
        if rule in signals:
            out.append(f"signal {rule} should be absent")
    for code in expected.get("problems_present", []):
        if code not in problems:
            out.append(f"problem {code} missing (got {sorted(problems)})")
    for code in expected.get("problems_absent", []):
        if code in problems:
            out.append(f"problem {code} should be absent")
    if expected.get("problems_any_of") and not problems & set(expected["problems_any_of"]):
        out.append(f"none of the problems {expected['problems_any_of']} (got {sorted(problems)})")
    return out
