"""Single sign-on: the county's reverse proxy names the user in a header, trusted only from its addresses."""

from __future__ import annotations

import pytest

from mailbot.errors import ConfigError
from mailbot.web import add_user
from tests.server_config import local_config
from tests.test_web import PASSWORD, Browser, serve

SSO = '[web]\nsso_proxies = ["{proxy}"]\nsso_admins = ["anna.admin"]\nsso_readers = ["lars.ledning"]\n'


class ProxiedBrowser(Browser):
    """What reaches the desk through the proxy: every request carries the header the proxy sets."""

    def __init__(self, base: str, user: str, header: str = "X-Remote-User"):
        super().__init__(base)
        self.opener.addheaders = [(header, user)]


def desk(tmp_path, proxy: str):
    config = local_config(tmp_path, SSO.format(proxy=proxy))
    add_user(config, "lokal", "admin", PASSWORD)
    return config, *serve(config)


def test_the_proxy_names_an_administrator_and_a_reader(tmp_path):
    _, base, close = desk(tmp_path, "127.0.0.1")
    try:
        status, page, _ = ProxiedBrowser(base, "anna.admin").get("/granska")
        assert status == 200 and "Inloggad som anna.admin" in page and "Logga ut" not in page
        reader = ProxiedBrowser(base, "lars.ledning")
        assert reader.get("/")[0] == 200
        assert reader.get("/granska")[0] == 403
        assert reader.post("/utskick/1/skicka-igen", {})[0] in (400, 403)  # a reader's page has no token to send
        status, page, _ = ProxiedBrowser(base, "okand.person").get("/")
        assert status == 403 and "ingen behörighet till lägesbildsdisken" in page and "Mora" not in page
        status, page, _ = ProxiedBrowser(base, "anna.admin").get("/login")  # already signed in by the proxy
        assert status == 200 and "<h1>Översikt" in page
    finally:
        close()


def test_the_header_from_anywhere_else_counts_for_nothing(tmp_path):
    _, base, close = desk(tmp_path, "10.11.12.13")
    try:
        status, page, _ = ProxiedBrowser(base, "anna.admin").get("/granska")
        assert status == 200 and 'name="password"' in page and "Inloggad som" not in page  # the login page
        forged = ProxiedBrowser(base, "anna.admin")
        assert forged.login("lokal") == 200  # local accounts still work beside single sign-on
        assert "Logga ut lokal" in forged.get("/granska")[1]
    finally:
        close()


def test_a_post_from_the_proxy_still_needs_the_csrf_token(tmp_path):
    _, base, close = desk(tmp_path, "127.0.0.0/8")
    try:
        admin = ProxiedBrowser(base, "anna.admin")
        assert admin.post("/utskick/1/skicka-igen", {})[0] == 400
        token = admin.csrf("/kommuner")  # its form to add an address
        status, page, _ = admin.post("/utskick/1/skicka-igen", {"csrf_token": token})
        assert status == 409 and "skickas inte igen" in page  # no such failed mail: refused in Swedish
    finally:
        close()


@pytest.mark.parametrize("extra, key", [
    ('[web]\nsso_admins = ["anna"]\n', "sso_admins"),
    ('[web]\nsso_proxies = ["proxy.lansstyrelsen.se"]\n', "sso_proxies"),
    ('[web]\nsso_proxies = ["127.0.0.1"]\nsso_header = "X-User: admin"\n', "sso_header"),
])
def test_a_wrong_single_sign_on_setting_is_refused_at_start(tmp_path, extra, key):
    with pytest.raises(ConfigError, match=key):
        local_config(tmp_path, extra)
