"""The monthly summary and the feedback mails, over a temp SQLite file with four months of reports."""

import email
import itertools
import struct
from datetime import date
from email import policy

import pytest

from mailbot.compose import InlineImage, build_message
from mailbot.config import load_config
from mailbot.decide import Outgoing
from mailbot.store import Store, open_db
from mailbot.summary import Mark, Watch, build_summary, heatmap_png, quote, render_text, summary_mails

CONFIG = load_config()
SENDER = "lagesbild-fas.dalarna@lansstyrelsen.se"
TODAY = date(2026, 4, 10)  # deadline for 2026-03 is 2026-04-07 (7 days after month end)
_uids = itertools.count(1)

LUDVIKA_Q7 = ("Kommunen har tillsammans med polisen och bostadsbolaget genomfört trygghetsvandringar i tre "
              "stadsdelar under månaden och fler vuxna rör sig nu ute på kvällstid i centrum. Fritidsgården har "
              "haft förlängda öppettider under helgerna, vilket har tagits emot mycket väl av ungdomarna.")


def submit(db, municipality, period, ratings, received, sender, q7="", current=True):
    """One submission with answers 1-6 (int score, colour word or None) and question 7's text."""
    uid = next(_uids)
    message = db["messages"].insert({"folder": "INBOX", "uidvalidity": 1, "uid": str(uid),
                                     "internaldate": received, "outcome": "processed", "sender": sender}).last_pk
    sub = db["submissions"].insert({
        "message_ref": message, "municipality": municipality, "period": period, "received_at": received,
        "on_time": 1, "source": "body", "sender": sender, "is_current": int(current)}).last_pk
    rows = [{"submission_id": sub, "question": q,
             "score": r if isinstance(r, int) else None, "color": r if isinstance(r, str) else None,
             "text": f"svar {q}"} for q, r in enumerate(ratings, 1)]
    rows.append({"submission_id": sub, "question": 7, "score": None, "color": None, "text": q7})
    db["answers"].insert_all(rows)
    return message


def signal(db, message, municipality, period, rule, unit, forwarded=1):
    db["signals"].insert({"message_ref": message, "municipality": municipality, "period": period,
                          "rule": rule, "unit": unit, "question": 5, "excerpt": "…", "forwarded": forwarded})


G, Y, R = "grön", "gul", "röd"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("summary") / "db.sqlite")
    falun, mora, ludvika = "samordnare@falun.se", "anna@mora.se", "lars@ludvika.se"
    # Falun: question 2 goes from 1 to 3 in March (worse by two levels).
    submit(db, "Falun", "2026-01", [1] * 6, "2026-02-03T08:00:00+00:00", falun)
    m = submit(db, "Falun", "2026-02", [1] * 6, "2026-03-03T08:00:00+00:00", falun)
    signal(db, m, "Falun", "2026-02", "narkotika", "andt")  # another month: not counted
    m = submit(db, "Falun", "2026-03", [1, 3, 1, 1, 2, 1], "2026-04-02T08:00:00+00:00", falun,
               q7="- Vi har startat nattvandring med föräldrar i centrum.")
    signal(db, m, "Falun", "2026-03", "narkotika", "andt")
    signal(db, m, "Falun", "2026-03", "langning", "andt")
    # Mora: question 5 rises 1 → 2 → 3 → 4 over four months.
    submit(db, "Mora", "2025-12", [2, 2, 2, 2, 1, 2], "2026-01-05T08:00:00+00:00", mora)
    submit(db, "Mora", "2026-01", [2, 2, 2, 2, 2, 2], "2026-02-05T08:00:00+00:00", mora)
    submit(db, "Mora", "2026-02", [2, 2, 2, 2, 3, 2], "2026-03-05T08:00:00+00:00", mora)
    m = submit(db, "Mora", "2026-03", [2, 2, 2, 2, 4, 2], "2026-04-06T08:00:00+00:00", mora, q7="Inget.")
    signal(db, m, "Mora", "2026-03", "narkotika", "andt")
    # Ludvika reports with the traffic light: grön in February, röd and gul in March.
    submit(db, "Ludvika", "2026-02", [G] * 6, "2026-03-04T08:00:00+00:00", ludvika)
    m = submit(db, "Ludvika", "2026-03", [R, Y, G, G, G, G], "2026-04-01T08:00:00+00:00", ludvika, q7=LUDVIKA_Q7)
    signal(db, m, "Ludvika", "2026-03", "nazistisk_propaganda", "extremism")
    # Borlänge: late, question 6 without a rating; its signal was not forwarded.
    submit(db, "Borlänge", "2026-02", [2] * 6, "2026-03-02T08:00:00+00:00", "eva@borlange.se")
    m = submit(db, "Borlänge", "2026-03", [2, 2, 2, 2, 2, None], "2026-04-09T08:00:00+00:00", "eva@borlange.se",
               q7="Samtal med 19121212-1212 om trygghet i skolan.")
    signal(db, m, "Borlänge", "2026-03", "narkotika", "andt", forwarded=0)
    # Leksand: its first report.
    submit(db, "Leksand", "2026-03", [1, 1, 1, 2, 1, 1], "2026-04-03T08:00:00+00:00", "kim@leksand.se",
           q7="Trygghetsvandring genomförd med polis och bostadsbolag.")
    # Säter sent a corrected version: only the current one counts, its sender gets the feedback.
    submit(db, "Säter", "2026-03", [5] * 6, "2026-04-02T08:00:00+00:00", "gammal@sater.se", current=False)
    submit(db, "Säter", "2026-03", [1] * 6, "2026-04-03T08:00:00+00:00", "ny@sater.se", q7="-")
    # Avesta reported in February but not in March.
    submit(db, "Avesta", "2026-02", [3] * 6, "2026-03-03T08:00:00+00:00", "a@avesta.se")
    yield Store(db)
    db.close()


@pytest.fixture(scope="module")
def summary(store):
    return build_summary(store, CONFIG, "2026-03", TODAY)


MISSING = ("Avesta", "Gagnef", "Hedemora", "Malung-Sälen", "Orsa", "Rättvik", "Smedjebacken", "Vansbro", "Älvdalen")


def test_who_reported(summary):
    assert summary.label == "mars 2026" and summary.deadline == "2026-04-07"
    assert summary.on_time == ("Falun", "Leksand", "Ludvika", "Mora", "Säter")
    assert summary.late == ("Borlänge",)
    assert summary.missing == MISSING
    assert summary.pending == ()
    assert [r.name for r in summary.reported] == ["Borlänge", "Falun", "Leksand", "Ludvika", "Mora", "Säter"]
    assert len(summary.rows) == 15


def test_county_picture_per_question(summary):
    pictures = {q.number: q for q in summary.questions}
    assert sorted(pictures) == [1, 2, 3, 4, 5, 6]
    # levels = Normalt..Kritiskt, colors = Grön, Gul, Röd; Säter's superseded 5s do not count
    assert (pictures[1].levels, pictures[1].colors, pictures[1].unrated) == ((3, 2, 0, 0, 0), (0, 0, 1), 0)
    assert (pictures[2].levels, pictures[2].colors, pictures[2].unrated) == ((2, 2, 1, 0, 0), (0, 1, 0), 0)
    assert (pictures[4].levels, pictures[4].colors) == ((2, 3, 0, 0, 0), (1, 0, 0))
    assert (pictures[5].levels, pictures[5].colors) == ((2, 2, 0, 1, 0), (1, 0, 0))
    assert (pictures[6].levels, pictures[6].colors, pictures[6].unrated) == ((3, 1, 0, 0, 0), (1, 0, 0), 1)
    assert pictures[6].text() == ("Normalt 3, Avvikande 1, Oroande 0, Allvarligt 0, Kritiskt 0; "
                                  "Grön 1, Gul 0, Röd 0; ej bedömd 1")


def test_worsened_and_rising(summary):
    assert [(w.municipality, w.question, w.periods) for w in summary.worsened] == [
        ("Falun", 2, ("2026-02", "2026-03")),
        ("Ludvika", 1, ("2026-02", "2026-03")),  # grön (1) → röd (5)
        ("Ludvika", 2, ("2026-02", "2026-03")),  # grön (1) → gul (3)
    ]
    assert summary.worsened[0].change == "1 (Normalt) → 3 (Oroande)"
    assert summary.worsened[1].change == "Grönt → Rött"
    [rise] = summary.rising
    assert (rise.municipality, rise.question) == ("Mora", 5)
    assert rise.periods == ("2025-12", "2026-01", "2026-02", "2026-03")
    assert [m.score for m in rise.marks] == [1, 2, 3, 4]


def test_signals_and_positives(summary):
    assert [(u.unit, u.count, u.municipalities) for u in summary.signals] == [
        ("andt", 3, ("Falun", "Mora")), ("extremism", 1, ("Ludvika",))]
    assert summary.signals[0].name.startswith("ANDT-enheten")
    assert [p.municipality for p in summary.positives] == ["Falun", "Leksand", "Ludvika"]
    assert summary.positives[0].quote == "Vi har startat nattvandring med föräldrar i centrum."
    ludvika = summary.positives[2].quote
    assert len(ludvika) <= 220 and ludvika.endswith("kvällstid i centrum.") and LUDVIKA_Q7.startswith(ludvika)


def test_trend_rows(summary):
    rows = {r.name: r for r in summary.rows}
    assert summary.trend_periods == ("2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03")
    assert [m[4].score if m else None for m in rows["Mora"].trend] == [None, None, 1, 2, 3, 4]
    assert rows["Ludvika"].marks[0] == Mark(color="röd")
    assert rows["Borlänge"].marks[5] is None and rows["Borlänge"].reported
    assert not rows["Avesta"].reported and rows["Avesta"].trend[-2] == (Mark(3),) * 6
    assert rows["Säter"].sender == "ny@sater.se"


@pytest.mark.parametrize("text, expected", [
    ("Inget.", None),
    ("-", None),
    ("inget att rapportera", None),
    ("Samtal med 19121212-1212 om trygghet.", None),
    ("• Nattvandring i centrum varje fredag.", "Nattvandring i centrum varje fredag."),
])
def test_quote(text, expected):
    assert quote(text) == expected


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def test_heatmap_is_a_real_png(summary):
    width, height = _png_size(heatmap_png(summary))
    assert width > 100 and height > 100


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def _text(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def mails(summary):
    return summary_mails(summary, CONFIG, workbook=b"PK\x03\x04 fake xlsx")


def test_summary_mail_has_inline_heatmap_and_workbook(mails):
    out, attachments = mails[0]
    assert (out.kind, out.dedupe_key) == ("summary", "summary:2026-03")
    assert out.recipients == ("lansledning.dalarna@lansstyrelsen.se", "lagesbild-fas.dalarna@lansstyrelsen.se")
    _, raw = build_message(out, SENDER, attachments)
    msg = _parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    [related] = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
    html, image = related.iter_parts()
    assert image.get_content_type() == "image/png"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert "<th>Grön</th><th>Gul</th><th>Röd</th><th>Ej bedömd</th>" in html.get_content()
    assert "Grön/Gul/Röd: kommuner som bedömer" in html.get_content()
    assert "Trafikljus räknas här som grön = 1, gul = 3 och röd = 5." in html.get_content()
    assert _png_size(image.get_content())[0] > 100
    [xlsx] = list(msg.iter_attachments())
    assert xlsx.get_filename() == "Lägesbild 2026.xlsx"
    assert xlsx.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.get_content() == b"PK\x03\x04 fake xlsx"
    text = _text(msg)
    for fact in ("sammanställning för mars 2026", "I tid (5): Falun, Leksand, Ludvika, Mora, Säter",
                 "Sent (1): Borlänge", f"Saknas (9): {', '.join(MISSING)}",
                 "2. Hot och våld: Normalt 2, Avvikande 2, Oroande 1, Allvarligt 0, Kritiskt 0; Grön 0, Gul 1, Röd 0",
                 "Falun, fråga 2 Hot och våld: 1 (Normalt) → 3 (Oroande)",
                 "Mora, fråga 5 Alkohol, narkotika, doping och tobak: 1 (Normalt) → 2 (Avvikande) → 3 (Oroande) → 4",
                 "grön = 1, gul = 3 och röd = 5", ": 3 (Falun, Mora)", "Samordnare mot våldsbejakande extremism: 1",
                 "Leksand: ”Trygghetsvandring genomförd med polis och bostadsbolag.”", "Lägesbild 2026.xlsx"):
        assert fact in text, fact
    assert "19121212" not in raw.decode("ascii", "replace")
    assert "Ludvika</b>, fråga 1 Ordningsstörningar och otrygghet: Grönt → Rött" in html.get_content()


def test_summary_without_workbook_has_only_the_picture(summary):
    [(out, attachments), *_] = summary_mails(summary, CONFIG)
    assert [type(a) for a in attachments] == [InlineImage]
    msg = _parse(build_message(out, SENDER, attachments)[1])
    assert msg.get_content_type() == "multipart/alternative"
    assert not list(msg.iter_attachments())
    assert "Bifogat" not in _text(msg)


def test_feedback_to_each_reporting_municipality(mails):
    feedback = {out.dedupe_key: out for out, attachments in mails if out.kind == "feedback"}
    assert {key: out.recipients for key, out in feedback.items()} == {
        "feedback:2026-03:Borlänge": ("eva@borlange.se",), "feedback:2026-03:Falun": ("samordnare@falun.se",),
        "feedback:2026-03:Leksand": ("kim@leksand.se",), "feedback:2026-03:Ludvika": ("lars@ludvika.se",),
        "feedback:2026-03:Mora": ("anna@mora.se",), "feedback:2026-03:Säter": ("ny@sater.se",)}
    msg = _parse(build_message(feedback["feedback:2026-03:Mora"], SENDER)[1])
    text = _text(msg)
    assert "Tack för lägesbilden från Mora för mars 2026" in text
    assert "6 av 15 kommuner" in text
    assert ("5. Alkohol, narkotika, doping och tobak\n   Ni: 4 (Allvarligt)\n"
            "   Länet: Normalt 2, Avvikande 2, Oroande 0, Allvarligt 1, Kritiskt 0; Grön 1, Gul 0, Röd 0") in text
    assert "ER UTVECKLING (december 2025 – mars 2026)" in text
    assert "Fråga     dec   jan   feb   mar\n" in text
    assert "5.        1     2     3     4\n" in text
    assert "fråga 5 Alkohol, narkotika, doping och tobak: 1 (Normalt) → 2 (Avvikande)" in text
    assert "stöd" in text
    assert msg.get_body(preferencelist=("html",)) is not None

    leksand = _parse(build_message(feedback["feedback:2026-03:Leksand"], SENDER)[1])
    text = _text(leksand)
    assert "första lägesbild" in text
    assert "finns med i månadens sammanställning" in text and "Trygghetsvandring" in text
    ludvika = _parse(build_message(feedback["feedback:2026-03:Ludvika"], SENDER)[1])
    text = _text(ludvika)
    assert "Ni: Rött" in text and "1.        Grön  Röd\n" in text


def test_render_text_for_the_cli(summary):
    text = render_text(summary)
    assert "Sent (1): Borlänge" in text and "Värmekartan" not in text and "Bifogat" not in text
    assert "(Trafikljus räknas här som grön = 1, gul = 3 och röd = 5.)" in text


def test_build_message_inline_parameter_and_plain_mail_unchanged(summary):
    out, _ = summary_mails(summary, CONFIG)[0]
    image = InlineImage("x@y", b"\x89PNG fake", filename="x.png")
    msg = _parse(build_message(out, SENDER, inline=[image])[1])
    [related] = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
    assert [p.get("Content-ID") for p in related.iter_parts()] == [None, "<x@y>"]
    plain = Outgoing("k", "admin_notice", ("a@b.se",), "Ämne", "admin_bounce", {"subject": "s", "sender": "x", "failures": []})
    msg = _parse(build_message(plain, SENDER, [("a.txt", b"hej", "text", "plain")])[1])
    assert msg.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/plain"]
    with pytest.raises(ValueError):
        build_message(plain, SENDER, inline=[image])


def test_watch_months_label():
    w = Watch("Mora", 5, ("2025-12", "2026-03"), (Mark(1), Mark(3)))
    assert w.months == "december 2025 – mars 2026" and w.title.startswith("Alkohol")
