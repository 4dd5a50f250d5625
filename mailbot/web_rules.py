"""The web desk's Regler page: the rule files with their mistakes at their lines, trying the rules on a
text, what an edit would have forwarded over the last months before it is saved, saving and undoing.

What is saved, how, and what undo does is `rules_files`; this module gathers what the page shows
and turns the library's refusals into pages: 409 when the file changed since the form was made (or
the desk runs the shipped rules, without `[rules] directory`: read-only), 413 over 256 kB, 422 when
the rules would have mistakes. Everything from a file or a form is rendered escaped (autoescape).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for

from rules.matcher import MAX_TEXT_CHARS, Hit, explain
from rules.model import RuleKind, RuleSet

from .config import Config
from .deadlines import SWEDEN, format_period, parse_period, previous_month
from .rules_files import (
    MAX_RULES_BYTES,
    Edit,
    Invalid,
    Mistake,
    Refused,
    as_saved,
    changed_since,
    check,
    digest,
    folder,
    read_files,
    save,
    undo,
    writable,
)
from .rules_history import Compared, compare
from .status import default_period
from .store import Store, open_for_reading
from .web_access import desk_config, require

logger = logging.getLogger(__name__)

bp = Blueprint("rules", __name__)

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


def _id_part(name: str) -> str:
    """A file name as part of an HTML id: "signals.toml" -> "signals"."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", Path(name).stem)


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
        views.append({"name": f.name, "id": f"rules-{_id_part(f.name)}", "part": _id_part(f.name),
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


def _change_from_form(config, user: dict):
    """(the edit in the form, None), or (None, the page that refuses it: read-only desk or a bad form)."""
    if not writable(config):
        return None, render_page(config, user, error=READ_ONLY, status=409)
    try:
        return _edit_from_form(config), None
    except Refused as e:
        return None, render_page(config, user, error=e.message, status=e.status)


@bp.post("/regler/forhandsgranska")
def preview():
    user, config = require("rules_change"), desk_config()
    edit, refusal = _change_from_form(config, user)
    if edit is None:
        return refusal
    if _stale(config, edit):
        return render_page(config, user, conflict=edit, error=changed_since(edit.file), status=409)
    return render_page(config, user, edit=edit)


@bp.post("/regler/spara")
def save_file():
    user, config = require("rules_change"), desk_config()
    edit, refusal = _change_from_form(config, user)
    if edit is None:
        return refusal
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
