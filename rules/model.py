"""Typed records for the routing rules (what `loader` builds from rules/*.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from parsers.directory import fold


class RuleKind(StrEnum):
    """What makes a rule fire."""

    TERMS = "terms"  # words in the answer text
    RATING = "rating"  # the answer's impact rating (Påverkan) or traffic light


class Color(StrEnum):
    """The traffic-light scale ("Sammanställd bedömning")."""

    GRON = "grön"
    GUL = "gul"
    ROD = "röd"

    @classmethod
    def parse(cls, value: str) -> Color | None:
        """'röd', 'Röd', 'rod', 'rött' -> Color.ROD; None when unknown."""
        key = fold(value.strip())
        for color in cls:
            if key in (fold(color.value), fold(color.value) + "t", fold(color.value)[:-1] + "tt"):
                return color
        return None


class RulesError(ValueError):
    """The rule files have mistakes; `errors` lists every one as 'file:line: what is wrong'."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class WordKey:
    """One word of a term, prepared for matching."""

    word: str  # as written, case-folded
    stem: str  # Snowball stem of `word`
    folded: str  # `stem` without å/ä/ö, for texts written without them


@dataclass(frozen=True, slots=True)
class Term:
    """A term as written in a rule, e.g. "narkotika", "nordiska motståndsrörelsen",
    "klistermärke + nazistisk".

    `parts` are the phrases joined by " + " (all must occur in the same
    sentence); each phrase is words that must follow each other.
    """

    text: str
    parts: tuple[tuple[WordKey, ...], ...]


@dataclass(frozen=True, slots=True)
class Unit:
    """A county unit that receives signals."""

    key: str
    name: str
    addresses: tuple[str, ...]
    handles: str = ""
    origin: str = ""  # "file:line" where it is defined


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    unit: str  # Unit.key
    kind: RuleKind = RuleKind.TERMS
    terms: tuple[Term, ...] = ()
    exceptions: tuple[str, ...] = ()  # word patterns ("drogfri*") that never count
    questions: tuple[int, ...] = ()  # empty: every question
    min_score: int | None = None
    colors: tuple[Color, ...] = ()
    description: str = ""
    origin: str = ""  # "file:line" where it is defined
    title: str = ""  # what units read in forwards ("Narkotika"); default: the name, spelt out

    @property
    def display(self) -> str:
        return self.title or self.name.replace("_", " ").replace("-", " ").capitalize()

    def applies_to(self, question: int | None) -> bool:
        """Does the question filter let this question through? (None: free text, always.)"""
        return question is None or not self.questions or question in self.questions

    def has_rating_filter(self) -> bool:
        return self.min_score is not None or bool(self.colors)

    def rating_reached(self, score: int | None, color: str | None) -> bool:
        """Is the rating at least `min_score`, or one of `colors`?"""
        if self.min_score is not None and score is not None and score >= self.min_score:
            return True
        if color and self.colors:
            parsed = Color.parse(color)
            return parsed is not None and parsed in self.colors
        return False


@dataclass(frozen=True)
class RuleSet:
    units: tuple[Unit, ...]
    rules: tuple[Rule, ...]
    files: tuple[str, ...] = ()
    # the matcher's compiled index, built on first use
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def unit(self, key: str) -> Unit | None:
        return next((u for u in self.units if u.key == key), None)

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def unit_for(self, rule_name: str) -> Unit | None:
        """The unit a rule's signals go to."""
        rule = self.rule(rule_name)
        return self.unit(rule.unit) if rule else None

    def addresses_for(self, rule_name: str) -> tuple[str, ...]:
        """Where a rule's signals are sent: only addresses from the rule files."""
        unit = self.unit_for(rule_name)
        return unit.addresses if unit else ()
