"""`mailbot parse` over every sample mail, checked against its .expected.json."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mailbot.cli import cli
from tests.expected import mismatches

HERE = Path(__file__).resolve().parent
OWN = sorted((HERE / "samples").rglob("*.eml"))
SHARED = sorted((HERE / "samples" / "public").glob("*.eml"))  # the project's public samples, copied here


def run_parse(paths: list[Path]) -> list[dict]:
    result = CliRunner().invoke(cli, ["parse", *map(str, paths)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["file"] for r in records] == [str(p) for p in paths]
    return records


def check(paths: list[Path], skip: tuple[str, ...] = ()) -> None:
    failures = {}
    for path, record in zip(paths, run_parse(paths), strict=True):
        expected_path = path.with_suffix(".expected.json")
        if expected_path.exists():
            expected = json.loads(expected_path.read_text("utf-8"))
            problems = mismatches(record, {k: v for k, v in expected.items() if k not in skip})
            if problems:
                failures[path.name] = problems
    assert failures == {}


def test_own_samples():
    assert len(OWN) >= 10
    check(OWN)


def test_shared_samples():
    assert len(SHARED) == 8
    check(SHARED)


def test_every_record_has_the_interface_fields():
    for record in run_parse(OWN):
        assert set(record) >= {"file", "message_id", "from", "kind", "municipality", "period",
                               "source", "answers", "signals", "problems"}
        assert record["kind"] in {"report", "auto_reply", "bounce", "other"}
        for problem in record["problems"]:
            assert problem["message"] and problem["code"]


def test_missing_file_gets_a_line_too(tmp_path):
    result = CliRunner().invoke(cli, ["parse", str(tmp_path / "nope.eml")])
    assert result.exit_code == 66  # an I/O error a script can tell from a mail with no report
    record = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert record["kind"] == "other" and record["problems"] and record["error"].startswith("cannot read")
