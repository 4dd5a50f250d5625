"""Which routing rules run: the rule files as they are now, or the last valid ones.

Every poll reloads the rule files. A valid set is kept as a snapshot in the
database; an invalid edit keeps the snapshot running and the administrators
are told once per distinct mistake.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rules.loader import SHIPPED_DIRECTORY, load_rules, rules_fingerprint, rules_from_texts
from rules.model import RulesError, RuleSet

from .config import Config
from .decide import Outgoing
from .store import Store, utcnow

logger = logging.getLogger(__name__)


def _files(directory: Path | None) -> list[tuple[str, str]]:
    folder = directory if directory is not None else SHIPPED_DIRECTORY
    return [(p.name, p.read_text("utf-8")) for p in sorted(folder.glob("*.toml"))]


def rules_in_force(config: Config, store: Store) -> tuple[RuleSet, Outgoing | None]:
    """(the rules to run, an administrator notice to queue if the files are invalid)."""
    try:
        rules = load_rules(config.rules_dir)
    except (RulesError, OSError) as e:
        errors = e.errors if isinstance(e, RulesError) else [str(e)]
        snapshot = store.rules_snapshot()
        rules = rules_from_texts(snapshot) if snapshot else load_rules(None)
        logger.warning("routing rules invalid, running the last valid ones: %s", "; ".join(errors))
        notice = Outgoing(
            f"admin:rules_invalid:{rules_fingerprint(config.rules_dir)}", "admin_notice", config.county.admins,
            "mailbot: regelfilerna innehåller fel", "admin_rules_invalid",
            {"errors": errors, "kept": "de senast giltiga reglerna" if snapshot else "de levererade standardreglerna"})
        return rules, notice
    files = _files(config.rules_dir)
    if dict(store.rules_snapshot()) != dict(files):
        store.save_rules_snapshot(files, utcnow().isoformat())
        logger.info("routing rules loaded: %d rules, %d units", len(rules.rules), len(rules.units))
    return rules, None
