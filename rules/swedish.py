"""Swedish text for the routing rules: words, stems, sentences and negation.

Pure and small on purpose. The matcher asks three things of it:

- `tokenize(text)`: the words of an answer with their positions and the
  sentence each belongs to. A sentence ends at . ! ? ; (not after "t.ex.",
  "bl.a." and similar), at a blank line, and at a line break followed by a
  new line that starts with a capital letter, digit or bullet (a line that
  continues in lower case is a wrapped line, as PDF text often is).
- `stem(word)`: the Snowball Swedish stem, cached.
- `negations(tokens)`: for every word, the earlier word in its clause that
  negates it ("inga tecken på narkotikahandel"), if any; and
  `negated_after(...)` for a negation after the word ("Narkotika: inga nya
  uppgifter", "Droghandel förekommer inte").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from parsers.directory import fold

_STEMMER = snowballstemmer.stemmer("swedish")
_STEM_LOCK = threading.Lock()  # Snowball stemmer objects keep state between calls


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word: 'droghandeln' -> 'droghandeln', 'droger' -> 'drog'."""
    with _STEM_LOCK:
        return _STEMMER.stemWord(word)


def has_swedish_letters(text: str) -> bool:
    """True when the text has å, ä, ö (or é, ü) anywhere.

    A text without them was probably typed or converted without them
    ("manniskohandel"); the matcher then compares folded forms.
    """
    return not fold(text) == text.casefold()


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    word: str  # case-folded, diacritics kept
    sentence: int


# Words are runs of letters/digits; hyphens split compounds ("NMR-klistermärken").
# Abbreviations with inner dots ("t.ex", "bl.a", "d.v.s") are one word.
_TOKEN = re.compile(
    r"(?P<abbr>[^\W\d_]{1,3}(?:\.[^\W\d_]{1,3})+)"
    r"|(?P<num>\d+(?:[.,:]\d+)*)"
    r"|(?P<word>[^\W_]+)"
    r"|(?P<stop>[.!?;…]+)"
    r"|(?P<nl>\n)"
)
_ABBREVIATIONS = frozenset(
    "ca cirka dvs resp kl nr st etc osv mm bl tex ang angående enl jfr obs s k p g a f d"
    " kap sid tel tfn vard".split()
)
_BULLETS = "-•*–—·▪►○●"


def tokenize(text: str) -> list[Token]:
    """The words of `text`, each with the number of the sentence it is in."""
    tokens: list[Token] = []
    sentence = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("word", "abbr", "num"):
            tokens.append(Token(m.start(), m.end(), m.group().casefold(), sentence))
        elif kind == "stop":
            if m.group().startswith(".") and tokens and tokens[-1].end == m.start():
                previous = tokens[-1].word
                if "." in previous or previous in _ABBREVIATIONS:
                    continue  # "t.ex." / "ca." do not end a sentence
            sentence += 1
        elif kind == "nl" and _line_break_ends_sentence(text, m.end()):
            sentence += 1
    return tokens


def _line_break_ends_sentence(text: str, pos: int) -> bool:
    """A line break ends a sentence unless the next line continues in lower case."""
    n = len(text)
    while pos < n and text[pos] in " \t\r\xa0":
        pos += 1
    if pos >= n or text[pos] == "\n" or text[pos] in _BULLETS:
        return True
    return not text[pos].islower()


# --- negation ----------------------------------------------------------------

#: Words that negate what follows in their clause.
NEGATORS = frozenset({"inte", "ej", "icke", "ingen", "inget", "inga", "ingenting", "aldrig", "varken"})
#: Negators that stand for "no such thing" and also negate a word before them
#: ("Narkotika: inga nya uppgifter").
NOUN_NEGATORS = frozenset({"ingen", "inget", "inga", "ingenting"})
#: Words that end a clause: the negation before them does not reach past them.
CLAUSE_BREAKERS = frozenset({"men", "dock", "däremot", "emellertid", "fast", "medan"})
#: A negator followed by one of these is not a negation:
#: "inte bara", "inte minst", "inte ovanligt", "ingen tvekan", "inte sällan".
_NOT_NEGATION_AFTER = frozenset(
    {
        "bara", "enbart", "endast", "minst", "sällan", "ovanligt", "ovanlig", "ovanliga",
        "ovanlighet", "tvekan", "tvivel", "osannolikt", "uteslutet", "omöjligt",
    }
)
_SKIP_BEFORE_CANCEL = frozenset({"helt", "alls", "särskilt", "så"})
#: Stems of verbs that make "inte" negate an action, not the thing itself:
#: "polisen har inte lyckats stoppa narkotikahandeln" is still a signal.
_ACTION_STEMS = (
    "lyckat", "lyckas", "stoppa", "stopp", "förhindr", "hindr", "minsk", "bekämp",
    "stävj", "grip", "upphör", "lös", "åtgärd",
)
#: Stems after a negator that make a later negation about existence:
#: "Narkotikahandel har inte setts", "Droger förekommer inte".
_EXISTENCE_STEMS = (
    "set", "sett", "ses", "syn", "observer", "förekom", "noter", "rapporter", "upptäck",
    "märk", "känd", "känn", "hört", "hör", "fått", "fanns", "finn", "skett", "hänt",
    "konstater", "bekräft", "påträff", "hitta", "iaktt",
)
#: After a negation, "och"/"samt" followed by one of these starts a new clause:
#: "Inga större händelser och polisen rapporterar att narkotikahandeln ökat".
_NEW_SUBJECTS = frozenset(
    {
        "vi", "jag", "man", "de", "dom", "han", "hon", "polisen", "personalen", "skolan",
        "skolorna", "kommunen", "fältgruppen", "fältarna", "socialtjänsten", "föräldrar",
        "vårdnadshavare", "ungdomar", "ungdomarna",
    }
)
#: A question word after a negation ends it: "vi vet inte var drogerna kommer ifrån",
#: "ingen vet vem som säljer droger".
_QUESTION_WORDS = frozenset({"var", "vem", "vad", "hur", "varför", "varifrån", "vart", "vilka", "vilken", "vilket"})
#: "utan" followed by these is "but", not "without": "inte bara alkohol utan även cannabis".
_CONTRAST_AFTER_UTAN = frozenset({"även", "också", "dessutom", "snarare", "istället", "främst", "mest"})
#: Words that may stand between a word and "inga"/"ingen"/"inget" negating it.
_POST_FILLERS = frozenset(
    {"har", "hade", "är", "var", "finns", "fanns", "förekommer", "förekom", "det", "vi", "man", "jag", "så", "sig"}
)
#: How many words may stand between a negator and the word it negates.
NEGATION_WINDOW = 8
#: How many words may stand between a word and a negation after it.
AFTER_WINDOW = 3


def _is_cancelled(tokens: list[Token], i: int) -> bool:
    """Is the negator at i followed by "bara", "minst", "ovanligt", ...?"""
    j = i + 1
    while j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
        word = tokens[j].word
        if word in _SKIP_BEFORE_CANCEL:
            j += 1
            continue
        return word in _NOT_NEGATION_AFTER
    return False


def negations(tokens: list[Token]) -> list[int | None]:
    """For each token, the index of the negator that negates it, or None.

    A negator negates the words after it in the same clause, up to
    NEGATION_WINDOW words away. A clause ends at the end of a sentence and at
    "men", "dock", "däremot"...; "utan" after a negation starts a contrast
    ("inte alkohol utan narkotika") and otherwise negates itself ("utan
    koppling till droger"). A verb of action after "inte" ("har inte lyckats
    stoppa"), a question word ("vet inte var drogerna...", "ingen vet vem") and
    "och" before a new subject ("och polisen rapporterar") end the negation.
    """
    result: list[int | None] = [None] * len(tokens)
    active: int | None = None
    contrast = False  # a negation ("inte", or "inte bara") came earlier in the clause
    sentence = -1
    for i, tok in enumerate(tokens):
        if tok.sentence != sentence:
            sentence, active, contrast = tok.sentence, None, False
        word = tok.word
        if word in CLAUSE_BREAKERS:
            active, contrast = None, False
            continue
        if word == "utan":
            following = tokens[i + 1].word if i + 1 < len(tokens) else ""
            if following in _CONTRAST_AFTER_UTAN or (contrast and following != "att"):
                active, contrast = None, False  # "inte X utan Y", "utan även Y": Y is affirmed
            else:
                active = i
            continue
        if word in NEGATORS:
            contrast = True
            if not _is_cancelled(tokens, i):
                active = i
            continue
        if active is not None:
            if word in ("och", "samt") and i + 1 < len(tokens) and tokens[i + 1].word in _NEW_SUBJECTS:
                active = None
                continue
            if word in _QUESTION_WORDS:
                active = None
                continue
            if i - active - 1 > NEGATION_WINDOW:
                active = None
            elif tokens[active].word in ("inte", "ej", "icke", "aldrig") and word.startswith(_ACTION_STEMS):
                active = None
        result[i] = active
    return result


def negated_after(tokens: list[Token], last: int) -> int | None:
    """The index of a negation shortly after token `last` that negates it, or None.

    "Narkotika: inga nya uppgifter" and "Droghandel förekommer inte" are
    negated; "Narkotikahandeln har inte minskat" is not.
    """
    sentence = tokens[last].sentence
    between: list[str] = []
    for j in range(last + 1, min(len(tokens), last + 2 + AFTER_WINDOW)):
        tok = tokens[j]
        if tok.sentence != sentence or tok.word in CLAUSE_BREAKERS or tok.word == "utan":
            return None
        if tok.word in NEGATORS:
            if _is_cancelled(tokens, j):
                return None
            if tok.word in NOUN_NEGATORS:
                # "Narkotika: inga nya uppgifter", "Prostitution har vi ingen kännedom om";
                # but not "Kokain i parken, inga gripanden"
                return j if all(w in _POST_FILLERS for w in between) else None
            if any(w.startswith(_EXISTENCE_STEMS) for w in between):
                return j
            following = _next_word(tokens, j, skip=("heller", "alls", "längre", "någon", "något", "några"))
            if following is None or following.startswith(_EXISTENCE_STEMS):
                return j
            return None
        between.append(tok.word)
    return None


def _next_word(tokens: list[Token], i: int, skip: tuple[str, ...]) -> str | None:
    j = i + 1
    while j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
        if tokens[j].word not in skip:
            return tokens[j].word
        j += 1
    return None


def sentence_bounds(tokens: list[Token]) -> dict[int, tuple[int, int]]:
    """For each sentence number, the indices of its first and last token (one pass)."""
    bounds: dict[int, tuple[int, int]] = {}
    for i, tok in enumerate(tokens):
        first = bounds.get(tok.sentence, (i, i))[0]
        bounds[tok.sentence] = (first, i)
    return bounds


def sentence_span(text: str, tokens: list[Token], index: int,
                  bounds: dict[int, tuple[int, int]] | None = None) -> tuple[int, int]:
    """Start and end in `text` of the sentence that token `index` is in.

    Pass `bounds` (from `sentence_bounds`) when asking for many tokens: without
    it the sentence is found by walking its tokens.
    """
    sentence = tokens[index].sentence
    if bounds is not None and sentence in bounds:
        first, last = bounds[sentence]
    else:
        first = index
        while first > 0 and tokens[first - 1].sentence == sentence:
            first -= 1
        last = index
        while last + 1 < len(tokens) and tokens[last + 1].sentence == sentence:
            last += 1
    end = tokens[last].end
    # keep the sentence's own closing punctuation (a few characters: ")))..." is not read to its end)
    stop = min(len(text), end + 3)
    while end < stop and text[end] in ".!?;…)\"”'":
        end += 1
    return tokens[first].start, end
