"""Översikt, Kommun and Granska over real HTTP (waitress on 127.0.0.1), on reports read by a real poll.

The county heatmap, the worsened and rising municipalities, the signals per
unit, the year's workbook, the mails sent to a municipality, and a held mail
shown beside its original with its attachments for download.
"""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from mailbot.app import poll_once
from mailbot.county import run_county_jobs
from mailbot.store import Store, open_db
from mailbot.web import add_user
from tests.mailbuilder import build_mail, deliver, template_text
from tests.server_config import local_config
from tests.test_web import CET, PASSWORD, Browser, serve

MORA = "Anna Berg <anna.berg@mora.se>"
FALUN = "samordnare@falun.se"
STRANGER = "okand.person@gmail.com"
SCRIPT = "<script>alert('hej')</script>"
NOTES = "Anteckningar från mötet\n".encode() + bytes(range(256))  # every byte value: a download must not alter one
ODD_NAME = "Lägesbild Älvdalen <utkast>.bin"
NO_ANSWERS = [f"Svar på fråga {n}." for n in range(1, 8)]


def answers(**by_question: str) -> list[str]:
    out = list(NO_ANSWERS)
    for key, text in by_question.items():
        out[int(key[1:]) - 1] = text
    return out


def mora_report(month: int, name: str, scores, **texts) -> bytes:
    sent = datetime(2026, month + 1, 3, 9, tzinfo=CET)
    return build_mail(sender=MORA, subject=f"Lägesbild {name} Mora", date=sent,
                      body=template_text(scores=scores, answers=answers(**texts)))


def fetch(browser: Browser, path: str, follow: bool = True) -> tuple[int, bytes, dict]:
    """Like Browser.get, but the body as bytes (files); `follow=False` shows a redirect as it is."""
    opener = browser.opener
    if not follow:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
            next(h.cookiejar for h in browser.opener.handlers if hasattr(h, "cookiejar"))), _NoRedirect())
    try:
        with opener.open(browser.base + path, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    config = local_config(tmp_path_factory.mktemp("pages"))
    add_user(config, "admin", "admin", PASSWORD)
    add_user(config, "ledning", "reader", PASSWORD)
    # Mora: question 5 rises 1 → 2 → 3 → 4 from July to October; question 2 jumps from 2 to 4 in October.
    deliver(config, mora_report(7, "juli", (1, 2, 1, 2, 1, 2)), when=datetime(2026, 8, 3, 9, tzinfo=CET))
    deliver(config, mora_report(8, "augusti", (1, 2, 1, 2, 2, 2)), when=datetime(2026, 9, 3, 9, tzinfo=CET))
    deliver(config, mora_report(9, "september", (1, 2, 1, 2, 3, 2), q5="Cannabis säljs vid skolan."),
            when=datetime(2026, 10, 2, 9, tzinfo=CET))
    deliver(config, mora_report(10, "oktober", (1, 4, 1, 2, 4, 2), q5="Fältgruppen har sett langning av cannabis."),
            when=datetime(2026, 11, 3, 9, tzinfo=CET))
    deliver(config, build_mail(sender=FALUN, subject="Lägesbild oktober Falun", date=datetime(2026, 11, 2, tzinfo=CET),
                               body=template_text(scores=(1, 1, 1, 1, 1, 1), municipality="Falun",
                                                  answers=answers(q5="Langning av narkotika vid stationen."))),
            when=datetime(2026, 11, 2, 9, tzinfo=CET))
    # A stranger's mail with markup in its text and two attachments: held, silently.
    deliver(config, build_mail(sender=f"Okänd <{STRANGER}>", subject="Fråga om <b>rapporten</b>",
                               body=f"Hej!\n{SCRIPT}\nSe bilagorna.\n",
                               attachments=[("anteckningar.txt", NOTES, ("text", "plain")),
                                            (ODD_NAME, b"\x00\x01binary\xff", ("application", "octet-stream"))]),
            when=datetime(2026, 11, 4, 9, tzinfo=CET))
    poll_once(config)
    # The county job on 5 October: Falun has not reported September yet (Mora has): a reminder to Falun;
    # on 8 October, the day after the deadline: the notice that Falun's report is missing, and the
    # September summary with its feedback to Mora.
    run_county_jobs(config, date(2026, 10, 5))
    run_county_jobs(config, date(2026, 10, 8))
    db = open_db(config.database)
    try:
        store = Store(db)
        [held] = store.held_since("")
        counted = store.versions_of("Mora", 10)[0]["id"]
        raw = store.find_message(held["id"])["raw"]
        counted_ref = db.execute("select message_ref from submissions where id = ?", [counted]).fetchone()[0]
    finally:
        db.close()
    base, close = serve(config)
    yield {"config": config, "base": base, "held": held["id"], "raw": raw, "counted_ref": counted_ref}
    close()


def signed_in(desk, name: str) -> Browser:
    browser = Browser(desk["base"])
    assert browser.login(name) == 200
    return browser


def row_of(page: str, header: str) -> str:
    """The cells after the row header `header` in the page's first table row that has it."""
    return re.search(rf'<th scope="row">{re.escape(header)}</th>(.*?)</tr>', page, re.S).group(1)


def section(page: str, heading: str) -> str:
    """The page from an h2 heading to the next h2."""
    return re.search(rf"<h2>{re.escape(heading)}</h2>(.*?)(?=<h2>|</main>)", page, re.S).group(1)


def test_the_heatmap_shows_each_level_in_words_and_colour(desk):
    status, page, _ = signed_in(desk, "ledning").get("/?period=2026-10")
    assert status == 200
    heatmap = section(page, "Länets lägesbild")
    assert "<caption>Påverkan per kommun och fråga, oktober 2026" in heatmap
    assert heatmap.count('<th scope="col">') == 7 and '<th scope="col">2. ' in heatmap
    mora = re.findall(r'<td class="([^"]+)">([^<]+)</td>', row_of(heatmap, "Mora"))
    assert mora == [("level-1", "1 Normalt"), ("level-4", "4 Allvarligt"), ("level-1", "1 Normalt"),
                    ("level-2", "2 Avvikande"), ("level-4", "4 Allvarligt"), ("level-2", "2 Avvikande")]
    falun = re.findall(r'<td class="([^"]+)">([^<]+)</td>', row_of(heatmap, "Falun"))
    assert falun == [("level-1", "1 Normalt")] * 6
    assert re.search(r'<td class="none" colspan="6">ingen rapport \(saknas\)</td>', row_of(heatmap, "Avesta"))
    september = section(signed_in(desk, "ledning").get("/?period=2026-09")[1], "Länets lägesbild")
    assert re.findall(r">([^<]+)</td>", row_of(september, "Mora"))[4] == "3 Oroande"
    assert "ingen rapport" in row_of(september, "Falun")


def test_worsened_and_rising_municipalities_are_said_in_words(desk):
    page = signed_in(desk, "ledning").get("/?period=2026-10")[1]
    watch = section(page, "Försämrade och stigande")
    worsened, rising = watch.split("<h3>Stigande")
    assert "<li>Mora: fråga 2 (Hot och våld) från 2 (Avvikande) till 4 (Allvarligt), september 2026 – oktober 2026" \
        in worsened
    assert "fråga 5" not in worsened  # 3 → 4 is one level only
    assert re.search(r"<li>Mora: fråga 5 \(Alkohol, narkotika, doping och tobak\) från 1 \(Normalt\) via 2 \(Avvikande\), 3 \(Oroande\) "
                     r"till 4 \(Allvarligt\), juli 2026 – oktober 2026", rising)
    assert "Falun" not in watch
    september = section(signed_in(desk, "ledning").get("/?period=2026-09")[1], "Försämrade och stigande")
    assert "Ingen kommun har försämrats" in september and "Mora: fråga 2" not in september


def test_signals_forwarded_are_counted_per_unit_and_rule(desk):
    page = signed_in(desk, "ledning").get("/?period=2026-10")[1]
    signals = section(page, "Vidarebefordrade signaler")
    assert "<caption>Signaler vidarebefordrade till länets enheter för oktober 2026</caption>" in signals
    andt = re.search(r'<th scope="row">ANDT-enheten[^<]*</th><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>',
                     signals)
    assert andt, signals
    # Mora's and Falun's drug signals, and Mora's 4 on question 5; September's signal is not this month's
    assert andt.group(1) == "3" and andt.group(3) == "Falun, Mora"
    assert "Narkotika och droghandel (2)" in andt.group(2) and "Hög påverkan på fråga 5 (1)" in andt.group(2)
    crime = re.search(r'<th scope="row">Brottsförebyggande enheten</th><td>(\d+)</td><td>([^<]*)</td>', signals)
    assert crime and crime.groups() == ("1", "Hög påverkan på fråga 2 (1)")
    august = section(signed_in(desk, "ledning").get("/?period=2026-08")[1], "Vidarebefordrade signaler")
    assert "Inga signaler har vidarebefordrats för augusti 2026" in august


def test_the_overview_offers_the_workbook_and_a_month_to_choose(desk):
    reader = signed_in(desk, "ledning")
    status, page, _ = reader.get("/?period=2026-10")
    assert '<a href="/arbetsbok/2026.xlsx" download>Ladda ned årets arbetsbok (Excel, 2026)</a>' in page
    assert '<label for="period">Visa månad</label>' in page and '<select id="period" name="period">' in page
    assert '<option value="2026-10" selected>oktober 2026</option>' in page
    assert reader.get("/?period=2026-13")[0] == 400
    assert reader.get("/?period=<b>")[0] == 400


@pytest.mark.parametrize("who", ["ledning", "admin"])
def test_the_workbook_downloads_as_a_real_xlsx(desk, who):
    status, data, headers = fetch(signed_in(desk, who), "/arbetsbok/2026.xlsx")
    assert status == 200, data[:300]
    assert headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Lagesbild_2026.xlsx\"; filename*=UTF-8''L%C3%A4gesbild%202026.xlsx")
    book = load_workbook(io.BytesIO(data))
    sheet = next(book[name] for name in book.sheetnames if name.startswith("2 "))
    mora = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Mora")
    assert mora[7:11] == ("Avvikande", "Avvikande", "Avvikande", "Allvarligt")  # July - October
    assert next(row for row in sheet.iter_rows(values_only=True) if row[0] == "Falun")[10] == "Normalt"


def test_the_workbook_needs_a_session(desk):
    status, _, headers = fetch(Browser(desk["base"]), "/arbetsbok/2026.xlsx", follow=False)
    assert status == 302 and headers["Location"].endswith("/login?next=/arbetsbok/2026.xlsx")
    assert fetch(signed_in(desk, "ledning"), "/arbetsbok/26.xlsx")[0] == 404


def test_a_municipality_page_lists_the_mails_sent_to_it(desk):
    reader = signed_in(desk, "ledning")
    status, page, _ = reader.get("/kommun/Mora?period=2026-10")
    assert status == 200
    mails = section(page, "Kvitton och påminnelser")
    assert "<caption>Mejl som boten skickat till Mora, nyaste först (högst 50)</caption>" in mails
    rows = re.findall(r"<tr class=\"out-(\w+)\"><td>([^<]+)</td><td>([^<]+)</td><td>([^<]*)</td>", mails)
    receipts = [r for r in rows if r[1] == "kvitto"]
    assert len(receipts) == 4 and len(rows) == 5  # one receipt per report, and September's feedback
    assert all(r[0] == "sent" and r[2] == "anna.berg@mora.se" for r in rows)
    assert receipts[0][3].endswith("Lägesbild oktober Mora") and receipts[-1][3].endswith("Lägesbild juli Mora")
    assert [r[3] for r in rows if r[1] == "återkoppling"] == ["Återkoppling: länets lägesbild för september 2026"]
    assert "påminnelse" not in mails and "saknad" not in mails and STRANGER not in mails
    assert mails.count("<td>skickat</td>") == 5
    falun = section(reader.get("/kommun/Falun")[1], "Kvitton och påminnelser")
    kinds = re.findall(r"<tr class=\"out-\w+\"><td>([^<]+)</td><td>([^<]+)</td><td>([^<]*)</td>", falun)
    assert kinds == [("besked om saknad rapport", FALUN, "Lägesbild för september 2026 saknas"),
                     ("påminnelse", FALUN, "Påminnelse: lägesbild för september 2026 senast 2026-10-07"),
                     ("kvitto", FALUN, "SV: Lägesbild oktober Falun")]  # newest first
    quiet = section(reader.get("/kommun/Orsa")[1], "Kvitton och påminnelser")
    assert "Boten har inte skickat något till Orsa." in quiet


def test_a_held_mail_is_shown_beside_its_original_escaped(desk):
    status, page, _ = signed_in(desk, "admin").get("/granska")
    assert status == 200
    held = re.search(r'<section class="held-mail".*?</section>', page, re.S).group(0)
    assert "<h3>Vad boten förstod</h3>" in held and "<h3>Originalet</h3>" in held
    assert "annat mejl (ingen lägesbild)" in held and "avsändaren finns inte i kommunlistan" in held
    assert "&lt;script&gt;alert(&#39;hej&#39;)&lt;/script&gt;" in held and "<script>" not in page
    assert "Fråga om &lt;b&gt;rapporten&lt;/b&gt;" in held and "<b>rapporten" not in page
    ref = desk["held"]
    assert f'<a href="/granska/{ref}/bilaga/1" download>anteckningar.txt</a> ({len(NOTES)} byte, text/plain)' in held
    assert f'<a href="/granska/{ref}/bilaga/2" download>Lägesbild Älvdalen &lt;utkast&gt;.bin</a>' in held
    assert f'href="/granska/{ref}/original.eml"' in held


def test_attachments_and_the_original_download_as_the_stored_bytes(desk):
    admin, ref = signed_in(desk, "admin"), desk["held"]
    status, data, headers = fetch(admin, f"/granska/{ref}/bilaga/1")
    assert status == 200 and data == NOTES
    assert headers["Content-Type"] == "application/octet-stream" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"anteckningar.txt\"; filename*=UTF-8''anteckningar.txt")
    status, data, headers = fetch(admin, f"/granska/{ref}/bilaga/2")
    assert status == 200 and data == b"\x00\x01binary\xff"
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Lagesbild_Alvdalen_utkast_.bin\"; "
        "filename*=UTF-8''L%C3%A4gesbild%20%C3%84lvdalen%20%3Cutkast%3E.bin")
    status, data, headers = fetch(admin, f"/granska/{ref}/original.eml")
    assert status == 200 and data == desk["raw"] and headers["Content-Type"] == "application/octet-stream"
    assert fetch(admin, f"/granska/{ref}/bilaga/3")[0] == 404
    assert fetch(admin, f"/granska/{ref}/bilaga/0")[0] == 404
    assert fetch(admin, "/granska/9999/bilaga/1")[0] == 404
    assert fetch(admin, "/granska/9999/original.eml")[0] == 404
    assert fetch(admin, f"/granska/{desk['counted_ref']}/original.eml")[0] == 404  # not a held mail
    reader = signed_in(desk, "ledning")
    assert fetch(reader, f"/granska/{ref}/bilaga/1")[0] == 403
    assert fetch(reader, f"/granska/{ref}/original.eml")[0] == 403
    status, _, headers = fetch(Browser(desk["base"]), f"/granska/{ref}/bilaga/1", follow=False)
    assert status == 302 and "/login" in headers["Location"]


def test_a_held_mail_whose_bytes_were_purged_says_so(tmp_path):
    config = local_config(tmp_path)
    add_user(config, "admin", "admin", PASSWORD)
    deliver(config, build_mail(sender=f"Okänd <{STRANGER}>", subject="Hej", body="En fråga.\n",
                               attachments=[("a.txt", b"abc", ("text", "plain"))]),
            when=datetime(2026, 11, 4, 9, tzinfo=CET))
    poll_once(config)
    db = open_db(config.database)
    try:
        store = Store(db)
        [held] = store.held_since("")
        store.purge_before("2999-01-01")
    finally:
        db.close()
    base, close = serve(config)
    try:
        admin = Browser(base)
        assert admin.login("admin") == 200
        status, page, _ = admin.get("/granska")
        assert status == 200 and "Mejlets innehåll har gallrats enligt lagringstiden" in page
        assert "/bilaga/" not in page and "original.eml" not in page
        status, body, _ = fetch(admin, f"/granska/{held['id']}/bilaga/1")
        assert status == 410 and "gallrats" in body.decode()
        assert fetch(admin, f"/granska/{held['id']}/original.eml")[0] == 410
    finally:
        close()


def test_a_held_report_shows_its_ratings_and_its_receipt_is_listed_for_the_municipality(tmp_path):
    config = local_config(tmp_path)
    add_user(config, "admin", "admin", PASSWORD)
    gmail = "sara.nord@gmail.com"  # not Mora's address: the report is held, and gets a receipt that quotes nothing
    deliver(config, build_mail(sender=f"Sara Nord <{gmail}>", subject="Lägesbild oktober Mora",
                               body=template_text(scores=(1, 4, 1, 2, 3, 2))), when=datetime(2026, 11, 3, 9, tzinfo=CET))
    poll_once(config)
    base, close = serve(config)
    try:
        admin = Browser(base)
        assert admin.login("admin") == 200
        held = re.search(r'<section class="held-mail".*?</section>', admin.get("/granska")[1], re.S).group(0)
        understood = re.search(r"<h3>Vad boten förstod</h3>(.*?)</dl>", held, re.S).group(1)
        assert "<dt>Slag av mejl</dt><dd>lägesbild</dd>" in understood
        assert "<dt>Kommun</dt><dd>Mora</dd>" in understood and "<dt>Månad</dt><dd>2026-10</dd>" in understood
        assert "avsändaren finns inte i kommunlistan" in understood
        assert "<li>Fråga 2: 4 (Allvarligt)</li>" in understood and "<li>Fråga 5: 3 (Oroande)</li>" in understood
        assert "Fråga 7" not in understood  # no rating
        assert "Påverkan: 4" in re.search(r"<pre>(.*?)</pre>", held, re.S).group(1)
        # the receipt answered a mail read as Mora's (no submission yet): listed on Mora's page
        mails = section(admin.get("/kommun/Mora")[1], "Kvitton och påminnelser")
        assert re.search(rf"<td>kvitto</td><td>{re.escape(gmail)}</td>", mails)
        assert "kvitto" not in section(admin.get("/kommun/Falun")[1], "Kvitton och påminnelser")
    finally:
        close()
