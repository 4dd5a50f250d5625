"""Builds the parser's context from the configuration."""

from __future__ import annotations

from functools import partial

from parsers.report import ParseContext
from rules.loader import load_rules
from rules.matcher import match
from rules.model import RulesError, RuleSet

from .config import Config
from .deadlines import period_for_sent_date
from .errors import ConfigError


def parse_context(config: Config, rules: RuleSet | None = None) -> ParseContext:
    """The parser's context; `rules` defaults to the configured rule files (loaded now)."""
    if rules is None:
        try:
            rules = load_rules(config.rules_dir)
        except RulesError as e:
            raise ConfigError("invalid routing rules:\n" + "\n".join(e.errors)) from e
    own = {config.county.mailbox}
    if config.smtp and config.smtp.sender:
        own.add(config.smtp.sender.lower())
    if config.imap and config.imap.user:
        own.add(config.imap.user.lower())
    return ParseContext(
        directory=config.directory,
        period_for_sent_date=partial(period_for_sent_date, rule=config.deadline),
        own_addresses=frozenset(own),
        limits=config.limits,
        find_signals=partial(match, rules=rules),
    )
