"""The seven questions of the lägesbild template and how their headings look.

A heading is recognised in three forms: "Fråga 1, Ordningsstörningar ...",
"1. Ordningsstörningar ..." and the title alone. Titles are matched on their
folded (lower-case, no diacritics) words, so "Ordningsstorningar" and
"ORDNINGSSTÖRNINGAR" count too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .directory import fold


@dataclass(frozen=True, slots=True)
class Question:
    number: int
    title: str
    title_patterns: tuple[str, ...]  # regexes over folded text, anchored at the title start
    prompt: str  # the template's question wording (Dalarna monthly)
    rated: bool = True
    short: str = ""  # a label for narrow places (the heatmap's columns)


QUESTIONS: tuple[Question, ...] = (
    Question(1, "Ordningsstörningar och otrygghet",
             (r"ordningsstorningar?(?: och otrygghet)?", r"otrygghet och ordningsstorningar"),
             "Vilka ordningsstörningar och händelser som kan skapa otrygghet i samhället "
             "(t. ex. inbrott, buskörning, bränder eller skadegörelse) har förekommit den senaste månaden?",
             short="Ordning/otrygghet"),
    Question(2, "Hot och våld",
             (r"hot\s*(?:och|&|\+)\s*vald", r"vald\s*(?:och|&|\+)\s*hot"),
             "Vilka händelser och trender kan ni se vad gäller hot och våldsbrott under den senaste "
             "månaden (både i offentliga miljöer och i hemmet)?", short="Hot och våld"),
    Question(3, "Extremism och kriminella nätverk",
             (r"\(?valdsbejakande\)? ?extremism(?: och kriminella natverk)?", r"extremism(?: och kriminella natverk)?",
              r"kriminella natverk"),
             "Vilka indikationer på \"våldsbejakande extremism\", kriminella nätverk eller kriminella aktörer "
             "(t. ex. i form av klotter, klistermärken, propagandaspridning och rekrytering) har förekommit "
             "under den senaste månaden?", short="Extremism/nätverk"),
    Question(4, "Ungdomar/skolor",
             (r"ungdomar ?(?:/|och|,) ?skol(?:or|a)", r"skol(?:or|a) ?(?:/|och) ?ungdomar", r"ungdomar\b"),
             "På vilka skolor, fritidsgårdar eller i andra miljöer kopplade till ungdomar har ni "
             "uppmärksammat bråk eller andra oroligheter och på vilket vis?", short="Ungdomar/skolor"),
    Question(5, "Alkohol, narkotika, doping och tobak",
             (r"alkohol,? (?:narkotika|droger)", r"andts?\b", r"narkotika"),
             "Vilka indikationer och trender har ni sett under den senaste månaden vad gäller droghandel "
             "och bruk/missbruk av alkohol, narkotika och doping och tobak?", short="Alkohol/narkotika"),
    Question(6, "Övrigt",
             (r"ovrigt\b",),
             "Övrig information som kan vara av intresse för den regionala lägesbilden (t. ex. hot mot "
             "personal och politiker, trakasserier, ofredanden, ryktesspridning i sociala medier, "
             "kommande arrangemang eller evenemang)?", short="Övrigt"),
    Question(7, "Positiva åtgärder eller händelser",
             (r"positiva (?:atgarder|handelser)",),
             "Positiva åtgärder eller händelser som syftar till att öka tryggheten och förebygga sociala risker?",
             rated=False, short="Positivt"),
)

BY_NUMBER = {q.number: q for q in QUESTIONS}

_PREFIX = re.compile(
    r"^\s*(?:[\-•*▪◦·]\s*)?(?:\*\*)?"
    r"(?:(?:fraga|question)\s*(?:(?:nr|nummer|no)\.?\s*)?(?P<a>[1-7])\b|(?P<b>[1-7])\s*[.):]|(?P<c>[1-7])\s+(?=[a-z(]))"
    r"\s*[,.:\-–—]?\s*"
)


@dataclass(frozen=True, slots=True)
class Heading:
    number: int
    rest: str  # the text after the title, in original case (question wording and/or answer)
    explicit: bool  # had "Fråga N" or "N." before it
    titled: bool = True  # the template's title was recognised (not a bare "Fråga 3:" / "Question 3")
    prompt: bool = False  # the template's question sentence alone stood as the heading


# Words that may continue a title in some template variant ("Alkohol,
# narkotika, doping, tobak och spel"); consumed after the title pattern.
_TITLE_TAIL = {
    1: {"och", "otrygghet", "ordningsstorningar"},
    2: {"och", "hot", "vald", "valdsbrott"},
    3: {"och", "kriminella", "natverk", "extremism", "valdsbejakande", "krim"},
    4: {"och", "skolor", "skola", "ungdomar", "fritidsgardar"},
    5: {"och", "doping", "tobak", "spel", "narkotika", "droger", "alkohol", "andt", "andts"},
    6: set(),
    7: {"och", "eller", "handelser", "atgarder", "insatser"},
}
_TAIL_TOKEN = re.compile(r"[ ,()/&]*([a-z]+)\.?\)?")  # not over a tab: the next cell of a pasted table


# Abbreviated or paraphrased titles ("2. Hot & våld", "7. Positivt",
# "3. Extremism/krim. nätverk", "4. Ungdomar & skolor"), recognised only after
# "Fråga N" or "N." and standing as a heading (nothing after them but ":"),
# so that a numbered list inside an answer ("2. Hot mot lärare") is not one.
_SHORT_TITLES = {
    1: (r"ordning\w*\s*(?:&|och|/|\+)\s*o?trygghet\w*", r"o?trygghet\b", r"ordning(?:sstorning)?\w*"),
    2: (r"hot\s*(?:&|\+|/|och|,|-\s*och)\s*vald\w*", r"vald\w*\s*(?:&|\+|/|och|,)\s*hot\b", r"vald\b"),
    3: (r"(?:vb\s*|valdsbejakande\s*)?extremism\w*(?:\s*(?:&|\+|/|och)\s*krim\w*\.?\s*(?:natverk)?)?",
        r"krim(?:inella)?\.?\s*natverk", r"vbe\b"),
    4: (r"ungdomar?\s*(?:&|\+|/|och)\s*skol\w*", r"skol(?:or|a)\s*(?:&|\+|/|och)\s*ungdom\w*",
        r"unga\s*(?:&|\+|/|och)\s*skol\w*", r"unga\b",
        r"ungdom\w*", r"skol(?:or|a)"),
    5: (r"andts?\b", r"alkohol\w*(?:\s*(?:&|\+|/|och|,)\s*\w+)*", r"droger\b", r"narkotika\w*"),
    6: (r"ovrig\w*", r"annat\b"),
    7: (r"positiv\w*(?:\s+\w+)?",),
}
_STANDALONE_REST = re.compile(r"^\s*(?:[:?–—-].*)?$")


def _short_title(number: int, folded: str) -> int | None:
    """End of an abbreviated title that stands alone as the rest of a numbered heading."""
    for pattern in _SHORT_TITLES[number]:
        m = re.match(pattern, folded)
        if m and _STANDALONE_REST.match(folded[m.end():]):
            return m.end()
    return None


def _title_end(q: Question, folded: str) -> int | None:
    for pattern in q.title_patterns:
        m = re.match(pattern, folded)
        if m:
            end = last_word_end = m.end()
            while (t := _TAIL_TOKEN.match(folded, end)) and t.group(1) in _TITLE_TAIL[q.number]:
                end = t.end()
                if t.group(1) != "och":
                    last_word_end = end
            return last_word_end
    return None


def match_heading(text: str) -> Heading | None:
    """Recognise a question heading at the start of `text`."""
    folded = fold(text)
    if len(folded) != len(text):  # folding changed length (rare ligatures): fall back to unsafe slicing
        text = folded
    m = _PREFIX.match(folded)
    if m:
        number = int(m.group("a") or m.group("b") or m.group("c"))
        rest_start = m.end()
        q = BY_NUMBER[number]
        end = _title_end(q, folded[rest_start:])
        if end is None and not m.group("c"):
            end = _short_title(number, folded[rest_start:])
        if end is not None:
            return Heading(number, _clean_rest(text[rest_start + end:]), True)
        if m.group("a"):  # "Fråga 3:" without a recognisable title still counts
            return Heading(number, _clean_rest(text[rest_start:]), True, titled=False)
        return None
    stripped = folded.lstrip(" -•*▪◦·")
    offset = len(folded) - len(stripped)
    if (prompted := _prompt_number(stripped)) is not None:
        return Heading(prompted, "", False, prompt=True)
    for q in QUESTIONS:
        end = _title_end(q, stripped)
        if end is None:
            continue
        rest = text[offset + end:]
        # The title alone counts only when it stands as a heading: alone on
        # its line, followed by ":" or by the template's question wording.
        if not rest.strip() or rest.lstrip().startswith((":", "?", "–", "-")) or rest.rstrip().endswith("?"):
            return Heading(q.number, _clean_rest(rest), False)
    return None


def _prompt_number(folded: str) -> int | None:
    """The question whose whole template wording `folded` is (the title left out, Word's numbering lost):
    a question sentence that holds most of one prompt's words and little else."""
    if not 60 <= len(folded) <= 400 or not folded.rstrip().endswith(("?", ":")):
        return None
    words = set(_WORD.findall(folded))
    if not words:
        return None
    scored = []
    for number, prompt in _PROMPT_WORDS.items():
        scored.append((min(len(words & prompt) / len(words), len(words & prompt) / len(prompt)), number))
    scored.sort(reverse=True)
    (best, number), (second, _) = scored[0], scored[1]
    return number if best >= 0.8 and best - second >= 0.25 else None


def _clean_rest(rest: str) -> str:
    return rest.strip().lstrip(":?–-—,. ").strip()


_WORD = re.compile(r"[a-z]+")
_PROMPT_WORDS = {q.number: frozenset(_WORD.findall(fold(q.prompt))) for q in QUESTIONS}


def prompt_overlap(text: str, q: Question) -> float:
    """Share of the words of `text` that also occur in the question's wording."""
    words = _WORD.findall(fold(text))
    if not words:
        return 0.0
    prompt_words = set(_WORD.findall(fold(q.prompt))) | {"veckorna", "tva", "senaste"}
    return sum(w in prompt_words for w in words) / len(words)
