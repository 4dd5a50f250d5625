"""What a parse may know beyond the mail itself: the municipalities, the deadline rule, the day, limits, hooks.

Given by mailbot (`mailbot/context.py` builds it from the configuration), so
that parsers/ reads no clock, no file and no rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from .directory import Directory
from .model import Answer, Limits, Signal


@dataclass(frozen=True)
class ParseContext:
    directory: Directory
    period_for_sent_date: Callable[[date], str]  # the deadline rule's guess when no month is written
    today: date  # the reference day for a mail without a date (parsers never read the clock)
    own_addresses: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)
    # Routing: answers in, signals out (rules.matcher.match bound to the rules in
    # force, injected by mailbot so that parsers/ does not depend on rules/).
    find_signals: Callable[[list[Answer]], list[Signal]] | None = None
    # OCR for pictures of paper: image files in, text out (mailbot.ocr runs Tesseract); None: not installed.
    ocr: Callable[[list[bytes]], str] | None = None
