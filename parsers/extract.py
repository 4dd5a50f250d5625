"""Blocks in, the seven answers out: the heart of reading a report.

The blocks of any reader (docx, PDF, HTML, plain text) are cut into
sections at the question headings; inside a section the question wording,
rating lines and "Kommentar:" labels are told apart from the answer text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from . import rating_summary
from .directory import fold
from .model import Answer, Block, Problem
from .period import find_month
from .questions import BY_NUMBER, QUESTIONS, Heading, match_heading, prompt_overlap
from .ratings import (
    Rating,
    color_from_fill,
    is_blank,
    is_unticked_only,
    parse_bare,
    parse_value,
    split_label,
)
from .vocabulary import COLOR_RATINGS, LEVEL_NAMES, listing

CLOSING = re.compile(
    r"^(?:med )?(?:vanlig(?:a)?|basta) halsning(?:ar)?\b|^halsningar\b|^mvh\b|^halsning\b"
    r"|^(?:best|kind) regards\b|^regards\b|^--\s*$|^__+$"
)
_COMMENT_LABEL = re.compile(
    r"^\s*(?:kommentar(?:er)?(?:\s*/\s*(?:atgard|atgarder))?|atgard(?:er)?|svar|beskrivning|handelser)\s*:\s*"
)
_LABEL_ONLY = {"kommentar", "kommentarer", "kommentar/atgard", "svar", "paverkan", "beskrivning",
               "fraga", "bedomning", "sammanstalld bedomning", "atgard", "atgarder", "paverkan (1-5)",
               "paverkan 1-5", "niva"}
_INLINE_RATING = re.compile(
    r"(?<=[.!;])\s+(?=(?:bedömd påverkan|påverkan|sammanställd bedömning|samlad bedömning|bedömning)\b[^:]{0,8}:)",
    re.IGNORECASE)
# A rating that ends the line after the answer without a full stop: "... resecentrum Påverkan: 2",
# "Inget att rapportera. Påverkan 2". Split only when the tail reads as a whole, valid rating.
_TRAILING_RATING = re.compile(
    r"\s(?=(?:bedömd påverkan|påverkan|sammanställd bedömning|samlad bedömning|bedömning|nivå)\b[^\n]{0,30}$)",
    re.IGNORECASE)
_BARE_VALUE = re.compile(r"^(?:[1-5]|[1-5]\s*/\s*5)$")
# Thunderbird writes bold as "*text*" in the plain-text part: "*Fråga 1, Ordningsstörningar:*".
_EMPHASIS = re.compile(r"(?<!\S)\*(\S(?:[^*\n]{0,150}\S)?)\*(?!\S)")
# A rating written on its own line without a label: "Oroande", "3/5", "Gult".
_WORDS = re.compile(r"[^\W\d_]{2,}")
_RATING_TOKEN = re.compile(r"^\s*(?:[1-5](?:\s*(?:/|av)\s*5)?|\w+)\s*(?:\([^()]{0,30}\))?\s*[.,;:=–—-]?\s*")
_STANDALONE_RATING = re.compile(r"^(?:[1-5]\s*(?:/|av)\s*5|[a-z]+)\.?$")


@dataclass
class Extraction:
    answers: dict[int, Answer] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)  # text before the first heading
    titled: set[int] = field(default_factory=set)  # questions whose heading named the template's title
    rest: list[Block] = field(default_factory=list)  # a second template that starts after this one
    summary: dict[int, Rating] = field(default_factory=dict)  # ratings from a summary table

    @property
    def rated(self) -> int:
        return sum(1 for a in self.answers.values() if a.score or a.color)

    @property
    def found(self) -> bool:
        """Enough of the template to call this a (full) report.

        Numbered headings alone ("Question 1", "Fråga 2") are not enough: at
        least three questions, with the template's evidence (three recognised
        titles, or two rating lines), so a survey with numbered questions or a
        document where most of the template is missing is not a report.
        """
        return len(self.answers) >= 4 and (len(self.titled) >= 3 or self.rated >= 2)

    @property
    def evidence(self) -> bool:
        """Some of the template (a recognised title or a rating): enough for a correction."""
        return bool(self.titled) or self.rated > 0

    @property
    def weight(self) -> int:
        return len(self.answers) * 10 + sum(1 for a in self.answers.values() if a.score or a.color)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("\u00a0", " ").replace("\u00ad", "").replace("\u200b", "").strip()


_NUMBERED = re.compile(r"^[\W_]*(?:fraga\s*(?:nr\.?\s*)?([1-7])\b|([1-7])[.)]\s)")  # "Fråga 5", "5. ..."
_SPELLED = re.compile(r"^[\W_]*(?:fraga|question)\b")
_TOC_ENTRY = re.compile(r"^(?:[.·…_\s-]{3,}\s*(?:s\.\s*)?\d{1,3}|(?:s\.\s*)?\d{2,3}|sid(?:an)?\.?\s*\d{1,3})$")
_MAX_TEMPLATES = 12  # templates read from one block list (two months pasted in one body)
_PREAMBLE_WORDS = re.compile(r"lagesbild|lagesrapport|mall for|underlag|kommun\b|sociala risker|redogor|manad\b")


def extract_all(blocks: list[Block]) -> list[Extraction]:
    """One extraction per template in `blocks` (a second template starts at a new "Fråga 1")."""
    results = [extract(blocks)]
    while results[-1].rest and len(results) < _MAX_TEMPLATES:
        results.append(extract(results[-1].rest))
    return results


def _restart(items: list[Block], i: int, heading: Heading, current: int) -> int | None:
    """Where a second template starts, when `heading` at `i` begins one; else None.

    A new question 1 (or 2) after the last questions of a template. The start
    moves back over the lines before it that read like a template's preamble
    ("Lägesbild september", "Underlaget inlämnat av kommun: Mora").
    """
    if current < 5 or heading.number > 2 or not (heading.titled or heading.explicit) or items[i].cell:
        return None
    if heading.prompt or (not heading.explicit and heading.rest):
        return None  # "- Hot och våld: ett hotfullt mejl ..." in an answer: a topic, not a new template
    if (heading.rest and not _SPELLED.match(fold(items[i].text))
            and prompt_overlap(heading.rest, BY_NUMBER[heading.number]) < 0.6):
        return None  # "2. Hot och våld mot personal ..." in a numbered list: an item, not a new template
    before = " ".join(fold(b.text) for b in items[max(0, i - 4):i])
    if re.search(r"sammanfattning|sammanstallning|oversikt|bedomningar", before):
        return None  # a summary table of the ratings, not a new template
    start = i
    k = i - 1
    seen = 0
    while k >= 0 and seen < 6:
        text = items[k].text
        if text:
            folded = fold(text)
            if not (_PREAMBLE_WORDS.search(folded) or find_month(text, abbreviations=False)) or len(text) > 120:
                break
            start = k
            seen += 1
        k -= 1
    return start


def extract(blocks: list[Block]) -> Extraction:
    """Cut `blocks` into question sections and read each one.

    Reading stops where a second template starts; its blocks are left in
    `rest` (see `extract_all`). A repeated heading inside an answer ("Fråga 5,
    Alkohol, narkotika ..." with nothing after it) is template wording, never
    answer text.
    """
    result = Extraction()
    sections: dict[int, tuple[Heading, list[Block]]] = {}
    current = active = 0  # the highest question seen; the one whose section is being read
    explicit_style = False  # the first question's heading was numbered ("Fråga 1", "1.")
    items = [Block(_EMPHASIS.sub(r"\1", normalize(b.text)), b.cell, b.fill) for b in blocks]
    # Questions some heading numbers ("Fråga 5", "5. ..."): a bare title of one of them is a topic line.
    numbered = {int(m.group(1) or m.group(2)) for b in items if (m := _NUMBERED.match(fold(b.text[:40])))}
    summary: rating_summary.SummaryTable | None = None
    pending_at = 0  # where the summary row being read started
    i = 0
    while i < len(items):
        block = items[i]
        if summary is not None:
            before = summary.pending
            if summary.feed(block, items[i + 1] if i + 1 < len(items) else None):
                if summary.pending is not None and summary.pending != before:
                    pending_at = i
                i += 1
                continue
            if summary.pending is not None and not summary.repeated and pending_at == i - 1:
                i = pending_at  # a question with its answer after it: the template, not a summary's row
                block = items[i]
            summary = None
        elif block.text and rating_summary.starts(block, items[i + 1] if i + 1 < len(items) else None, current > 0):
            summary = rating_summary.SummaryTable(ratings=result.summary)
            i += 1
            continue
        heading = match_heading(block.text) if block.text else None
        if (heading is None and re.fullmatch(r"[1-7][.)]" if not block.cell else r"[1-7][.)]?", block.text)
                and i + 1 < len(items) and not (i > 0 and split_label(items[i - 1].text) == (True, ""))
                and not (active and _unrated_row(result.preamble, sections[active][1]))):
            # A question number in its own cell (or on its own line: "2."), the title in the next one.
            following = match_heading(items[i + 1].text)
            if following and not following.explicit and following.number == int(block.text[0]):
                i += 1
                heading = Heading(following.number, following.rest, True, following.titled)
        if (heading and not heading.explicit and heading.rest and not heading.prompt and explicit_style
                and heading.number in numbered):
            heading = None  # "- Narkotika: rykten om ..." before "Fråga 5, ...": a topic line, not a heading
        if heading and _TOC_ENTRY.match(heading.rest):
            i += 1  # a table of contents line ("2. Hot och våld ........ 12"): neither heading nor answer
            continue
        if heading and heading.number > current:
            explicit_style = heading.explicit if not sections else explicit_style
            last_body = sections[active][1] if active else []
            current = active = heading.number
            sections[current] = (heading, [])
            if heading.titled:
                result.titled.add(current)
            previous = items[i - 1] if i > 0 else None
            if (block.cell and previous is not None and previous.cell and parse_bare(previous.text) is not None
                    and _rating_column_first(result.preamble)):
                # The rating cell opens the row ("3 | Ordningsstörningar | ..."): this question's, not the last one's.
                if last_body and last_body[-1] is previous:
                    sections[current][1].append(last_body.pop())
                elif not last_body and result.preamble and result.preamble[-1] == previous.text:
                    sections[current][1].append(previous)
                    result.preamble.pop()
        elif heading and heading.number == active and not sections[active][0].titled and not sections[active][1]:
            sections[active] = (Heading(active, heading.rest, True), [])  # "Fråga 1", its title on the next line
            result.titled.add(active)
        elif (heading and heading.explicit and heading.titled and heading.number not in sections
              and (not heading.rest or _SPELLED.match(fold(block.text)))
              and (start := _restart(items, i, heading, current)) is None):
            active = heading.number  # questions out of order: "Fråga 4" before "Fråga 3"
            sections[active] = (heading, [])
            result.titled.add(active)
        elif heading and (start := _restart(items, i, heading, current)) is not None:
            body = sections[active][1]  # the next template's preamble is not an answer
            del body[max(0, len(body) - (i - start)):]
            result.rest = blocks[start:]
            break
        elif heading and heading.explicit and not heading.rest:
            pass  # the template's wording repeated: never answer text
        elif current == 0:
            if block.text:
                result.preamble.append(block.text)
        elif block.text and CLOSING.match(fold(block.text)):
            break
        else:
            sections[active][1].append(block)
        i += 1
    for number, (heading, body) in sorted(sections.items()):
        answer, problems = _read_section(number, heading, body, result.summary.get(number))
        result.answers[number] = answer
        result.problems.extend(problems)
    return result


def report_problems(extraction: Extraction) -> list[Problem]:
    """Problems of a found report: missing questions plus per-section problems."""
    problems = []
    for q in QUESTIONS:
        if q.number not in extraction.answers:
            problems.append(Problem(
                "missing_answer",
                f"Fråga {q.number} ({q.title}) hittades inte i rapporten. "
                f"Kontrollera att rubriken finns kvar och skicka rapporten igen.",
                q.number))
    problems.extend(extraction.problems)
    return sorted(problems, key=lambda p: (p.question or 0, p.code))


def _strip_wording(number: int, heading: Heading, body: list[Block]) -> tuple[str, list[Block]]:
    """Remove the template's question wording after the title; return (rest, body)."""
    q = BY_NUMBER[number]
    pieces = [heading.rest] + [b.text for b in body[:6]]
    joined = ""
    for k, piece in enumerate(pieces):
        joined = f"{joined} {piece}".strip()
        if "?" in piece:
            cut = joined.index("?")
            wording = joined[:cut + 1]
            if len(wording) > 12 and prompt_overlap(wording, q) >= 0.6:
                after = piece[piece.index("?") + 1:].strip()
                if k == 0:
                    return after, body
                return "", [Block(after, body[k - 1].cell, body[k - 1].fill)] + body[k:]
            break
        if k > 0 and body[k - 1].cell:
            break
    return heading.rest, body


def _unrated_row(preamble: list[str], body: list[Block]) -> bool:
    """A table with a rating column whose current row has no rating yet: a number cell ("2") that
    precedes the next title ("Hot och våld") is this row's rating, not the next row's number."""
    header = preamble[-8:]
    if any(fold(text).strip(" .:#") in {"nr", "nummer", "fraga nr", ""} for text in header):
        return False  # a number column: the cell is the next question's number
    return any(split_label(text) == (True, "") for text in header) and not any(
        (b.cell and parse_bare(b.text) is not None) or split_label(b.text)[0] for b in body[-6:])  # this row


_QUESTION_COLUMN = {"fraga", "omrade", "frageomrade", "amne", "tema", "rubrik", "kategori"}


def _rating_column_first(preamble: list[str]) -> bool:
    """A table whose header names the rating column before the question column ("Påverkan | Område | Svar")."""
    rating_at = next((k for k, text in enumerate(preamble[-8:]) if split_label(text) == (True, "")), None)
    return rating_at is not None and any(
        fold(text).strip(" :") in _QUESTION_COLUMN for text in preamble[-8:][rating_at + 1:])


def _shown(r: Rating) -> str:
    return str(r.score) if r.score else COLOR_RATINGS.get(r.color or "", "?")


def _split_rating_lines(text: str) -> list[str]:
    """One block's text as lines, with a rating written after the answer on its own piece."""
    pieces = _INLINE_RATING.split(text)
    last = pieces[-1]
    m = ([None] + list(_TRAILING_RATING.finditer(last)))[-1]  # a few at most: the tail is short
    if m is not None and m.start() > 0 and not split_label(last)[0]:  # "Bedömd påverkan: 3" is one label
        tail = last[m.end():]
        is_label, value = split_label(tail)
        parsed = parse_value(value) if is_label else None
        with_colon = ":" in tail[:len(tail) - len(value)] if is_label else False
        bare = fold(tail).startswith("paverkan") and _BARE_VALUE.match(value.strip())  # not "höjt till nivå 2"
        if parsed is not None and parsed.invalid is None and (with_colon or bare):
            pieces[-1:] = [last[:m.start()], tail]
    return pieces


def _read_section(number: int, heading: Heading, body: list[Block],
                  summarised: Rating | None = None) -> tuple[Answer, list[Problem]]:
    """The answer of one question; `summarised` is its rating from a summary table, if any."""
    rest, body = _strip_wording(number, heading, body)
    items: list[Block] = []
    if rest:
        items.append(Block(rest))
    items.extend(body)

    rating: Rating | None = None
    invalid: str | None = None
    awaiting_value = False
    texts: list[str] = []

    conflict: tuple[Rating, Rating] | None = None  # two different ratings for one question
    loose: tuple[Rating, int, str] | None = None  # a rating alone on its line, where that line is in texts

    def take(r: Rating) -> None:
        nonlocal rating, invalid, conflict
        if r.invalid is not None:
            invalid = invalid or r.invalid
        elif rating is None:
            rating = r
        elif conflict is None and ((r.score and rating.score and r.score != rating.score)
                                   or (r.color and rating.color and r.color != rating.color)):
            conflict = (rating, r)

    for block in items:
        for line in _split_rating_lines(block.text):
            line = line.strip()
            if not line:
                if block.cell and block.fill and rating is None and color_from_fill(block.fill):
                    take(Rating(color=color_from_fill(block.fill)))
                continue
            is_label, value = split_label(line)
            if is_label:
                parsed = parse_value(value)
                if parsed is None and len(value) > 30:
                    texts.append(line)  # "Bedömning: vi ser att ..." is prose, not a rating
                elif parsed is None and value and not is_blank(value):
                    take(Rating(invalid=value))
                elif parsed is None:
                    awaiting_value = True
                else:
                    take(parsed)
                    awaiting_value = False
                    m = _RATING_TOKEN.match(value)
                    if m and len(_WORDS.findall(value[m.end():])) >= 3:
                        texts.append(value[m.end():])  # "Påverkan: 2. Inbrott i tre förråd.": the answer follows
                continue
            if awaiting_value or block.cell:
                parsed = parse_bare(line)
                if parsed is not None:
                    take(parsed)
                    awaiting_value = False
                    continue
            if (BY_NUMBER[number].rated and loose is None and _STANDALONE_RATING.match(fold(line))
                    and (parsed := parse_bare(line)) is not None and parsed.invalid is None):
                loose = (parsed, len(texts), line)  # "Oroande", "3/5" alone on a line: the rating if no label gives one
            if block.cell and block.fill and len(line) <= 2 and rating is None and color_from_fill(block.fill):
                take(Rating(color=color_from_fill(block.fill)))
                continue
            if (is_unticked_only(line) and any(ch in line for ch in "☐□▢")) or (
                    (awaiting_value or block.cell) and len(line) <= 80 and is_blank(line)):
                continue  # the scale or drop-down as the template printed it: no rating, no text
            folded = fold(line).rstrip(":").strip()
            if folded in _LABEL_ONLY:
                continue
            m = _COMMENT_LABEL.match(fold(line))
            if m:
                line = line[m.end():].strip() if len(fold(line)) == len(line) else line.split(":", 1)[1].strip()
                if not line:
                    continue
            awaiting_value = False
            texts.append(line)

    q = BY_NUMBER[number]
    problems = []
    score = color = None
    if rating is None and invalid is None and loose is not None:
        take(loose[0])
        if texts[loose[1]:loose[1] + 1] == [loose[2]]:
            del texts[loose[1]]  # the rating's line is not answer text
    if rating is None and invalid is None and summarised is not None:
        take(summarised)  # rated only in the summary table
    if q.rated:
        if conflict is not None:
            first, second = (_shown(r) for r in conflict)
            problems.append(Problem(
                "invalid_score",
                f"Fråga {number} ({q.title}) har två olika påverkansgrader ({first} och {second}). "
                "Ange en enda påverkansgrad för frågan.", number))
        elif rating is not None:
            score, color = rating.score, rating.color
        elif invalid is not None:
            problems.append(Problem(
                "invalid_score",
                f"Fråga {number} ({q.title}) har påverkansgraden \"{invalid}\", som inte går att tolka. "
                f"Ange en siffra 1–5 (eller {', '.join(LEVEL_NAMES.values())} "
                f"alternativt {listing(COLOR_RATINGS.values(), 'eller')}).", number))
        else:
            problems.append(Problem(
                "missing_score",
                f"Fråga {number} ({q.title}) saknar påverkansgrad. Ange en siffra 1–5 "
                "efter \"Påverkan:\".", number))
    return Answer(number, score, color, "\n".join(texts)), problems
