"""The web desk's Regler page over real HTTP: validation at the line, trying a text, a change's effect over
the stored reports, saving as written, undo, concurrent edits, roles, a read-only desk without [rules]."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from mailbot.app import poll_once
from mailbot.cli import cli
from mailbot.deadlines import SWEDEN, parse_period, previous_month
from mailbot.rules_files import as_saved, writable
from mailbot.status import default_period
from mailbot.store import Store, open_db
from mailbot.web import add_user
from parsers.vocabulary import MONTH_NAMES
from rules.loader import SHIPPED_DIRECTORY, load_rules
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config
from tests.test_web import PASSWORD, Browser, serve

CET = timezone(timedelta(hours=1))
NEW_RULE = """
# Bränder: prövas från webben (den här kommentaren ska stå kvar)
[[rule]]
name = "brand"
title = "Bränder"
unit = "brottsforebyggande"
terms = ["brand"]
"""
HOSTILE_COMMENT = "# <script>alert(1)</script> & \"citat\"\n"


def report(config, municipality: str, sender: str, answers: list[str]) -> None:
    """A report from `municipality` for a month inside the page's six-month window, counted by a poll."""
    year, month = previous_month(*parse_period(default_period(config, datetime.now(SWEDEN).date())))
    sent = datetime(*((year + 1, 1) if month == 12 else (year, month + 1)), 3, 9, tzinfo=CET)
    deliver(config, build_mail(sender=sender, subject=f"Lägesbild {MONTH_NAMES[month - 1]} {municipality}",
                               body=template_text(answers=answers, municipality=municipality), date=sent), when=sent)
    poll_once(config)


def answers_with(first: str) -> list[str]:
    answers = [f"Svar på fråga {n}." for n in range(1, 8)]
    answers[0] = first
    return answers


@pytest.fixture
def desk(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(SHIPPED_DIRECTORY, rules, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (rules / "units.toml").write_text(HOSTILE_COMMENT + (rules / "units.toml").read_text())
    config = local_config(tmp_path, '[rules]\ndirectory = "rules"\n')
    add_user(config, "admin", "admin", PASSWORD)
    add_user(config, "ledning", "reader", PASSWORD)
    report(config, "Mora", "Anna Berg <anna.berg@mora.se>", answers_with("En brand i skolans förråd under helgen."))
    base, close = serve(config)
    admin = Browser(base)
    assert admin.login("admin") == 200
    yield config, base, admin
    close()


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action`, unescaped as a browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', page, re.S).group(1)
    return {name: html.unescape(value) for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}


def file_form(page: str, file: str) -> dict[str, str]:
    """The hidden fields of the preview form of `file`."""
    for form in re.findall(r'<form method="post" action="/regler/forhandsgranska">(.*?)</form>', page, re.S):
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
        if fields["file"] == file:
            return fields
    raise AssertionError(f"no form for {file}")


def versions(config) -> list[dict]:
    db = open_db(config.database)
    try:
        return Store(db).rule_versions(str(config.rules_dir), 10)
    finally:
        db.close()


def test_the_page_shows_each_file_with_its_text_and_says_the_rules_are_valid(desk):
    config, _, admin = desk
    status, page, _ = admin.get("/regler")
    loaded = load_rules(config.rules_dir)
    assert status == 200 and "<h1>Regler</h1>" in page and 'href="/regler">Regler</a>' in page
    assert f"Reglerna är giltiga: {len(loaded.rules)} regler, {len(loaded.units)} enheter." in page
    for stem in ("signals", "units"):
        assert f'<label for="rules-{stem}">Innehållet i {stem}.toml</label>' in page
        assert re.search(rf'<textarea id="rules-{stem}" name="text" class="code"', page)
    assert "# Regler för signaler till enheterna" in page  # the file as written, comments too
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;citat&#34;" in page and "<script>" not in page
    assert page.count(">Förhandsgranska</button>") == 2 and ">Prova</button>" in page
    assert "rule-errors" not in page and "Inga ändringar har gjorts från den här sidan." in page


def test_an_edit_with_a_mistake_shows_it_at_its_line_and_saves_nothing(desk):
    config, _, admin = desk
    path = config.rules_dir / "signals.toml"
    original = path.read_bytes()
    page = admin.get("/regler")[1]
    fields = file_form(page, "signals.toml")
    edited = original.decode().replace('unit = "andt"\ndescription = "Narkotika', 'unit = "andtt"\ndescription = "Narkotika')
    line = edited.splitlines().index('unit = "andtt"') + 1
    status, page, _ = admin.post("/regler/forhandsgranska", {**fields, "text": edited})
    assert status == 200
    errors = re.search(r'<ul class="rule-errors" id="rules-signals-errors">(.*?)</ul>', page, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", errors, re.S)
    assert len(items) == 1 and f"<strong>signals.toml rad {line}:</strong>" in items[0]
    assert "enheten &#34;andtt&#34; finns inte" in items[0] and 'menade du &#34;andt&#34;' in items[0]
    assert f'Rad {line} lyder:</span> <code class="line">unit = &#34;andtt&#34;</code>' in items[0]
    assert "Ändringen är inte sparad" in page and ">Spara</button>" not in page
    assert 'aria-describedby="rules-signals-errors"' in page
    kept = re.search(r'<textarea id="rules-signals"[^>]*>\n(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(kept) == edited  # the admin's text stays to be fixed

    broken = original.decode().replace("[[rule]]\nname = \"doping\"", "[[rule]\nname = \"doping\"")
    toml_line = broken.splitlines().index("[[rule]") + 1
    page = admin.post("/regler/forhandsgranska", {**fields, "text": broken})[1]
    assert f"signals.toml rad {toml_line}:</strong> ogiltig TOML" in page

    status, page, _ = admin.post("/regler/spara", {**fields, "text": edited})  # saving never trusts a preview
    assert status == 422 and "Ändringen är inte sparad" in page and f"signals.toml rad {line}:" in page
    assert path.read_bytes() == original and versions(config) == []


def test_a_valid_edit_shows_what_it_would_have_forwarded_is_saved_as_written_and_undone(desk, tmp_path):
    config, _, admin = desk
    path = config.rules_dir / "signals.toml"
    original = path.read_bytes()
    before = len(load_rules(config.rules_dir).rules)
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    edited = original.decode() + NEW_RULE
    status, page, _ = admin.post("/regler/forhandsgranska", {**fields, "text": edited})
    assert status == 200 and "Förhandsgranskning av ändringen i signals.toml" in page
    assert f"Reglerna är giltiga: {before + 1} regler" in page
    assert "Vad ändringen skulle ha vidarebefordrat de senaste månaderna" in page
    assert re.search(r'<th scope="row">Mora</th><td>\d{4}-\d\d</td><td>Bränder \(fråga 1\)</td>\s*<td>–</td>', page)
    assert "1 signaler tillkommer, 0 faller bort" in page
    assert "(Med de gällande reglerna, utan ändringen: 0 tillkommer,\n  0 faller bort.)" in page
    save = form_fields(page, "/regler/spara")
    assert save["text"] == edited and save["file"] == "signals.toml" and path.read_bytes() == original  # not yet

    browser_text = save["text"].replace("\n", "\r\n")  # what a browser posts
    status, page, _ = admin.post("/regler/spara", {**save, "text": browser_text})
    assert status == 200 and "Ändringen i signals.toml är sparad." in page
    assert path.read_bytes() == original + NEW_RULE.encode()  # as written: comments, LF line ends
    assert not [p for p in config.rules_dir.iterdir() if p.name.startswith(".")]  # no temporary file left
    assert f"Reglerna är giltiga: {before + 1} regler" in page
    assert re.search(r"<td>admin</td><td>signals.toml</td>\s*<td>sparade en ändring</td>", page)
    [row] = versions(config)
    assert (row["file"], row["action"], row["by"]) == ("signals.toml", "save", "admin")
    assert row["before"].encode() == original and row["after"].encode() == path.read_bytes()
    checked = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), "rules", "check"])
    assert checked.exit_code == 0 and f"OK: {before + 1} regler" in checked.output
    assert "admin, rules_save signals.toml" in admin.get("/")[1]  # the overview's log of actions

    # the bot reloads the files on its next pass: a new report mentioning a fire is forwarded
    report(config, "Leksand", "Per Ek <per.ek@leksand.se>", answers_with("En brand i idrottshallen."))
    db = open_db(config.database)
    try:
        period = db.execute("select period from submissions where municipality = 'Leksand'").fetchone()[0]
        assert ("brand", 1) in Store(db).forwarded_signals("Leksand", period)
    finally:
        db.close()

    undo = form_fields(page, "/regler/angra")
    status, page, _ = admin.post("/regler/angra", undo)
    assert status == 200 and "Den senaste ändringen i signals.toml är ångrad." in page
    assert path.read_bytes() == original  # the exact previous bytes
    assert re.search(r"<td>admin</td><td>signals.toml</td>\s*<td>ångrade den senaste ändringen</td>", page)
    assert admin.post("/regler/angra", undo)[0] == 409  # that change is no longer the last
    status, page, _ = admin.post("/regler/angra", form_fields(page, "/regler/angra"))  # an undo can be undone
    assert status == 200 and path.read_bytes() == original + NEW_RULE.encode()
    assert [v["action"] for v in versions(config)] == ["undo", "undo", "save"]


def test_an_edit_based_on_an_older_file_is_refused_not_written(desk):
    config, _, admin = desk
    path = config.rules_dir / "signals.toml"
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    assert fields["base"] == hashlib.sha256(path.read_bytes()).hexdigest()
    by_hand = path.read_text() + "# ändrad direkt i filen\n"
    path.write_text(by_hand)
    mine = by_hand.replace("# ändrad direkt i filen\n", "") + NEW_RULE
    for action in ("/regler/forhandsgranska", "/regler/spara"):
        status, page, _ = admin.post(action, {**fields, "text": mine})
        assert status == 409 and "signals.toml har ändrats sedan du öppnade sidan" in page
        assert '<label for="rejected-signals">' in page and "prövas från webben" in page  # the admin's text, to copy
    assert path.read_text() == by_hand and versions(config) == []
    fresh = file_form(admin.get("/regler")[1], "signals.toml")
    assert fresh["base"] != fields["base"]
    status, page, _ = admin.post("/regler/spara", {**fresh, "text": by_hand + NEW_RULE})
    assert status == 200 and "är sparad" in page
    path.write_text(path.read_text() + "# igen för hand\n")  # an undo would lose this: refused
    status, page, _ = admin.post("/regler/angra", form_fields(page, "/regler/angra"))
    assert status == 409 and "har ändrats direkt i filen" in page and path.read_text().endswith("# igen för hand\n")


def test_trying_a_text_shows_the_rules_that_fire_on_which_words(desk):
    config, _, admin = desk
    token = admin.csrf("/regler")
    sample = "Vi har sett droghandel vid <stationen> men inga tecken på prostitution. En brand i förrådet."
    status, page, _ = admin.post("/regler/prova", {"csrf_token": token, "sample": sample})
    assert status == 200 and "Narkotika och droghandel (narkotika) slår till" in page
    assert "<mark>droghandel</mark> vid &lt;stationen&gt;" in page
    assert "Nekat av ”inga”" in page and "<mark>prostitution</mark>" in page
    assert "Bränder" not in page  # no such rule yet
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    edited = (config.rules_dir / "signals.toml").read_text() + NEW_RULE
    page = admin.post("/regler/prova", {**fields, "text": edited, "sample": "En brand i förrådet."})[1]
    assert "Texten provas med din ändring av signals.toml" in page and "Bränder (brand) slår till" in page
    page = admin.post("/regler/prova", {"csrf_token": token, "sample": "En brand i förrådet."})[1]
    assert "Ingen regel slår till på texten." in page  # the saved rules know no fires


def test_a_rule_text_over_256_kb_is_refused(desk):
    config, _, admin = desk
    path = config.rules_dir / "signals.toml"
    original = path.read_bytes()
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    for size in (300_000, 600_000):  # ours, and past the form parser's own limit
        text = original.decode() + "#" * size
        status, page, _ = admin.post("/regler/spara", {**fields, "text": text})
        assert status == 413 and "en regelfil får vara högst 256 kB" in page
    assert path.read_bytes() == original


def test_a_reader_can_neither_see_nor_change_the_rules(desk):
    config, base, _ = desk
    reader = Browser(base)
    assert reader.login("ledning") == 200
    assert reader.get("/regler")[0] == 403
    assert 'href="/regler"' not in reader.get("/")[1]
    token = reader.csrf("/")
    original = (config.rules_dir / "signals.toml").read_bytes()
    for action in ("/regler/prova", "/regler/forhandsgranska", "/regler/spara", "/regler/angra"):
        assert reader.post(action, {"csrf_token": token, "file": "signals.toml", "text": "", "sample": "x"})[0] == 403
    assert (config.rules_dir / "signals.toml").read_bytes() == original


def test_without_a_rules_directory_the_shipped_rules_are_read_only(tmp_path):
    config = local_config(tmp_path)
    assert config.rules_dir is None
    add_user(config, "admin", "admin", PASSWORD)
    shipped = {p.name: p.read_bytes() for p in SHIPPED_DIRECTORY.glob("*.toml")}
    base, close = serve(config)
    try:
        admin = Browser(base)
        assert admin.login("admin") == 200
        status, page, _ = admin.get("/regler")
        assert status == 200 and "<code>[rules] directory</code>" in page
        assert re.search(r'<textarea id="rules-signals"[^>]*\breadonly>', page)
        assert ">Förhandsgranska</button>" not in page and ">Spara</button>" not in page
        fields = {"csrf_token": admin.csrf("/regler"), "file": "signals.toml",
                  "base": hashlib.sha256(shipped["signals.toml"]).hexdigest(), "text": "# tom\n"}
        for action in ("/regler/forhandsgranska", "/regler/spara", "/regler/angra"):
            status, page, _ = admin.post(action, {**fields, "version": "1"})
            assert status == 409 and "Reglerna kan inte ändras här" in page
        page = admin.post("/regler/prova", {"csrf_token": fields["csrf_token"], "sample": "Droghandel i centrum."})[1]
        assert "Narkotika och droghandel (narkotika) slår till" in page  # trying still works
    finally:
        close()
    assert {p.name: p.read_bytes() for p in SHIPPED_DIRECTORY.glob("*.toml")} == shipped
    named = local_config(tmp_path, f'[rules]\ndirectory = "{SHIPPED_DIRECTORY}"\n')
    assert named.rules_dir is not None and writable(named) is False  # naming the shipped folder is no way round


def test_two_administrators_saving_the_same_file_at_once_one_wins_the_other_is_refused(desk):
    config, base, first = desk
    second = Browser(base)
    assert second.login("admin") == 200
    path = config.rules_dir / "signals.toml"
    original = path.read_text()
    forms = [file_form(b.get("/regler")[1], "signals.toml") for b in (first, second)]
    texts = [original + NEW_RULE, original + "# en annan ändring\n"]
    results = [None, None]

    def post(i, browser):
        results[i] = browser.post("/regler/spara", {**forms[i], "text": texts[i]})[0]

    threads = [threading.Thread(target=post, args=(i, b)) for i, b in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert path.read_text() == texts[results.index(200)] and len(versions(config)) == 1


def test_only_the_rule_files_themselves_can_be_posted(desk):
    config, _, admin = desk
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    for name in ("../config.toml", "config.toml", "signals.toml.bak", ""):
        assert admin.post("/regler/spara", {**fields, "file": name, "text": "x = 1\n"})[0] == 404
    assert admin.post("/regler/angra", {"csrf_token": fields["csrf_token"], "version": "x"})[0] == 400
    status, page, _ = admin.post("/regler/angra", {"csrf_token": fields["csrf_token"], "version": "7"})
    assert status == 409 and "Det finns ingen ändring att ångra." in page
    assert "x = 1" not in (config.rules_dir.parent / "config.toml").read_text()


def test_line_ends_follow_the_file():
    assert as_saved("a\r\nb\r\n", "x\ny\n") == "a\nb\n"  # a browser's CRLF in an LF file
    assert as_saved("a\r\nb\r\n", "x\r\ny\r\n") == "a\r\nb\r\n"
    assert as_saved("a\nb\n", "x\r\ny\r\n") == "a\r\nb\r\n"


def test_a_large_text_full_of_mistakes_is_checked_quickly_and_shown_in_part(desk):
    config, _, admin = desk
    fields = file_form(admin.get("/regler")[1], "signals.toml")
    text = '[[rule]]\nname = "a"\n' * 13_000  # 250 kB, 39,000 mistakes: once quadratic, about a minute
    started = time.monotonic()
    status, page, _ = admin.post("/regler/forhandsgranska", {**fields, "text": text})
    assert status == 200 and time.monotonic() - started < 10
    errors = re.search(r'<ul class="rule-errors" id="rules-signals-errors">(.*?)</ul>', page, re.S).group(1)
    assert errors.count("<li>") == 100 and "signals.toml rad 1:</strong>" in errors
    assert re.search(r"… och \d{5} fel till i signals.toml", page)


def test_an_undo_that_would_leave_the_rules_invalid_is_refused_with_the_mistakes(desk):
    config, _, admin = desk
    units, signals = config.rules_dir / "units.toml", config.rules_dir / "signals.toml"
    fields = file_form(admin.get("/regler")[1], "units.toml")
    unit = '\n[[unit]]\nkey = "raddning"\nname = "Räddningstjänsten"\naddresses = ["rtj@lansstyrelsen.example"]\n'
    status, page, _ = admin.post("/regler/spara", {**fields, "text": units.read_text() + unit})
    assert status == 200 and "Ändringen i units.toml är sparad." in page
    signals.write_text(signals.read_text() + NEW_RULE.replace("brottsforebyggande", "raddning"))  # by hand, using it
    with_unit = units.read_bytes()
    status, page, _ = admin.post("/regler/angra", form_fields(page, "/regler/angra"))
    assert status == 422 and "Ändringen kan inte ångras: reglerna skulle då innehålla fel." in page
    line = signals.read_text().splitlines().index('unit = "raddning"') + 1
    assert re.search(rf'<ul class="rule-errors" id="undo-errors">\s*<li><strong>signals.toml rad {line}:</strong> '
                     r'regeln &#34;brand&#34;: enheten &#34;raddning&#34; finns inte', page)
    assert units.read_bytes() == with_unit and len(versions(config)) == 1
