"""The web desk in a real browser: Debian's Chromium driven by Playwright, checked with axe-core.

Each role logs in through the login form, sees what it may and nothing more;
an administrator accepts a held mail by clicking; axe-core (tests/browser,
from the npm registry) finds no serious or critical violation on any page.
The screenshots in the README are taken here: set MAILBOT_SCREENSHOTS=docs/screenshots
to refresh them (otherwise they go to the test's temporary folder and are only checked).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailbot.app import poll_once
from mailbot.web import add_user
from rules.loader import SHIPPED_DIRECTORY
from tests.harness import has_module, require
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config
from tests.test_web import PASSWORD, serve

CET = timezone(timedelta(hours=1))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
# Chromium as root in a closed network: no sandbox, no GPU, no calls home (they would be refused).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def chromium():
    require(Path(CHROMIUM).exists(), "Chromium is not installed (Debian package chromium; .ci/run installs it)")
    require(has_module("playwright"), "playwright is not installed (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    require(AXE.exists(), "axe-core is not installed (npm ci --prefix tests/browser; .ci/run does it)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """Mora and Orsa reported on time, a stranger's report is held; an administrator and a reader."""
    folder = tmp_path_factory.mktemp("desk")
    shutil.copytree(SHIPPED_DIRECTORY, folder / "regler", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    config = local_config(folder, '[rules]\ndirectory = "regler"\n')
    add_user(config, "admin", "admin", PASSWORD)
    add_user(config, "ledning", "reader", PASSWORD)
    mails = [("Anna Berg <anna.berg@mora.se>", "Mora", (2, 3, 1, 2, 4, 2)),
             ("Olle Ek <olle.ek@orsa.se>", "Orsa", (1, 1, 2, 1, 1, 1)),
             ("Sara Nord <sara.nord@gmail.com>", "Leksand", (3, 2, 2, 3, 2, 2))]
    for sender, municipality, scores in mails:
        deliver(config, build_mail(sender=sender, subject=f"Lägesbild oktober {municipality}",
                                   body=template_text(scores=scores, municipality=municipality)),
                when=datetime(2026, 11, 3, 9, tzinfo=CET))
    poll_once(config)
    base, close = serve(config)
    yield config, base
    close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("MAILBOT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def signed_in(chromium, base: str, name: str):
    """A fresh browser context logged in as `name` through the login form."""
    context = chromium.new_context(base_url=base, locale="sv-SE", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Användarnamn").fill(name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    return context, page


def axe_violations(page, axe_source: str) -> list[dict]:
    """axe-core's serious and critical violations of WCAG 2.1 A and AA on the page as it is now."""
    # Runtime.evaluate from the driver is not page script, so the desk's CSP (no inline script) stays on.
    page.evaluate(axe_source)
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in SERIOUS]


def test_the_login_page_is_accessible_and_shows_no_report_data(chromium, desk, axe_source, screenshots):
    _, base = desk
    context = chromium.new_context(base_url=base, locale="sv-SE")
    page = context.new_page()
    response = page.goto("/kommun/Mora")
    assert response.status == 200 and page.get_by_role("button", name="Logga in").is_visible()
    assert "Mora" not in page.inner_text("main")
    assert axe_violations(page, axe_source) == []
    page.screenshot(path=str(screenshots / "login.png"))
    context.close()


def test_a_reader_sees_the_period_and_nothing_of_the_administrators(chromium, desk, axe_source, screenshots):
    _, base = desk
    context, page = signed_in(chromium, base, "ledning")
    page.goto("/?period=2026-10")
    assert page.get_by_role("heading", level=1).inner_text() == "Översikt: 2026-10"
    rows = {row.locator("th").inner_text(): row.locator("td").first.inner_text()
            for row in page.locator("table").first.locator("tbody tr").all()}
    assert rows["Mora"] == "i tid" and rows["Orsa"] == "i tid"
    heatmap = page.locator("table", has=page.locator("caption", has_text=re.compile("[Pp]åverkan|[Vv]ärmekarta")))
    assert "4 Allvarligt" in heatmap.get_by_role("row", name=re.compile("^Mora ")).inner_text()  # words, not only a colour
    assert page.get_by_role("link", name="Granska").count() == 0  # no administrator's links in the menu
    assert axe_violations(page, axe_source) == []
    page.screenshot(path=str(screenshots / "oversikt.png"), full_page=True)

    page.get_by_role("link", name="Mora", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Mora")
    assert axe_violations(page, axe_source) == []

    with page.expect_download() as download:
        page.goto("/?period=2026-10")
        page.get_by_role("link", name=re.compile("Ladda ned årets arbetsbok")).click()
    workbook = io.BytesIO(Path(download.value.path()).read_bytes())  # the saved file has no .xlsx name
    from openpyxl import load_workbook

    cells = {c.value for sheet in load_workbook(workbook).worksheets for row in sheet.iter_rows() for c in row}
    assert download.value.suggested_filename.endswith(".xlsx") and {"Mora", "Orsa"} <= cells

    for admin_page in ("/granska", "/kommuner", "/utskick", "/regler"):
        assert page.goto(admin_page).status == 403
    assert "administratörer" in page.inner_text("main") and axe_violations(page, axe_source) == []  # in Swedish
    page.goto("/")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")  # from the logout form
    refused = page.request.post(f"{base}/granska/1/accept", form={"csrf_token": token, "municipality": "Leksand"})
    assert refused.status == 403
    context.close()


def test_an_administrator_accepts_a_held_mail_and_the_municipality_counts(chromium, desk, axe_source, screenshots):
    _, base = desk
    context, page = signed_in(chromium, base, "admin")
    page.goto("/?period=2026-10")
    assert page.locator("tr", has_text="Leksand").locator("td").first.inner_text() == "granskas"
    page.get_by_role("link", name="Granska").click()
    assert "sara.nord@gmail.com" in page.inner_text("main")
    assert axe_violations(page, axe_source) == []
    page.screenshot(path=str(screenshots / "granska.png"), full_page=True)

    held = page.locator("form", has=page.get_by_role("button", name="Räkna rapporten")).first
    held.get_by_label("Kommun", exact=True).select_option("Leksand")
    held.get_by_label("Registrera avsändarens adress", exact=False).check()
    held.get_by_label("Månad", exact=False).fill("2026-10")
    held.get_by_role("button", name="Räkna rapporten").click()
    assert "Klart" in page.inner_text("main") and "sara.nord@gmail.com" not in page.inner_text("main")
    page.goto("/?period=2026-10")
    assert page.locator("tr", has_text="Leksand").locator("td").first.inner_text() == "i tid"
    assert "admin, accept" in page.inner_text("main")  # who did it, on the page it changed
    context.close()


def test_a_rule_change_with_a_mistake_shows_its_line_and_a_saved_change_can_be_undone(chromium, desk, axe_source,
                                                                                     screenshots):
    config, base = desk
    signals = config.rules_dir / "signals.toml"
    original = signals.read_bytes()
    text = original.decode()
    wrong = 'unit = "prostitution"'
    line = text[:text.index(wrong)].count("\n") + 1
    context, page = signed_in(chromium, base, "admin")
    page.get_by_role("link", name="Regler").click()
    assert "Reglerna är giltiga" in page.inner_text("main")
    assert axe_violations(page, axe_source) == []
    page.screenshot(path=str(screenshots / "regler.png"))

    form = page.locator("form", has=page.locator("#rules-signals"))
    form.locator("#rules-signals").fill(text.replace(wrong, 'unit = "okand"', 1))
    form.get_by_role("button", name="Förhandsgranska").click()
    mistakes = page.locator("#rules-signals-errors li").all_inner_texts()
    assert any(m.startswith(f"signals.toml rad {line}:") and "okand" in m for m in mistakes), mistakes
    assert signals.read_bytes() == original  # nothing saved
    page.locator("#rules-signals-errors").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "regler-fel.png"))
    assert axe_violations(page, axe_source) == []

    form = page.locator("form", has=page.locator("#rules-signals"))
    form.locator("#rules-signals").fill(text.replace('terms = ["doping",', 'terms = ["svar", "doping",', 1))
    form.get_by_role("button", name="Förhandsgranska").click()
    difference = page.locator("table", has=page.locator("caption", has_text="Skillnad per kommun och månad"))
    assert "Dopning" in difference.get_by_role("row", name=re.compile("^Mora ")).inner_text()  # Mora says "Svar på"
    page.get_by_role("button", name="Spara").click()
    saved = signals.read_text()
    assert '"svar", "doping"' in saved and saved.startswith("# Regler för signaler till enheterna")  # comments kept

    page.get_by_role("button", name="Ångra senaste ändringen").click()
    assert signals.read_bytes() == original
    assert "admin" in page.inner_text("main") and axe_violations(page, axe_source) == []
    context.close()


@pytest.mark.parametrize("path", ["/kommuner", "/utskick", "/drift", "/kommun/Orsa"])
def test_every_administrator_page_has_no_serious_accessibility_violation(chromium, desk, axe_source, path,
                                                                         screenshots):
    _, base = desk
    context, page = signed_in(chromium, base, "admin")
    response = page.goto(path)
    assert response.status == 200
    violations = axe_violations(page, axe_source)
    assert violations == [], json.dumps(violations, ensure_ascii=False)
    page.screenshot(path=str(screenshots / f"{path.strip('/').replace('/', '-')}.png"), full_page=True)
    context.close()


def test_the_desk_works_from_the_keyboard(chromium, desk):
    """Tab reaches the skip link first, and Enter on it moves to the page's content."""
    _, base = desk
    context, page = signed_in(chromium, base, "ledning")
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#innehall"
    context.close()


def test_axe_would_see_a_violation(chromium, axe_source):
    """The check above can fail: an unlabelled field and low contrast are found."""
    page = chromium.new_page()
    page.set_content('<html lang="sv"><title>t</title><main><input name="q">'
                     '<p style="color:#bbb;background:#fff">grå text</p></main></html>')
    found = {v["id"] for v in axe_violations(page, axe_source)}
    assert "label" in found and "color-contrast" in found
    page.close()
