"""The README tells the truth about the code: every module listed, the reply limits as coded."""

from __future__ import annotations

import re
from pathlib import Path

from mailbot.decide import RECEIPT_LIMIT_PER_DAY, REPLY_LIMIT_PER_DAY

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def test_layout_lists_every_module():
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_/]+\.py)` \|", layout, re.MULTILINE))
    modules = {f"{p.parent.name}/{p.name}" for package in ("mailbot", "parsers", "rules")
               for p in (ROOT / package).glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert modules - listed == set(), "modules missing from the README's layout"
    assert listed - modules == set(), "the README's layout lists modules that do not exist"


def test_reply_limits_match_the_code():
    assert f"at most {RECEIPT_LIMIT_PER_DAY} receipts" in README
    assert f"at most {REPLY_LIMIT_PER_DAY} other replies" in README


def test_no_docstring_points_outside_the_repository():
    for package in ("mailbot", "parsers", "rules"):
        for path in (ROOT / package).glob("*.py"):
            text = path.read_text("utf-8")
            assert "../shared" not in text and "docs/interface" not in text and "domain.md" not in text, path
