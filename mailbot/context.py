"""Builds the parser's context from the configuration."""

from __future__ import annotations

from functools import partial

from parsers.report import ParseContext

from .config import Config
from .deadlines import period_for_sent_date


def parse_context(config: Config) -> ParseContext:
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
    )
