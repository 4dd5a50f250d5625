"""`mailbot web`: the web desk: log in, the pages (Regler: web_rules.py), the server.

Flask (small and well known, with the Jinja2 the mails already use) served by
waitress (a pure-Python production WSGI server: nothing to compile). Pages are
rendered on the server; there is no JavaScript. Who may do what is decided in
one place (`web_access.ALLOWED`) and checked on every request; every form carries a CSRF
token; the session cookie is signed, HttpOnly and SameSite=Strict (Secure
behind TLS); a Content Security Policy allows nothing inline; login attempts
are rate-limited; administrators' actions are logged with who and when.
"""

from __future__ import annotations

import hmac
import io
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError
from flask import Flask, Response, abort, redirect, render_template, request, session, url_for

from . import web_pages as pages
from .config import Config
from .deadlines import SWEDEN
from .decide import period_label
from .status import STATUS_SV, default_period
from .store import Store, open_db, open_for_reading, utcnow
from .web_access import ROLES, current_user, require
from .web_rules import bp as rules_pages

TREND_MONTHS = 12
MAIL_ROWS = 50  # mails to a municipality listed on its page
CHOOSER_MONTHS = 24  # months offered in the overview's period chooser
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTBOX_ROWS = 200
KINDS_SV = {"receipt": "kvitto", "reply": "svar", "reminder": "påminnelse", "forward": "vidarebefordran",
            "summary": "sammanställning", "feedback": "återkoppling", "missing_notice": "besked om saknad rapport",
            "no_report": "besked: ingen rapport"}
OUTBOX_STATUS_SV = {"queued": "i kö", "sending": "skickas", "sent": "skickat", "failed": "misslyckades",
                    "to_file": "ska arkiveras", "filed": "arkiverat"}
ERRORS_SV = {400: "Felaktig begäran", 403: "Du har inte behörighet till den här sidan",
             404: "Sidan finns inte", 405: "Det går inte att göra så här", 409: "Det gick inte att genomföra"}
LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS = 5, 300
_HASHER = PasswordHasher()


def add_user(config: Config, name: str, role: str, password: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    db = open_db(config.database)
    try:
        Store(db).put_web_user(name, role, _HASHER.hash(password), utcnow().isoformat())
    finally:
        db.close()


def create_app(config: Config, secure_cookies: bool = False) -> Flask:
    app = Flask(__name__, template_folder="web_templates", static_folder="web_static")
    app.extensions["mailbot_config"] = config
    db = open_db(config.database)
    try:
        app.secret_key = Store(db).web_secret(secrets.token_hex(32))
    finally:
        db.close()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_SECURE=secure_cookies, SESSION_COOKIE_NAME="mailbot_session")
    failures: dict[str, deque] = defaultdict(deque)
    lock = threading.Lock()

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["county"] = config.county.name
    app.jinja_env.globals["kinds"] = KINDS_SV
    app.jinja_env.globals["statuses"] = OUTBOX_STATUS_SV

    @app.before_request
    def guard():
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
                abort(400, "Formuläret har gått ut. Ladda om sidan och försök igen.")

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    app.register_blueprint(rules_pages)

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(409)
    def error_page(error):
        return render_template("error.html", user=current_user(), code=error.code,
                               text=ERRORS_SV.get(error.code, ""), detail=_swedish_detail(error)), error.code

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if (current_user() or {}).get("sso"):
            return redirect("/")  # the proxy has signed the user in
        error = None
        if request.method == "POST":
            client = request.remote_addr or "?"
            with lock:
                recent = failures[client]
                while recent and recent[0] < time.monotonic() - LOGIN_WINDOW_SECONDS:
                    recent.popleft()
                if len(recent) >= LOGIN_ATTEMPTS:
                    return render_template("login.html", error="För många försök. Vänta några minuter."), 429
            name = request.form.get("username", "")
            user = _verify(config, name, request.form.get("password", ""))
            if user is None:
                with lock:
                    failures[client].append(time.monotonic())
                error = "Fel användarnamn eller lösenord."
            else:
                session.clear()
                session["user"], session["since"] = user, time.time()
                target = request.args.get("next", "")
                return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
        return render_template("login.html", error=error), 401 if error else 200

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def overview():
        from .summary import build_summary

        user = require("overview")
        today = datetime.now(SWEDEN).date()
        current = default_period(config, today)
        period = request.args.get("period") or current
        if not PERIOD.fullmatch(period):
            abort(400, "Månaden skrivs ÅÅÅÅ-MM.")
        db = open_for_reading(config.database)
        try:
            store = Store(db)
            summary = build_summary(store, config, period, today)
            by_rule = store.forwarded_rule_counts(period)
            titles = pages.rule_titles(store, config) if by_rule else {}
            actions = store.web_actions(10)
        finally:
            db.close()
        status = {"period": period, "deadline": summary.deadline,
                  "municipalities": [{"name": r.name, "status": r.status, "received": r.received}
                                     for r in summary.rows]}
        choices = _months_back(max(current, period), CHOOSER_MONTHS)[::-1]
        if period not in choices:
            choices.append(period)
        return render_template(
            "overview.html", user=user, status=status, words=STATUS_SV, actions=actions,
            label=period_label(period), year=period[:4], choices=[(p, period_label(p)) for p in choices],
            heatmap=pages.heatmap(summary), worsened=[pages.watch_words(w) for w in summary.worsened],
            rising=[pages.watch_words(w) for w in summary.rising],
            signals=pages.signal_rows(summary, by_rule, titles))

    @app.get("/arbetsbok/<int:year>.xlsx")
    def workbook(year: int):
        from .export import build_workbook

        require("download")
        if not 2000 <= year <= 2100:
            abort(404)
        db = open_for_reading(config.database)
        try:
            book = build_workbook(Store(db), config, year)
        finally:
            db.close()
        buffer = io.BytesIO()
        book.save(buffer)
        return _download(buffer.getvalue(), f"Lägesbild {year}.xlsx", XLSX_TYPE)

    @app.get("/granska")
    def review_queue():
        from .review import held

        user = require("review")
        db = open_for_reading(config.database)
        try:
            store = Store(db)
            rows = held(store)
            for row in rows:  # one at a time: only one raw mail in memory beside the parsed views
                message = store.find_message(row["id"]) or {}
                row["understood"] = pages.understood(message, row)
                row["original"], row["unreadable"] = pages.original_of(message)
                row["purged"] = message.get("raw") is None
        finally:
            db.close()
        return render_template("review.html", user=user, rows=rows, done=request.args.get("done"),
                               municipality_names=[m.name for m in config.directory.municipalities])

    @app.get("/granska/<int:message_ref>/original.eml")
    def review_original(message_ref: int):
        require("review_original")
        raw = _reviewed_raw(config, message_ref)
        return _download(raw, f"mejl-{message_ref}.eml", "application/octet-stream")

    @app.get("/granska/<int:message_ref>/bilaga/<int:number>")
    def review_attachment(message_ref: int, number: int):
        from .web_original import attachment

        require("review_original")
        found = attachment(_reviewed_raw(config, message_ref), number)
        if found is None:
            abort(404)
        name, data = found
        return _download(data, name, "application/octet-stream")

    @app.post("/granska/<int:message_ref>/<decision>")
    def review_decide(message_ref: int, decision: str):
        from .app import poller
        from .review import ReviewError, accept, reject

        user = require("review_decide")
        if decision not in ("accept", "reject"):
            abort(404)
        who = f"web:{user['name']}"
        try:
            with poller(config) as p:
                if decision == "accept":
                    accept(p, message_ref, utcnow(), register=request.form.get("register") == "on", by=who,
                           municipality=request.form.get("municipality") or None,
                           period=request.form.get("period") or None)
                else:
                    reject(p, message_ref, utcnow(), note=request.form.get("note") or None, by=who)
                with p.store.transaction():
                    p.store.log_web_action(utcnow().isoformat(), user["name"], decision, str(message_ref))
        except ReviewError as e:
            return render_template("review.html", user=user, rows=[], error=str(e)), 409
        return redirect(url_for("review_queue", done=f"{message_ref}:{decision}"))

    @app.get("/drift")
    def health_page():
        from .health import health

        user = require("health")
        db = open_for_reading(config.database)
        try:
            result = health(Store(db), config, utcnow())
        finally:
            db.close()
        error = result["last_error"] or ""
        if error == "no pass has run yet":
            result["last_error"] = "boten har inte läst brevlådan än"
        elif error.startswith("no successful pass since "):
            result["last_error"] = f"ingen lyckad genomgång sedan {error.rpartition(' ')[2][:16].replace('T', ' ')}"
        return render_template("health.html", user=user, h=result)

    @app.get("/kommuner")
    def municipalities():
        from .registry import municipalities_table

        user = require("municipalities")
        db = open_for_reading(config.database)
        try:
            store = Store(db)
            rows = municipalities_table(config, store)
            actions = [a for a in store.web_actions(50) if a["action"] in ("add_address", "remove_address")][:10]
        finally:
            db.close()
        return render_template("municipalities.html", user=user, rows=rows, actions=actions,
                               done=request.args.get("done"), error=request.args.get("error"))

    @app.post("/kommuner/adress/<change>")
    def addresses_change(change: str):
        user = require("addresses_change")
        if change not in ("add", "remove"):
            abort(404)
        address = request.form.get("address", "").strip().lower()
        municipality = request.form.get("municipality", "")
        names = {m.name for m in config.directory.municipalities}
        if change == "add" and (municipality not in names or not _looks_like_address(address)):
            return redirect(url_for("municipalities", error="Ange en kommun och en giltig e-postadress."))
        db = open_db(config.database)
        try:
            store = Store(db)
            with store.transaction():
                if change == "add":
                    store.register_address(address, municipality, utcnow().isoformat(), f"web:{user['name']}")
                    changed = True
                else:
                    changed = store.unregister_address(address)
                if changed:
                    store.log_web_action(utcnow().isoformat(), user["name"], f"{change}_address",
                                         f"{address} ({municipality})" if municipality else address)
        finally:
            db.close()
        if not changed:
            return redirect(url_for("municipalities", error="Adressen var inte registrerad."))
        return redirect(url_for("municipalities", done=f"{'lade till' if change == 'add' else 'tog bort'} {address}"))

    @app.get("/utskick")
    def outbox():
        user = require("outbox")
        db = open_for_reading(config.database)
        try:
            store = Store(db)
            rows = store.latest_outbox(OUTBOX_ROWS)
            actions = [a for a in store.web_actions(50) if a["action"] == "resend"][:10]
        finally:
            db.close()
        for row in rows:
            row["to"] = ", ".join(json.loads(row["recipients"] or "[]")) or "(arkiveras)"
        return render_template("outbox.html", user=user, rows=rows, actions=actions, done=request.args.get("done"))

    @app.post("/utskick/<int:row_id>/skicka-igen")
    def outbox_resend(row_id: int):
        user = require("outbox_resend")
        db = open_db(config.database)
        try:
            store = Store(db)
            with store.transaction():
                changed = store.resend_outbox(row_id)
                if changed:
                    store.log_web_action(utcnow().isoformat(), user["name"], "resend", str(row_id))
        finally:
            db.close()
        if not changed:
            abort(409, "Utskicket har inte misslyckats och skickas inte igen.")
        return redirect(url_for("outbox", done=str(row_id)))

    @app.get("/kommun/<name>")
    def municipality(name: str):
        from parsers.questions import BY_NUMBER

        from .summary import RATED

        user = require("municipality")
        if name not in {m.name for m in config.directory.municipalities}:
            abort(404)
        last = request.args.get("period") or default_period(config, datetime.now(SWEDEN).date())
        if not PERIOD.fullmatch(last):
            abort(400, "Månaden skrivs ÅÅÅÅ-MM.")
        periods = _months_back(last, TREND_MONTHS)
        db = open_for_reading(config.database)
        try:
            store = Store(db)
            found = {(period, question): (score, color) for who, period, question, score, color
                     in store.current_ratings(tuple(periods)) if who == name and question is not None}
            reported = {row["period"] for row in store.current_submissions(periods) if row["municipality"] == name}
            versions = store.versions_of(name, 100)
            mails = store.outbox_for_municipality(name, MAIL_ROWS)
        finally:
            db.close()

        def cell(period: str, question: int) -> dict:
            score, color = found.get((period, question), (None, None))
            return pages.rating_cell(score, color, "ingen bedömning" if period in reported else "ingen rapport")

        questions = [{"number": q, "label": BY_NUMBER[q].short or BY_NUMBER[q].title,
                      "cells": [cell(p, q) for p in periods]} for q in RATED]
        for mail in mails:
            # the reminder after the deadline is the notice that the report is missing (reminders.py)
            kind = "missing_notice" if mail["kind"] == "reminder" and mail["dedupe_key"].endswith(":after") \
                else mail["kind"]
            mail["kind_sv"] = KINDS_SV.get(kind, kind)
            mail["to"] = ", ".join(json.loads(mail["recipients"] or "[]")) or "(adressen gallrad)"
        return render_template("municipality.html", user=user, name=name, periods=periods, questions=questions,
                               versions=versions, mails=mails, mail_rows=MAIL_ROWS)

    return app


def _swedish_detail(error) -> str:
    """The reason a route gave with abort(code, "…"), which is Swedish; not werkzeug's English default."""
    default = type(error).description
    return "" if error.description == default else str(error.description)


def _months_back(period: str, count: int) -> list[str]:
    """`count` periods ending with `period`, oldest first."""
    year, month = (int(part) for part in period.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _reviewed_raw(config: Config, message_ref: int) -> bytes:
    """The stored bytes of a mail held for review (or once held and decided); 404 for any other id."""
    db = open_for_reading(config.database)
    try:
        message = Store(db).find_message(message_ref)
    finally:
        db.close()
    if message is None or (message["target_folder"] != "review" and not message["review_state"]):
        abort(404)
    if message["raw"] is None:
        abort(410, "Mejlets innehåll har gallrats enligt lagringstiden och finns inte kvar.")
    return message["raw"]


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    """A file to save, never to show: attachment disposition, safe file names, no caching."""
    from .web_original import content_disposition

    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and len(address) <= 254 and not any(c.isspace() for c in address))


def _verify(config: Config, name: str, password: str) -> dict | None:
    db = open_for_reading(config.database)
    try:
        row = Store(db).web_user(name)
    finally:
        db.close()
    if row is None:
        _HASHER.hash(password)  # the same time for an unknown name as for a wrong password
        return None
    try:
        _HASHER.verify(row["password_hash"], password)
    except (VerifyMismatchError, VerificationError):
        return None
    return {"name": row["name"], "role": row["role"]}


def serve(config: Config, host: str, port: int) -> None:
    from waitress import serve as waitress_serve

    waitress_serve(create_app(config, config.web_secure_cookies), host=host, port=port, threads=4, ident="mailbot")


def background_server(config: Config) -> Callable[[], None]:
    """The desk on `[web] listen`, in a daemon thread; returns the waitress server (close() stops it)."""
    from waitress.server import create_server

    host, _, port = config.web_listen.rpartition(":")
    server = create_server(create_app(config, config.web_secure_cookies), host=host.strip("[]"), port=int(port),
                           threads=4, ident="mailbot")
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            if not closing.is_set():
                raise

    def close() -> None:
        closing.set()
        server.task_dispatcher.shutdown(timeout=5)  # the requests in hand finish first
        server.close()

    threading.Thread(target=run, name="web-desk", daemon=True).start()
    return close
