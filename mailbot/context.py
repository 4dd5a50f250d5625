"""Builds the parser's context from the configuration."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from parsers.report import ParseContext
from rules.loader import load_rules
from rules.matcher import match
from rules.model import RulesError, RuleSet

from .config import Config
from .deadlines import SWEDEN, period_for_sent_date
from .errors import ConfigError
from .ocr import ocr_function


def parse_context(config: Config, rules: RuleSet | None = None, today: date | None = None) -> ParseContext:
    """The parser's context; `rules` defaults to the configured rule files (loaded now), `today`
    to the Swedish date now (the poller builds a context every pass, so it follows the clock)."""
    if rules is None:
        try:
            rules = load_rules(config.rules_dir)
        except RulesError as e:
            raise ConfigError("invalid routing rules:\n" + "\n".join(e.errors)) from e
    return ParseContext(
        directory=config.directory,
        period_for_sent_date=partial(period_for_sent_date, rule=config.deadline),
        today=today or datetime.now(SWEDEN).date(),
        own_addresses=config.own_addresses,
        limits=config.limits,
        find_signals=partial(match, rules=rules),
        ocr=ocr_function(config.limits.max_seconds),
    )
