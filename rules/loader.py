"""Read rules/*.toml into a RuleSet, reporting every mistake as 'file:line: what is wrong'.

The messages are in Swedish: the administrators who edit the files read
them (`mailbot rules check`). tomllib gives no line numbers for keys, so
`_Locator` finds them in the raw text: the n-th `[[rule]]` header, then the
key's line inside that block. Good enough to point at the right place.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from parsers.directory import fold
from parsers.questions import BY_NUMBER
from parsers.vocabulary import LEVEL_NAMES

from .model import Color, Rule, RuleKind, RulesError, RuleSet, Term, Unit, WordKey
from .swedish import stem, tokenize

SHIPPED_DIRECTORY = Path(__file__).parent

QUESTIONS = frozenset(BY_NUMBER)
SCORES = frozenset(LEVEL_NAMES)

_UNIT_KEYS = {"key", "name", "addresses", "handles"}
_RULE_KEYS = {"name", "title", "unit", "kind", "terms", "except", "questions", "min_score", "colors", "description"}
_NAME = re.compile(r"^[^\W\d][\w-]*$")
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_rules(directory: Path | None = None) -> RuleSet:
    """Every *.toml in `directory` (None: the shipped rules/) as one RuleSet.

    Raises RulesError listing all mistakes found.
    """
    return rules_from_texts(_read_files(directory))


def check_rules(directory: Path | None = None) -> list[str]:
    """The mistakes in the rule files, as 'file:line: what is wrong'; empty when valid."""
    try:
        load_rules(directory)
    except RulesError as e:
        return e.errors
    return []


def rules_fingerprint(directory: Path | None = None) -> str:
    """A hash of the rule files' names and contents: changes when a file is edited, added or removed."""
    digest = hashlib.sha256()
    folder = directory if directory is not None else SHIPPED_DIRECTORY
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def rules_from_texts(sources: Iterable[tuple[str, str]]) -> RuleSet:
    """Build a RuleSet from (file name, TOML text) pairs, in order. Raises RulesError."""
    builder = _Builder()
    files = []
    for filename, text in sources:
        files.append(filename)
        builder.add_file(filename, text)
    return builder.finish(tuple(files))


def compile_term(text: str) -> Term | None:
    """A term as written ("klistermärke + nazistisk") prepared for matching; None if it has no words."""
    parts = []
    for phrase in text.split("+"):
        words = [t.word for t in tokenize(phrase)]
        if not words:
            return None
        parts.append(tuple(WordKey(w, stem(w), fold(stem(w))) for w in words))
    return Term(text.strip(), tuple(parts))


def _read_files(directory: Path | None) -> list[tuple[str, str]]:
    folder = directory if directory is not None else SHIPPED_DIRECTORY
    if not folder.is_dir():
        raise RulesError([f"{folder}: mappen med regler finns inte"])
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise RulesError([f"{folder}: inga regelfiler (*.toml) i mappen"])
    sources, errors = [], []
    for path in paths:
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            errors.append(f"{path}:1: filen är inte sparad som UTF-8")
        except OSError as e:
            errors.append(f"{path}:1: filen kan inte läsas ({e.strerror or e})")
    if errors:
        raise RulesError(errors)
    return sources


class _Locator:
    """Approximate line numbers for tables and keys in one TOML text."""

    _HEADER = re.compile(r"^\s*\[\[?\s*\"?([^\]\"]+?)\"?\s*\]\]?")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.header_lines: list[int] = []  # line numbers of all table headers, ascending
        self.starts: dict[str, list[int]] = {}  # table name -> its headers' line numbers
        for number, line in enumerate(self.lines, 1):
            m = self._HEADER.match(line)
            if m:
                self.header_lines.append(number)
                self.starts.setdefault(m.group(1).strip(), []).append(number)

    def block(self, table: str, index: int) -> tuple[int, int]:
        """Lines [start, end) of the index-th [[table]]; (0, 0) when not found."""
        starts = self.starts.get(table, [])
        if index >= len(starts):
            return 0, 0
        start = starts[index]
        following = bisect.bisect_right(self.header_lines, start)
        return start, self.header_lines[following] if following < len(self.header_lines) else len(self.lines) + 1

    def find(self, start: int, end: int, pattern: re.Pattern[str]) -> int | None:
        for number in range(max(start, 1), min(end, len(self.lines) + 1)):
            if pattern.search(self.lines[number - 1]):
                return number
        return None

    def key(self, start: int, end: int, key: str) -> int | None:
        return self.find(start, end, re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*="))

    def top_level(self, key: str) -> int:
        pattern = re.compile(rf"^\s*(?:\[\[?\s*\"?{re.escape(key)}\"?\s*[\].]|\"?{re.escape(key)}\"?\s*=)")
        return self.find(1, len(self.lines) + 1, pattern) or 1


@dataclass
class _Block:
    """One [[unit]] or [[rule]] table, with a way to point at its lines."""

    filename: str
    table: str
    data: dict
    locator: _Locator
    start: int
    end: int
    errors: list[str]

    def where(self, key: str | None = None, value: str | None = None) -> str:
        line = None
        if value is not None:
            needle = re.compile(re.escape(value) if value else r"\"\"|''")
            after = (self.locator.key(self.start, self.end, key) or self.start) if key else self.start
            line = self.locator.find(after, self.end, needle)
        if line is None and key is not None:
            line = self.locator.key(self.start, self.end, key)
        return f"{self.filename}:{line or self.start or 1}"

    def error(self, message: str, key: str | None = None, value: str | None = None) -> None:
        self.errors.append(f"{self.where(key, value)}: {message}")

    def unknown_keys(self, allowed: set[str], what: str) -> None:
        for key in self.data:
            if key not in allowed:
                hint = difflib.get_close_matches(key, sorted(allowed), n=1)
                maybe = f' – menade du "{hint[0]}"?' if hint else f" (tillåtna: {', '.join(sorted(allowed))})"
                self.error(f'okänd nyckel "{key}" i {what}{maybe}', key)

    def string(self, key: str, what: str, required: bool = False) -> str | None:
        if key not in self.data:
            if required:
                self.error(f'{what} saknar "{key}"')
            return None
        value = self.data[key]
        if not isinstance(value, str) or not value.strip():
            self.error(f'{what}: "{key}" ska vara en text inom citattecken och får inte vara tom', key)
            return None
        return value.strip()

    def string_list(self, key: str, what: str) -> list[str] | None:
        value = self.data.get(key)
        if not isinstance(value, list):
            self.error(f'{what}: "{key}" ska vara en lista, t.ex. {key} = ["...", "..."]', key)
            return None
        result = []
        for item in value:
            if not isinstance(item, str):
                self.error(f'{what}: "{key}" får bara innehålla texter inom citattecken, inte {item!r}', key, str(item))
            elif not item.strip():
                self.error(f'{what}: tom text i "{key}"', key, "")
            else:
                result.append(item.strip())
        return result


class _Builder:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.units: dict[str, Unit] = {}
        self.rule_blocks: list[tuple[_Block, Rule | None]] = []
        self.rule_origins: dict[str, str] = {}

    def add_file(self, filename: str, text: str) -> None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            m = _TOML_LINE.search(str(e))
            line = int(m.group(1)) if m else (max(1, len(text.splitlines())) if "end of document" in str(e) else 1)
            reason = _TOML_LINE.sub("", str(e)).replace("(at end of document)", "").strip()
            self.errors.append(f"{filename}:{line}: ogiltig TOML ({reason})")
            return
        locator = _Locator(text)
        for key, value in data.items():
            if key not in ("unit", "rule"):
                hint = difflib.get_close_matches(key, ["unit", "rule"], n=1)
                maybe = f' – menade du "[[{hint[0]}]]"?' if hint else ""
                self.errors.append(
                    f"{filename}:{locator.top_level(key)}: okänd tabell eller nyckel \"{key}\" "
                    f"(en regelfil innehåller bara [[unit]] och [[rule]]){maybe}"
                )
                continue
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                self.errors.append(
                    f"{filename}:{locator.top_level(key)}: skriv [[{key}]] med dubbla hakparenteser, "
                    f"en gång för varje {'enhet' if key == 'unit' else 'regel'}"
                )
                continue
            for index, table in enumerate(value):
                start, end = locator.block(key, index)
                if not start:  # written inline: point at the key
                    start, end = locator.top_level(key), len(locator.lines) + 1
                block = _Block(filename, key, table, locator, start, end, self.errors)
                if key == "unit":
                    self._unit(block)
                else:
                    self.rule_blocks.append((block, self._rule(block)))

    def _unit(self, b: _Block) -> None:
        b.unknown_keys(_UNIT_KEYS, "[[unit]]")
        key = b.string("key", "[[unit]]", required=True)
        what = f'enheten "{key}"' if key else "[[unit]]"
        if key and not _NAME.match(key):
            b.error(f'{what}: "key" får bara innehålla bokstäver, siffror, _ och -', "key")
            key = None
        name = b.string("name", what, required=True)
        handles = b.string("handles", what) or ""
        addresses: list[str] = []
        if "addresses" not in b.data:
            b.error(f'{what} saknar "addresses" (e-postadresser som signalerna skickas till)')
        else:
            for address in b.string_list("addresses", what) or []:
                if _ADDRESS.match(address):
                    addresses.append(address)
                else:
                    b.error(f'{what}: "{address}" ser inte ut som en e-postadress', "addresses", address)
            if isinstance(b.data["addresses"], list) and not b.data["addresses"]:
                b.error(f'{what}: "addresses" är tom – ange minst en e-postadress', "addresses")
        if key is None or name is None:
            return
        if key in self.units:
            b.error(f'enheten "{key}" finns redan (se {self.units[key].origin})', "key")
            return
        self.units[key] = Unit(key, name, tuple(addresses), handles, b.where())

    def _rule(self, b: _Block) -> Rule | None:
        b.unknown_keys(_RULE_KEYS, "[[rule]]")
        name = b.string("name", "[[rule]]", required=True)
        what = f'regeln "{name}"' if name else "[[rule]]"
        ok = name is not None
        if name and not _NAME.match(name):
            b.error(f'{what}: namnet får bara innehålla bokstäver, siffror, _ och - (inga mellanslag)', "name")
            ok = False
        if name and name in self.rule_origins:
            b.error(f'regeln "{name}" finns redan (se {self.rule_origins[name]})', "name")
            ok = False
        elif name:
            self.rule_origins[name] = b.where()
        unit = b.string("unit", what, required=True)
        ok = ok and unit is not None

        kind = RuleKind.TERMS
        if "kind" in b.data:
            raw = b.data["kind"]
            try:
                kind = RuleKind(raw.strip().lower() if isinstance(raw, str) else raw)
            except ValueError:
                b.error(f'{what}: "kind" ska vara "terms" (ord i texten) eller "rating" (påverkansgrad), '
                        f'inte {raw!r}', "kind")
                ok = False

        questions = self._questions(b, what, kind)
        min_score = self._min_score(b, what)
        colors = self._colors(b, what)
        ok = ok and questions is not None and min_score is not False and colors is not None

        terms: list[Term] = []
        exceptions: list[str] = []
        if kind is RuleKind.TERMS:
            if "terms" not in b.data:
                b.error(f'{what} saknar "terms" (orden som regeln letar efter)')
                ok = False
            else:
                raw_terms = b.string_list("terms", what)
                if raw_terms is None:
                    ok = False
                elif not raw_terms:
                    b.error(f'{what}: "terms" är tom – ange minst ett ord', "terms")
                    ok = False
                for raw in raw_terms or []:
                    term = compile_term(raw)
                    if term is None or any(not part for part in term.parts):
                        b.error(f'{what}: termen "{raw}" innehåller inga ord', "terms", f'"{raw}"')
                        ok = False
                    else:
                        terms.append(term)
            if "except" in b.data:
                for pattern in b.string_list("except", what) or []:
                    if re.search(r"[\s\-–]", pattern):
                        b.error(
                            f'{what}: undantaget "{pattern}" ska vara ett enda ord (utan mellanslag eller bindestreck)',
                            "except", f'"{pattern}"',
                        )
                        ok = False
                    else:
                        exceptions.append(pattern.casefold())
        else:
            for key in ("terms", "except"):
                if key in b.data:
                    b.error(f'{what} är av typen "rating" och kan inte ha "{key}" '
                            '(ta bort raden eller skriv kind = "terms")', key)
                    ok = False
            if min_score is None and not colors:
                b.error(f'{what} är av typen "rating" och behöver "min_score" eller "colors"', "kind")
                ok = False
            if questions and 7 in questions:
                b.error(f"{what}: fråga 7 har ingen påverkansgrad och kan inte användas i en rating-regel", "questions")
                ok = False

        description = b.string("description", what) or ""
        title = b.string("title", what) or ""
        if not ok or name is None or unit is None:
            return None
        return Rule(
            name=name, unit=unit, kind=kind, terms=tuple(terms), exceptions=tuple(exceptions),
            questions=tuple(questions or ()), min_score=min_score or None, colors=tuple(colors or ()),
            description=description, title=title, origin=b.where(),
        )

    @staticmethod
    def _questions(b: _Block, what: str, kind: RuleKind) -> list[int] | None:
        if "questions" not in b.data:
            return []
        value = b.data["questions"]
        if not isinstance(value, list) or not value:
            b.error(f'{what}: "questions" ska vara en lista med frågenummer, t.ex. questions = [3, 5]', "questions")
            return None
        result = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or item not in QUESTIONS:
                b.error(f"{what}: fråga {item!r} finns inte (frågorna är numrerade 1–7)", "questions")
                return None
            if item not in result:
                result.append(item)
        return sorted(result)

    @staticmethod
    def _min_score(b: _Block, what: str) -> int | None | bool:
        """The minimum score, None when absent, False when wrong."""
        if "min_score" not in b.data:
            return None
        value = b.data["min_score"]
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
            b.error(f'{what}: "min_score" ska vara ett heltal 1–5 (påverkansgrad), inte {value!r}', "min_score")
            return False
        return value

    @staticmethod
    def _colors(b: _Block, what: str) -> list[Color] | None:
        if "colors" not in b.data:
            return []
        raw = b.string_list("colors", what)
        if raw is None:
            return None
        result = []
        for item in raw:
            color = Color.parse(item)
            if color is None:
                b.error(f'{what}: färgen "{item}" finns inte (använd "grön", "gul" eller "röd")', "colors", f'"{item}"')
                return None
            result.append(color)
        return result

    def finish(self, files: tuple[str, ...]) -> RuleSet:
        rules = []
        for block, rule in self.rule_blocks:
            if rule is None:
                continue
            if rule.unit not in self.units:
                known = ", ".join(self.units) or "inga"
                hint = difflib.get_close_matches(rule.unit, list(self.units), n=1)
                maybe = f' – menade du "{hint[0]}"?' if hint else ""
                block.error(f'regeln "{rule.name}": enheten "{rule.unit}" finns inte '
                            f'(kända enheter: {known}){maybe}', "unit")
                continue
            rules.append(rule)
        if self.errors:
            raise RulesError(sorted(self.errors, key=_error_order))
        return RuleSet(units=tuple(self.units.values()), rules=tuple(rules), files=files)


def _error_order(message: str) -> tuple[str, int]:
    m = re.match(r"^(.*?):(\d+): ", message)
    return (m.group(1), int(m.group(2))) if m else (message, 0)
