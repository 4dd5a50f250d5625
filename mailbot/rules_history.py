"""What a set of routing rules would have forwarded over the stored reports, beside what was forwarded.

Lets an administrator see a rule change's effect before it goes live
(`mailbot rules test --history`). Read-only: nothing is stored or sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers.model import Answer
from rules.matcher import match
from rules.model import RuleSet

from .store import Store

Fired = frozenset[tuple[str, int | None]]  # (rule name, question)


@dataclass(frozen=True)
class Compared:
    municipality: str
    period: str
    would: Fired  # what the rules given would forward for the current report
    was: Fired  # what was forwarded for that municipality and period

    @property
    def added(self) -> Fired:
        return self.would - self.was

    @property
    def dropped(self) -> Fired:
        return self.was - self.would


def compare(store: Store, rules: RuleSet, periods: list[str]) -> list[Compared]:
    """One row per current submission in `periods`, in period and municipality order."""
    out = []
    for submission in store.current_submissions(periods):
        answers = [Answer(a["question"], a["score"], a["color"], a["text"] or "")
                   for a in store.answers(submission["id"])]
        would = frozenset((s.rule, s.question) for s in match(answers, rules))
        was = store.forwarded_signals(submission["municipality"], submission["period"])
        out.append(Compared(submission["municipality"], submission["period"], would, was))
    return out


def render(rows: list[Compared], rules: RuleSet) -> str:
    """Swedish, for the administrators: per report what would change, then the totals."""
    def names(fired: Fired) -> str:
        return ", ".join(f"{_title(rules, rule)} (fråga {q})" if q else _title(rules, rule)
                         for rule, q in sorted(fired, key=lambda f: (f[1] or 0, f[0])))

    lines = []
    for row in rows:
        if not row.added and not row.dropped:
            continue
        lines.append(f"{row.municipality} {row.period}:")
        if row.added:
            lines.append(f"  skulle nu också skickas: {names(row.added)}")
        if row.dropped:
            lines.append(f"  skickades då men skulle inte skickas nu: {names(row.dropped)}")
    added = sum(len(r.added) for r in rows)
    dropped = sum(len(r.dropped) for r in rows)
    same = sum(len(r.would & r.was) for r in rows)
    lines.append(f"{len(rows)} rapporter prövade: {added} signaler tillkommer, {dropped} faller bort, "
                 f"{same} oförändrade.")
    return "\n".join(lines)


def _title(rules: RuleSet, name: str) -> str:
    rule = rules.rule(name)
    return rule.display if rule else name
