"""Who is signed in to the web desk and what they may do: one table, checked by every route.

Two ways in: the county's single sign-on proxy names the user in a header
(believed only from `[web] sso_proxies`), or a local login in the signed
session cookie (at most SESSION_HOURS old).
"""

from __future__ import annotations

import time

from flask import abort, current_app, redirect, request, session, url_for

from .config import Config

ROLES = ("admin", "reader")
# action -> roles that may do it; a route names its action, nothing else decides
ALLOWED = {"overview": {"admin", "reader"}, "review": {"admin"}, "review_decide": {"admin"},
           "health": {"admin", "reader"}, "municipalities": {"admin"}, "addresses_change": {"admin"},
           "outbox": {"admin"}, "outbox_resend": {"admin"},
           "municipality": {"admin", "reader"}, "download": {"admin", "reader"}, "review_original": {"admin"},
           "rules": {"admin"}, "rules_change": {"admin"}}
SESSION_HOURS = 10  # a local login lasts a working day at most


def require(action: str) -> dict:
    """The signed-in user if their role may do `action`; else the login page (no session) or 403."""
    user = current_user()
    if user is None:
        abort(redirect(url_for("login", next=request.path)))
    if user["role"] not in ALLOWED[action]:
        abort(403)
    return user


def current_user() -> dict | None:
    """Who is signed in: named by the county's single sign-on proxy (only from its addresses), or by our session.

    A user the proxy names who is in neither [web] sso_admins nor sso_readers has role None: every page is 403.
    """
    sso = desk_config().web_sso
    if sso is not None and sso.trusts(request.remote_addr):
        name = request.headers.get(sso.header, "").strip()
        if name:
            return {"name": name, "role": sso.role(name), "sso": True}
    user = session.get("user")
    if user is not None and time.time() - session.get("since", 0) > SESSION_HOURS * 3600:
        session.clear()  # signed in too long ago: the login page again
        return None
    return user


def desk_config() -> Config:
    """The configuration the running desk was created with (for routes in other modules)."""
    return current_app.extensions["mailbot_config"]
