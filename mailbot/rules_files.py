"""The rule files as an administrator changes them: read, checked with each mistake at its line, saved
exactly as written, and the last change undone. No web here: `web_rules` puts a page in front of it.

A text is saved as written (comments, order and spacing stay; only the CRLF line ends a browser
sends become the file's own), atomically (a temporary file, then os.replace), and only when the
whole rule set would be valid, whatever a preview said. Every save and undo is a row in
`rule_versions` (the text before and after, who, when), so the last change can be undone, and an
undo is itself a change that can be undone. A change names the hash of the file it started from:
when the file changed since, nothing is overwritten. The rules shipped inside the package are never
written. The running bot needs no signal: it reloads the rule files on every pass of the mailbox
(`rules_state.rules_in_force`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rules.loader import SHIPPED_DIRECTORY, rules_from_texts
from rules.model import RulesError, RuleSet

from .config import Config
from .store import Store, open_db, utcnow

logger = logging.getLogger(__name__)

MAX_RULES_BYTES = 256 * 1024
_MISTAKE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class RuleFile:
    name: str  # "signals.toml"
    text: str
    digest: str  # sha256 of the bytes on disk: what an edit is based on
    readable: bool  # valid UTF-8


@dataclass(frozen=True)
class Edit:
    """A file's text as an administrator wrote it in the form, and the digest of the file it started from."""

    file: str
    text: str
    base: str


@dataclass(frozen=True)
class Mistake:
    file: str | None
    line: int | None
    message: str
    source: str  # the text of that line ("" when unknown)


class Invalid(Exception):
    """The rule set a change would leave has mistakes."""

    def __init__(self, mistakes: list[Mistake]):
        super().__init__("; ".join(m.message for m in mistakes))
        self.mistakes = mistakes


class Refused(Exception):
    """A change that is not made; `status` (HTTP-like: 409 conflict, 413 too large) and a Swedish `message`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# --- reading and checking ---------------------------------------------------------------------------------


def folder(config: Config) -> Path:
    return config.rules_dir if config.rules_dir is not None else SHIPPED_DIRECTORY


def writable(config: Config) -> bool:
    """Only a configured directory, never the rules shipped inside the package."""
    return config.rules_dir is not None and config.rules_dir.resolve() != SHIPPED_DIRECTORY.resolve()


def read_files(directory: Path) -> list[RuleFile]:
    files = []
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else []:
        data = path.read_bytes()
        try:
            text, readable = data.decode("utf-8"), True
        except UnicodeDecodeError:
            text, readable = data.decode("utf-8", errors="replace"), False
        files.append(RuleFile(path.name, text, digest(data), readable))
    return files


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(texts: list[tuple[str, str]], unreadable: Sequence[str] = ()) -> tuple[RuleSet | None, list[Mistake]]:
    """The rule set of (file name, text) pairs, or its mistakes, each with the text of its line."""
    mistakes = [Mistake(name, 1, "filen är inte sparad som UTF-8", "") for name in unreadable]
    by_name = dict(texts)
    split: dict[str, list[str]] = {}
    try:
        rules = rules_from_texts(texts)
    except RulesError as e:
        for error in e.errors:
            m = _MISTAKE.match(error)
            if m is None or m["file"] not in by_name:
                mistakes.append(Mistake(None, None, error, ""))
                continue
            number = int(m["line"])
            if m["file"] not in split:
                split[m["file"]] = by_name[m["file"]].splitlines()
            lines = split[m["file"]]
            source = lines[number - 1] if 0 < number <= len(lines) else ""
            mistakes.append(Mistake(m["file"], number, m["message"], source))
        return None, mistakes
    return (None if mistakes else rules), mistakes


def check_with(directory: Path, name: str, text: str) -> list[Mistake]:
    """The mistakes of the rule files in `directory` as they would be with `name` holding `text`."""
    texts, unreadable = [], []
    for path in sorted(directory.glob("*.toml")):
        if path.name == name:
            texts.append((name, text))
            continue
        data = path.read_bytes()
        try:
            texts.append((path.name, data.decode("utf-8")))
        except UnicodeDecodeError:
            unreadable.append(path.name)
            texts.append((path.name, data.decode("utf-8", errors="replace")))
    return check(texts, unreadable)[1]


def as_saved(text: str, original: str) -> str:
    """The form's text with the file's own line ends (browsers send CRLF)."""
    text = text.replace("\r\n", "\n")
    return text.replace("\n", "\r\n") if "\r\n" in original else text


# --- changing the files -----------------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) all at once, keeping its permissions; never half a file."""
    mode = stat.S_IMODE(path.stat().st_mode)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # not *.toml
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save(config: Config, user: str, edit: Edit) -> bool:
    """Write `edit` when the whole set is valid and the file is still what the edit started from.

    False when the text is the file's as it is (nothing written). Raises Refused (409: changed on disk)
    or Invalid (the mistakes). The check, the version row and the write happen under the
    database's write lock, so two administrators saving at once cannot both win.
    """
    directory = folder(config)
    db = open_db(config.database)
    try:
        store = Store(db)
        with store.transaction():
            path = directory / edit.file
            before = path.read_bytes()
            if digest(before) != edit.base:
                raise Refused(409, changed_since(edit.file))
            try:
                old = before.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(409, f"{edit.file} är inte sparad som UTF-8 och kan inte ändras här (den tidigare "
                                   "versionen skulle inte kunna återställas). Spara om filen som UTF-8.") from None
            mistakes = check_with(directory, edit.file, edit.text)
            if mistakes:
                raise Invalid(mistakes)
            if edit.text == old:
                return False
            at = utcnow().isoformat()
            store.add_rule_version(str(directory), edit.file, old, edit.text, "save", user, at)
            store.log_web_action(at, user, "rules_save", edit.file)
            write_atomically(path, edit.text)
    finally:
        db.close()
    logger.info("rule file %s saved from the web desk by %s", edit.file, user)
    return True


def undo(config: Config, user: str, version_id: int) -> str:
    """Put back the text the last change replaced; the file's name. Raises Refused or Invalid."""
    directory = folder(config)
    db = open_db(config.database)
    try:
        store = Store(db)
        with store.transaction():
            versions = store.rule_versions(str(directory), 1)
            if not versions:
                raise Refused(409, "Det finns ingen ändring att ångra.")
            if versions[0]["id"] != version_id:
                raise Refused(409, "Någon annan har ändrat reglerna sedan du öppnade sidan. Titta på historiken "
                                   "nedan och försök igen om det fortfarande behövs.")
            last = versions[0]
            path = directory / last["file"]
            if not path.is_file() or path.read_bytes() != last["after"].encode("utf-8"):
                raise Refused(409, f"{last['file']} har ändrats direkt i filen efter den senaste ändringen här, "
                                   "så den kan inte ångras härifrån. Ändra texten och förhandsgranska i stället.")
            mistakes = check_with(directory, last["file"], last["before"])
            if mistakes:
                raise Invalid(mistakes)
            at = utcnow().isoformat()
            store.add_rule_version(str(directory), last["file"], last["after"], last["before"], "undo", user, at)
            store.log_web_action(at, user, "rules_undo", last["file"])
            write_atomically(path, last["before"])
    finally:
        db.close()
    logger.info("rule file %s: change %s undone from the web desk by %s", last["file"], version_id, user)
    return last["file"]


def changed_since(name: str) -> str:
    return (f"{name} har ändrats sedan du öppnade sidan (av någon annan eller direkt i filen). Din ändring är "
            "inte sparad: den står nedan så att du kan kopiera den. Gör om ändringen i den nya versionen.")
