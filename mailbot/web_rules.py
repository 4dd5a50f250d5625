"""The web desk's Regler page: the rule files with their mistakes at their lines, trying the rules on a
text, what an edit would have forwarded over the last months before it is saved, saving and undoing.

The administrator's text is saved exactly as written (comments, order and spacing stay; only the
CRLF line ends a browser sends become the file's own), atomically (a temporary file, then
os.replace), and only when the whole rule set is valid, checked again here whatever the preview
said. Every save and undo is a row in `rule_versions` (the text before and after, who, when), so
the last change can be undone, and an undo is itself a change that can be undone. A form carries
the hash of the file it was based on: when the file changed since, nothing is overwritten (409).
The shipped rules inside the package are never written: without `[rules] directory` the page is
read-only. The running bot needs no signal: it reloads the rule files on every pass of the mailbox
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
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for

from rules.loader import SHIPPED_DIRECTORY, rules_from_texts
from rules.matcher import MAX_TEXT_CHARS, Hit, explain
from rules.model import RuleKind, RulesError, RuleSet

from .config import Config
from .deadlines import SWEDEN, format_period, parse_period, previous_month
from .rules_history import Compared, compare
from .status import default_period
from .store import Store, open_db, open_for_reading, utcnow
from .web import desk_config, require

logger = logging.getLogger(__name__)

bp = Blueprint("rules", __name__)

MAX_RULES_BYTES = 256 * 1024
HISTORY_PERIODS = 6
VERSIONS_SHOWN = 20
MISTAKES_SHOWN = 100  # per file
READ_ONLY = ("Reglerna kan inte ändras här: boten använder de regler som följer med programmet. Ange en egen "
             "mapp med `[rules] directory` i konfigurationsfilen (kopiera dit signals.toml och units.toml) "
             "för att kunna ändra reglerna på den här sidan.")
TOO_LARGE = f"Texten är för stor: en regelfil får vara högst {MAX_RULES_BYTES // 1024} kB."
DONE = {"sparad": "Ändringen i {file} är sparad. Boten använder de nya reglerna från nästa genomgång av brevlådan.",
        "angrad": "Den senaste ändringen i {file} är ångrad. Boten använder reglerna från nästa genomgång av "
                  "brevlådan.",
        "oforandrad": "{file} är oförändrad: det fanns inget att spara."}
_MISTAKE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class RuleFile:
    name: str  # "signals.toml"
    element_id: str  # "rules-signals": the textarea's id
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
    """A change that is not made; `status` and a Swedish `message` for the administrator."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# --- reading and checking --------------------------------------------------------------------------------


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
        files.append(RuleFile(path.name, f"rules-{_id_part(path.name)}", text, digest(data), readable))
    return files


def _id_part(name: str) -> str:
    """A file name as part of an HTML id: "signals.toml" -> "signals"."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", Path(name).stem)


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


# --- what the page shows ----------------------------------------------------------------------------------


def history(config: Config, rules: RuleSet) -> dict:
    """What `rules` would have forwarded over the last months beside what was forwarded."""
    year, month = parse_period(default_period(config, datetime.now(SWEDEN).date()))
    periods = []
    for _ in range(HISTORY_PERIODS):
        periods.append(format_period(year, month))
        year, month = previous_month(year, month)
    db = open_for_reading(config.database)
    try:
        rows = compare(Store(db), rules, sorted(periods))
    finally:
        db.close()
    return {"first": min(periods), "last": max(periods), "tested": len(rows),
            "changed": [_changed(row, rules) for row in rows if row.added or row.dropped],
            "added": sum(len(r.added) for r in rows), "dropped": sum(len(r.dropped) for r in rows),
            "same": sum(len(r.would & r.was) for r in rows)}


def _changed(row: Compared, rules: RuleSet) -> dict:
    def names(fired) -> list[str]:
        out = []
        for name, question in sorted(fired, key=lambda f: (f[1] or 0, f[0])):
            rule = rules.rule(name)
            title = rule.display if rule else name
            out.append(f"{title} (fråga {question})" if question else title)
        return out

    return {"municipality": row.municipality, "period": row.period, "added": names(row.added),
            "dropped": names(row.dropped)}


def tried(rules: RuleSet, sample: str) -> dict:
    """Which rules fire on a text, on which words (marked in their sentence), and what was set aside."""
    fired: list[dict] = []
    quiet: list[dict] = []
    ratings: list[str] = []  # rating rules: a free text has no rating to look at
    for e in explain(sample, rules):
        unit = rules.unit(e.rule.unit)
        entry = {"name": e.rule.name, "title": e.rule.display, "unit": unit.name if unit else e.rule.unit,
                 "hits": [_hit(h) for h in e.hits], "suppressed": [_hit(h) for h in e.suppressed],
                 "excepted": list(e.excepted), "notes": list(e.notes)}
        if e.fired:
            fired.append(entry)
        elif e.rule.kind is RuleKind.RATING:
            ratings.append(e.rule.name)
        else:
            quiet.append(entry)
    return {"fired": fired, "quiet": quiet, "ratings": ratings, "truncated": len(sample) > MAX_TEXT_CHARS}


def _hit(hit: Hit) -> dict:
    parts, pos = [], 0
    for start, end in hit.marks:
        parts += [(hit.excerpt[pos:start], False), (hit.excerpt[start:end], True)]
        pos = end
    parts.append((hit.excerpt[pos:], False))
    return {"words": " ".join(hit.words), "term": hit.term, "negated_by": hit.negated_by,
            "parts": [p for p in parts if p[0]]}


def render_page(config: Config, user: dict, *, edit: Edit | None = None, sample: str | None = None,
                conflict: Edit | None = None, error: str | None = None, mistakes_of_undo: Sequence[Mistake] = (),
                status: int = 200):
    directory = folder(config)
    files = read_files(directory)
    unreadable = [f.name for f in files if not f.readable]
    current, current_mistakes = check([(f.name, f.text) for f in files], unreadable)
    shown, mistakes, preview = current, current_mistakes, None
    if edit is not None:
        texts = [(f.name, edit.text if f.name == edit.file else f.text) for f in files]
        shown, mistakes = check(texts, [n for n in unreadable if n != edit.file])
        preview = {"file": edit.file, "text": edit.text, "base": edit.base, "rules": shown,
                   "history": history(config, shown) if shown is not None else None,
                   "baseline": history(config, current) if shown is not None and current is not None else None}
    trial = tried(shown, sample) if sample is not None and shown is not None else None
    db = open_for_reading(config.database)
    try:
        versions = Store(db).rule_versions(str(directory), VERSIONS_SHOWN)
    finally:
        db.close()
    views = []
    for f in files:
        own = [m for m in mistakes if m.file == f.name]
        edited = edit is not None and f.name == edit.file
        views.append({"name": f.name, "id": f.element_id, "part": f.element_id[len("rules-"):],
                      "readable": f.readable, "text": edit.text if edit and edited else f.text,
                      "base": edit.base if edit and edited else f.digest,
                      # a page, not a book: the first mistakes of each file, and how many more
                      "mistakes": own[:MISTAKES_SHOWN], "more": max(0, len(own) - MISTAKES_SHOWN)})
    notice = None
    if request.args.get("klart") in DONE and request.args.get("fil") in {f.name for f in files}:
        notice = DONE[request.args["klart"]].format(file=request.args["fil"])
    return render_template(
        "rules.html", user=user, files=views, directory=str(directory) if config.rules_dir else None,
        writable=writable(config), read_only=READ_ONLY, current=current, current_mistakes=current_mistakes,
        general=[m for m in mistakes if m.file is None], preview=preview, sample=sample, trial=trial,
        conflict=conflict, error=error, undo_mistakes=list(mistakes_of_undo), versions=versions,
        last=versions[0] if versions else None, notice=notice, shown_valid=shown is not None,
        conflict_id=f"rejected-{_id_part(conflict.file)}" if conflict else None,
        preview_anchor=f"file-{_id_part(edit.file)}" if edit else None), status


# --- changing the files -----------------------------------------------------------------------------------


def _edit_from_form(config: Config) -> Edit:
    names = {p.name for p in folder(config).glob("*.toml")}
    name = request.form.get("file", "")
    if name not in names:
        abort(404)
    text = request.form.get("text", "")
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_RULES_BYTES:
        raise Refused(413, TOO_LARGE)
    original = (folder(config) / name).read_bytes().decode("utf-8", errors="replace")
    return Edit(name, as_saved(text, original), request.form.get("base", ""))


def _stale(config: Config, edit: Edit) -> bool:
    return digest((folder(config) / edit.file).read_bytes()) != edit.base


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
                raise Refused(409, _changed_since(edit.file))
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


def _changed_since(name: str) -> str:
    return (f"{name} har ändrats sedan du öppnade sidan (av någon annan eller direkt i filen). Din ändring är "
            "inte sparad: den står nedan så att du kan kopiera den. Gör om ändringen i den nya versionen.")


# --- routes -----------------------------------------------------------------------------------------------


@bp.get("/regler")
def page():
    return render_page(desk_config(), require("rules"))


@bp.post("/regler/prova")
def try_text():
    user, config = require("rules"), desk_config()
    sample = request.form.get("sample", "")
    edit = None
    if "file" in request.form:  # trying the edited rules of a preview
        try:
            edit = _edit_from_form(config)
        except Refused as e:
            return render_page(config, user, error=e.message, status=e.status)
    return render_page(config, user, edit=edit, sample=sample)


@bp.post("/regler/forhandsgranska")
def preview():
    user, config = require("rules_change"), desk_config()
    if not writable(config):
        return render_page(config, user, error=READ_ONLY, status=409)
    try:
        edit = _edit_from_form(config)
    except Refused as e:
        return render_page(config, user, error=e.message, status=e.status)
    if _stale(config, edit):
        return render_page(config, user, conflict=edit, error=_changed_since(edit.file), status=409)
    return render_page(config, user, edit=edit)


@bp.post("/regler/spara")
def save_file():
    user, config = require("rules_change"), desk_config()
    if not writable(config):
        return render_page(config, user, error=READ_ONLY, status=409)
    try:
        edit = _edit_from_form(config)
    except Refused as e:
        return render_page(config, user, error=e.message, status=e.status)
    try:
        saved = save(config, user["name"], edit)
    except Refused as e:
        return render_page(config, user, conflict=edit, error=e.message, status=e.status)
    except Invalid:
        return render_page(config, user, edit=edit, error="Ändringen är inte sparad: reglerna innehåller fel.",
                           status=422)
    except OSError as e:
        logger.exception("rule file %s could not be written", request.form.get("file"))
        return render_page(config, user, error=f"Filen kunde inte sparas: {e.strerror or e}", status=500)
    return redirect(url_for("rules.page", klart="sparad" if saved else "oforandrad", fil=edit.file))


@bp.post("/regler/angra")
def undo_last():
    user, config = require("rules_change"), desk_config()
    if not writable(config):
        return render_page(config, user, error=READ_ONLY, status=409)
    version = request.form.get("version", "")
    if not version.isdigit():
        abort(400)
    try:
        name = undo(config, user["name"], int(version))
    except Refused as e:
        return render_page(config, user, error=e.message, status=e.status)
    except Invalid as e:
        return render_page(config, user, error="Ändringen kan inte ångras: reglerna skulle då innehålla fel.",
                           mistakes_of_undo=e.mistakes, status=422)
    except OSError as e:
        logger.exception("rule file could not be written for an undo")
        return render_page(config, user, error=f"Filen kunde inte sparas: {e.strerror or e}", status=500)
    return redirect(url_for("rules.page", klart="angrad", fil=name))


@bp.errorhandler(413)
def too_large(_error):
    return render_page(desk_config(), require("rules"), error=TOO_LARGE, status=413)
