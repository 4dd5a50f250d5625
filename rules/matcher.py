"""Which routing rules fire for a report's answers. Pure: answers and rules in, signals out.

A term matches a word in the answer text when the word begins with the
term's Snowball stem (inflections and compounds that start with the term:
"droghandeln", "narkotikaförsäljning", "prostituerade") or, for stems of
five letters or more, contains it after at least three letters (compounds
that end with or embed the term: "ungdomsprostitution", "gatuknark",
"högerextremism"). Stems of three letters or fewer ("nmr", "thc") match
only the word itself with at most two more letters. The rule's `except`
patterns ("drogfri*") set words aside. A multi-word term must match
consecutive words; terms joined with " + " must all occur in one sentence.

A match negated in its clause (see `swedish.negations`) is no signal but
is reported by `explain` for the administrators' `mailbot rules test`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from parsers.directory import fold
from parsers.model import Answer, Signal
from parsers.personal_data import mask

from .model import Rule, RuleKind, RuleSet, Term, WordKey
from .swedish import has_swedish_letters, negated_after, negations, sentence_bounds, sentence_span, tokenize

EXCERPT_LIMIT = 200
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Hit:
    """One place in one answer where a rule matched."""

    rule: str
    question: int | None
    term: str  # the term as written in the rule file ("" for rating rules)
    words: tuple[str, ...]  # the matching words as written in the answer
    spans: tuple[tuple[int, int], ...]  # their positions in Answer.text
    excerpt: str  # the sentence around them, identity numbers masked
    marks: tuple[tuple[int, int], ...]  # positions of the words in `excerpt`
    negated_by: str | None = None  # the negation that suppressed it ("inga"), if any

    def highlighted(self, left: str = "**", right: str = "**") -> str:
        """The excerpt with the matching words wrapped: 'tecken på **narkotikahandel** vid ...'."""
        out, pos = [], 0
        for start, end in self.marks:
            out += [self.excerpt[pos:start], left, self.excerpt[start:end], right]
            pos = end
        out.append(self.excerpt[pos:])
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What one rule did with a text or report (for `mailbot rules test`)."""

    rule: Rule
    fired: bool
    hits: tuple[Hit, ...]  # the matches that count
    suppressed: tuple[Hit, ...]  # matches set aside by a negation
    excepted: tuple[str, ...]  # words set aside by the rule's `except` list
    notes: tuple[str, ...] = ()  # why some answers were not looked at (Swedish)


def match(answers: Sequence[Answer], rules: RuleSet) -> list[Signal]:
    """One Signal per rule that fired, in rule order, with the first answer and excerpt it fired on."""
    signals = []
    for result in _scan(_items(answers), rules):
        if result.hits:
            first = result.hits[0]
            signals.append(Signal(rule=result.rule.name, question=first.question, excerpt=first.excerpt))
    return signals


def find_hits(answers: Sequence[Answer], rules: RuleSet) -> list[Hit]:
    """Every match that counts (not negated), rule by rule, in answer order: for forwards with highlights."""
    return [hit for result in _scan(_items(answers), rules) for hit in result.hits]


def explain(source: str | Sequence[Answer], rules: RuleSet) -> list[Explanation]:
    """For every rule: fired or not, on which words, and which mentions a negation suppressed.

    `source` is a report's answers, or free text (then question filters and
    rating filters are not applied, and rating rules have nothing to look at).
    """
    items = [_Item(None, None, None, source[:MAX_TEXT_CHARS])] if isinstance(source, str) else _items(source)
    return [
        Explanation(r.rule, bool(r.hits), tuple(r.hits), tuple(r.suppressed), tuple(dict.fromkeys(r.excepted)),
                    tuple(r.notes))
        for r in _scan(items, rules)
    ]


def render_explanations(explanations: Sequence[Explanation], rules: RuleSet | None = None) -> str:
    """A plain-text report in Swedish of what `explain` found, for the administrators."""
    lines = []
    for e in explanations:
        unit = rules.unit(e.rule.unit) if rules else None
        to = f" → {unit.name}" if unit else f" → {e.rule.unit}"
        lines.append(f"{e.rule.name}{to}: {'SLÅR TILL' if e.fired else 'slår inte till'}")
        for hit in e.hits:
            lines.append(f"  {_where(hit)}{_on(hit)} – {hit.highlighted('[', ']')}")
        for hit in e.suppressed:
            lines.append(f"  nekat av \"{hit.negated_by}\", räknas inte: {_where(hit)}{_on(hit)} – "
                         f"{hit.highlighted('[', ']')}")
        if e.excepted:
            lines.append(f"  undantagna ord: {', '.join(e.excepted)}")
        for note in e.notes:
            lines.append(f"  {note}")
    return "\n".join(lines)


def _where(hit: Hit) -> str:
    return f"fråga {hit.question}" if hit.question is not None else "texten"


def _on(hit: Hit) -> str:
    if not hit.words:
        return ""
    return f": \"{' '.join(hit.words)}\" (term \"{hit.term}\")"


# --- scanning ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    question: int | None
    score: int | None
    color: str | None
    text: str


MAX_TEXT_CHARS = 100_000  # of one answer read for signals (decide() runs this in the poll's parent)


def _items(answers: Sequence[Answer]) -> list[_Item]:
    return [_Item(a.question, a.score, a.color, (a.text or "")[:MAX_TEXT_CHARS]) for a in answers]


@dataclass
class _Result:
    rule: Rule
    hits: list[Hit] = field(default_factory=list)
    suppressed: list[Hit] = field(default_factory=list)
    excepted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Index:
    """The rule set's words, compiled once, with a cache of which words each text word matches."""

    def __init__(self, rules: RuleSet):
        self.keys: dict[WordKey, int] = {}
        self.term_ids: dict[tuple[str, str], tuple[tuple[int, ...], ...]] = {}
        self.exceptions: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}
        for rule in rules.rules:
            for term in rule.terms:
                self.term_ids[(rule.name, term.text)] = tuple(
                    tuple(self.keys.setdefault(k, len(self.keys)) for k in part) for part in term.parts
                )
            if rule.exceptions:
                exact = "|".join(fnmatch.translate(p) for p in rule.exceptions)
                folded = "|".join(fnmatch.translate(fold(p)) for p in rule.exceptions)
                self.exceptions[rule.name] = (re.compile(exact), re.compile(folded))
        self.key_list = list(self.keys)
        self._cache: dict[tuple[str, bool], frozenset[int]] = {}

    def matching(self, word: str, plain: bool) -> frozenset[int]:
        """Ids of the term words that `word` matches (`plain`: the text has no å/ä/ö)."""
        cached = self._cache.get((word, plain))
        if cached is None:
            cached = frozenset(i for i, key in enumerate(self.key_list) if _word_matches(key, word, plain))
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[(word, plain)] = cached
        return cached

    def excepted(self, rule: str, word: str, plain: bool) -> bool:
        patterns = self.exceptions.get(rule)
        if not patterns:
            return False
        exact, folded = patterns
        return bool(exact.match(word) or (plain and folded.match(fold(word))))


def _word_matches(key: WordKey, word: str, plain: bool) -> bool:
    s = key.folded if plain else key.stem
    if plain:
        word = fold(word)
    if len(s) <= 3:
        return word.startswith(s) and len(word) <= len(s) + 2
    if word.startswith(s):
        return True
    return len(s) >= 5 and word.find(s, 3) != -1


def _index(rules: RuleSet) -> _Index:
    index = rules._cache.get("index")
    if index is None:
        index = rules._cache["index"] = _Index(rules)
    return index


def _scan(items: list[_Item], rules: RuleSet) -> list[_Result]:
    index = _index(rules)
    results = [_Result(rule) for rule in rules.rules]
    for item in items:
        prepared: _Prepared | None = None
        for result in results:
            rule = result.rule
            if not rule.applies_to(item.question):
                continue
            if rule.kind is RuleKind.RATING:
                if item.question is None:
                    _note(result, "fri text har ingen påverkansgrad; regeln gäller bara betyg i en rapport")
                elif rule.rating_reached(item.score, item.color):
                    result.hits.append(_rating_hit(rule, item))
                continue
            if rule.has_rating_filter() and item.question is not None:
                if not rule.rating_reached(item.score, item.color):
                    _note(result, f"fråga {item.question}: påverkansgraden når inte regelns gräns, texten lästes inte")
                    continue
            if not item.text.strip():
                continue
            if prepared is None:
                prepared = _Prepared(item, index)
            prepared.run(rule, result, index)
    for result in results:
        if (result.rule.kind is RuleKind.TERMS and result.rule.has_rating_filter()
                and any(i.question is None for i in items)):
            _note(result, "påverkansgränsen prövas inte för fri text")
    return results


def _note(result: _Result, note: str) -> None:
    if note not in result.notes:
        result.notes.append(note)


MAX_HITS = 50  # per rule and answer, counted and suppressed each: enough for every excerpt shown
_UNKNOWN = "?"  # a single-word term's negation, looked up only for the matches kept


class _Prepared:
    """One answer's text, tokenized, with negations and which term words each token matches.

    Everything here is linear in the answer's length: positions are looked up
    in sets, sentences are found from a precomputed table, and a Hit (with
    its excerpt) is built only for the first MAX_HITS matches of a rule.
    """

    def __init__(self, item: _Item, index: _Index):
        self.item = item
        text = item.text
        masked = mask(text)
        self.masked = masked if len(masked) == len(text) else None
        self.plain = not has_swedish_letters(text)
        self.tokens = tokenize(text)
        self.negated = negations(self.tokens)
        self.sentences = sentence_bounds(self.tokens)
        self.positions: dict[int, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            for key_id in index.matching(tok.word, self.plain):
                self.positions.setdefault(key_id, []).append(i)
        self.position_sets = {key_id: frozenset(found) for key_id, found in self.positions.items()}

    def run(self, rule: Rule, result: _Result, index: _Index) -> None:
        found: list[tuple[int, tuple[tuple[int, ...], ...], str | None, Term]] = []
        for term in rule.terms:
            if index.term_ids[(rule.name, term.text)][0][0] not in self.positions:
                continue  # most terms: the first word is not in the text at all
            found.extend(self._term_hits(rule, term, index, result))
        found.sort(key=lambda entry: entry[0])
        seen: set[tuple[tuple[int, ...], ...]] = set()
        counted = suppressed = 0
        for _, spans, negated_by, term in found:  # two terms on the same words ("langa", "langning"): the first listed
            if counted >= MAX_HITS:
                break  # the rule fired; what follows would not be shown
            if spans in seen:
                continue
            seen.add(spans)
            if negated_by is _UNKNOWN:
                negated_by = self._negation(spans[0])
            if negated_by:
                suppressed += 1
                if suppressed <= MAX_HITS:
                    result.suppressed.append(self._hit(rule, term, spans, negated_by))
            else:
                counted += 1
                if counted <= MAX_HITS:
                    result.hits.append(self._hit(rule, term, spans, None))

    def _occurrences(self, rule: Rule, part: tuple[int, ...], index: _Index, result: _Result) -> list[tuple[int, ...]]:
        """Token index tuples where the phrase `part` occurs, minus excepted words."""
        found = []
        tokens = self.tokens
        empty: frozenset[int] = frozenset()
        for start in self.positions.get(part[0], ()):
            end = start + len(part)
            if end > len(tokens) or tokens[end - 1].sentence != tokens[start].sentence:
                continue
            if not all(start + j in self.position_sets.get(k, empty) for j, k in enumerate(part[1:], 1)):
                continue
            span = tuple(range(start, end))
            excepted = [tokens[i].word for i in span if index.excepted(rule.name, tokens[i].word, self.plain)]
            if excepted:
                if len(result.excepted) < MAX_HITS:
                    result.excepted.extend(excepted)
                continue
            found.append(span)
        return found

    def _negation(self, span: tuple[int, ...]) -> str | None:
        for i in span:
            negator = self.negated[i]
            if negator is not None:
                return self.tokens[negator].word
        after = negated_after(self.tokens, span[-1])
        return self.tokens[after].word if after is not None else None

    def _term_hits(self, rule: Rule, term: Term, index: _Index, result: _Result):
        """(first token, spans, negation or None, term) for every place the term matches."""
        parts = index.term_ids[(rule.name, term.text)]
        if any(part[0] not in self.positions for part in parts):
            return []
        occurrences = [self._occurrences(rule, part, index, result) for part in parts]
        if len(parts) == 1:
            return [(span[0], (span,), _UNKNOWN, term) for span in occurrences[0]]  # negation: when needed
        # " + ": every part in the same sentence; prefer mentions that are not negated
        by_sentence: list[dict[int, list[tuple[int, ...]]]] = []
        for spans in occurrences:
            grouped: dict[int, list[tuple[int, ...]]] = {}
            for span in spans:
                grouped.setdefault(self.tokens[span[0]].sentence, []).append(span)
            by_sentence.append(grouped)
        hits = []
        for sentence in sorted(by_sentence[0]):
            chosen = []
            for grouped in by_sentence:
                here = grouped.get(sentence)
                if not here:
                    break
                chosen.append(next((s for s in here if self._negation(s) is None), here[0]))
            else:
                chosen.sort()
                negated_by = next((n for n in (self._negation(s) for s in chosen) if n), None)
                hits.append((chosen[0][0], tuple(chosen), negated_by, term))
        return hits

    def _hit(self, rule: Rule, term: Term, spans: tuple[tuple[int, ...], ...], negated_by: str | None) -> Hit:
        tokens, text = self.tokens, self.item.text
        char_spans = tuple((tokens[s[0]].start, tokens[s[-1]].end) for s in spans)
        start, end = sentence_span(text, tokens, spans[0][0], self.sentences)
        _, last_end = sentence_span(text, tokens, spans[-1][-1], self.sentences)
        end = max(end, last_end)
        excerpt, marks = _excerpt(self.masked or text, start, end, char_spans, masked=self.masked is not None)
        return Hit(
            rule=rule.name, question=self.item.question, term=term.text,
            words=tuple(text[a:b] for a, b in char_spans), spans=char_spans,
            excerpt=excerpt, marks=marks, negated_by=negated_by,
        )


def _excerpt(
    text: str, start: int, end: int, spans: tuple[tuple[int, int], ...], masked: bool
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """text[start:end] with whitespace collapsed, cut to about EXCERPT_LIMIT around the spans."""
    prefix = suffix = ""
    if end - start > EXCERPT_LIMIT:
        first = spans[0][0]
        window_start = max(start, min(first - 60, end - EXCERPT_LIMIT))
        if window_start > start:
            space = text.find(" ", window_start, first)
            window_start = space + 1 if space != -1 else window_start
            prefix = "…"
        window_end = min(end, window_start + EXCERPT_LIMIT - 2)
        if window_end < end:
            space = text.rfind(" ", max(spans[0][1], window_start), window_end)
            window_end = space if space != -1 else window_end
            suffix = "…"
        start, end = window_start, window_end
    out: list[str] = []
    mapping: dict[int, int] = {}
    pos = start
    for m in _WHITESPACE.finditer(text, start, end):
        for i in range(pos, m.start()):
            mapping[i] = len(out)
            out.append(text[i])
        for i in range(m.start(), m.end()):
            mapping[i] = len(out)
        if out and m.end() < end:
            out.append(" ")
        pos = m.end()
    for i in range(pos, end):
        mapping[i] = len(out)
        out.append(text[i])
    body = "".join(out).rstrip()
    if not masked:
        body = mask(body)
    marks = tuple(
        (mapping[a] + len(prefix), mapping[b - 1] + 1 + len(prefix))
        for a, b in spans
        if a in mapping and (b - 1) in mapping
    )
    return prefix + body + suffix, marks


def _rating_hit(rule: Rule, item: _Item) -> Hit:
    if rule.min_score is not None and item.score is not None and item.score >= rule.min_score:
        label = f"Påverkan {item.score}"
    else:
        label = f"Bedömning {item.color}"
    text = mask(_WHITESPACE.sub(" ", item.text).strip())
    room = EXCERPT_LIMIT - len(label) - 2
    if len(text) > room:
        cut = text.rfind(" ", 0, room - 1)
        text = text[: cut if cut > 0 else room - 1] + "…"
    excerpt = f"{label}: {text}" if text else label
    return Hit(rule=rule.name, question=item.question, term="", words=(), spans=(), excerpt=excerpt, marks=())
