"""Each fact has one home: no module keeps its own copy of a list defined elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mailbot.config import DEFAULT_FOLDERS
from parsers.vocabulary import COLOR_NAMES, COLOR_RATINGS, LEVEL_NAMES, MONTH_NAMES

ROOT = Path(__file__).resolve().parent.parent


def _strings(path: Path) -> str:
    """The string literals of a module, docstrings left out, one per line."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            docstrings.add(id(body[0].value))
    return "\n".join(n.value for n in ast.walk(tree)
                     if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings)


def _homes(words, at_least: int) -> set[str]:
    """Modules whose literals name `at_least` of `words` (a copy of the list)."""
    found = set()
    for package in ("mailbot", "parsers", "rules"):
        for path in (ROOT / package).glob("*.py"):
            text = _strings(path)
            if sum(bool(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)) for w in words) >= at_least:
                found.add(f"{package}/{path.name}")
    return found


def test_month_names_live_in_the_vocabulary():
    assert _homes(MONTH_NAMES, 3) == {"parsers/vocabulary.py"}


def test_level_and_traffic_light_words_live_in_the_vocabulary():
    assert _homes(LEVEL_NAMES.values(), 3) == {"parsers/vocabulary.py"}
    assert _homes(COLOR_NAMES.values(), 2) == {"parsers/vocabulary.py"}
    assert _homes(COLOR_RATINGS.values(), 2) == {"parsers/vocabulary.py"}


def test_default_folder_names_live_in_the_config():
    assert _homes((DEFAULT_FOLDERS.processed, DEFAULT_FOLDERS.review), 1) == {"mailbot/config.py"}


def test_parsers_read_no_clock_and_import_no_mailbot():
    """parsers/ is pure: the reference day comes in as ParseContext.today."""
    for path in (ROOT / "parsers").glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("today", "now", "utcnow", "time"):
                assert not (isinstance(node.value, ast.Name) and node.value.id in ("date", "datetime", "time")), \
                    f"{path.name}:{node.lineno} reads the clock"
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert node.module.split(".")[0] not in ("mailbot", "rules"), f"{path.name}:{node.lineno}"
