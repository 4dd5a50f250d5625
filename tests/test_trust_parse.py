"""The parser side of "Trust the record" (issue 13) and the structure cases of issue 16.

Table-style: a mail built here in, the record's fields out. Every mail is our own.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from mailbot.config import load_config
from mailbot.context import parse_context
from parsers.directory import Directory, Municipality
from parsers.report import parse_message
from tests.docx_factory import make_docx
from tests.mailbuilder import DOCX_TYPE, build_mail, template_text
from tests.pdf_factory import image_only_pdf, template_lines, text_pdf

CONTEXT = parse_context(load_config())
DEC3 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
NOV3 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PDF = ("application", "pdf")


def parse(raw: bytes, ctx=CONTEXT):
    return parse_message(raw, ctx)


def codes(record) -> set[str]:
    return {p.code for p in record.problems}


def message(record, code: str) -> str:
    return next(p.message for p in record.problems if p.code == code)


def report_pdf(municipality: str, month: str) -> bytes:
    return text_pdf([template_lines(municipality, month)])


def docx_report(municipality: str, month: str, scores=(2, 1, 3, 1, 2, 1), q5: str = "Lugnt.") -> bytes:
    body = [f"Mall för lägesbildsinsamling - Sociala risker, {month} månad",
            f"Underlaget inlämnat av kommun: {municipality}"]
    titles = ["Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
              "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt",
              "Positiva åtgärder eller händelser"]
    for n, title in enumerate(titles, start=1):
        body.append(f"Fråga {n}, {title}:")
        body.append(q5 if n == 5 else f"Svar {n} för {month}.")
        if n <= 6:
            body.append(f"Påverkan: {scores[n - 1]}")
    return make_docx(body)


# -- 1. sources and precedence ------------------------------------------------------------


@pytest.mark.parametrize("subject, heading_month, period, source, conflict", [
    # The document's heading outranks the subject: sent 3 December, subject October, heading November.
    ("Lägesbild oktober", "november", "2026-11", "heading", "Dokumentet gäller november 2026 men ämnesraden säger oktober 2026."),
    ("Lägesbild november", "november", "2026-11", "heading", None),
    ("Lägesbild", "november", "2026-11", "heading", None),
])
def test_heading_outranks_subject(subject, heading_month, period, source, conflict):
    record = parse(build_mail(sender="anna.berg@mora.se", subject=subject, body="Hej!\n", date=DEC3,
                              attachments=[("rapport.pdf", report_pdf("Mora", heading_month), PDF)]))
    assert (record.kind, record.period, record.period_source) == ("report", period, source)
    if conflict:
        assert record.named_period == "2026-10"
        assert message(record, "period_conflict") == conflict + (
            " Rapporten räknas inte förrän en handläggare har kontrollerat vilken månad den gäller.")
    else:
        assert "period_conflict" not in codes(record)


@pytest.mark.parametrize("subject, body, period, source", [
    ("Lägesbild oktober", template_text(), "2026-10", "subject"),
    ("Rapport", "Här kommer oktober.\n\n" + template_text(), "2026-10", "text"),  # prose, not a title
    ("Rapport", "Lägesbild oktober\n\n" + template_text(), "2026-10", "heading"),  # the body report's own title
    ("Rapport", template_text(), "2026-10", "sent_date"),  # sent 3 November: the deadline rule's guess
])
def test_subject_outranks_text_outranks_date(subject, body, period, source):
    record = parse(build_mail(sender="anna.berg@mora.se", subject=subject, body=body, date=NOV3))
    assert (record.period, record.period_source) == (period, source)


def test_the_mail_text_names_the_month_of_an_attachment_without_one():
    lines = [line.replace(" oktober månad", "") for line in template_lines("Mora", "oktober")]
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Rapport", body="Hej! Här kommer oktober.\n",
                              date=DEC3, attachments=[("rapport.pdf", text_pdf([lines]), PDF)]))
    assert (record.period, record.period_source) == ("2026-10", "text")


def test_a_month_in_the_preamble_prose_is_not_the_period():
    body = "Hej!\nNästa möte i december\nVi ses.\n\n" + template_text()
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", body=body, date=NOV3))
    assert (record.period, record.period_source) == ("2026-10", "subject") and "period_conflict" not in codes(record)


def test_a_date_in_the_heading_is_not_the_period():
    lines = ["Datum: 2026-12-02", "Mora 2 december 2026"] + template_lines("Mora", "november")[0:0]
    lines += template_lines("Mora", "november")[3:]  # no "november månad" title: only dates
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", date=DEC3,
                              attachments=[("rapport.pdf", text_pdf([lines]), PDF)]))
    assert (record.period, record.period_source) == ("2026-10", "subject")
    assert "period_conflict" not in codes(record)


@pytest.mark.parametrize("sender, stated, municipality, problem", [
    # The text names another municipality: the registered one is kept, the stated one named, held.
    ("anna.berg@mora.se", "Orsa", "Mora", "municipality_conflict"),
    ("anna.berg@mora.se", "Mora", "Mora", None),
    ("samordnare@gemensam.se", "Orsa", "Orsa", None),  # registered for Mora and Orsa: the text decides
    ("samordnare@gemensam.se", "Älvdalen", None, "municipality_conflict"),
])
def test_registered_municipality_against_the_text(sender, stated, municipality, problem):
    directory = Directory(tuple(
        dataclasses.replace(m, addresses=m.addresses + ("samordnare@gemensam.se",))
        if m.name in ("Mora", "Orsa") else m
        for m in CONTEXT.directory.municipalities))
    ctx = dataclasses.replace(CONTEXT, directory=directory)
    body = template_text().replace("kommun: Mora", f"kommun: {stated}")
    record = parse(build_mail(sender=sender, subject="Lägesbild oktober", body=body), ctx)
    assert record.municipality == municipality
    if problem:
        assert stated in message(record, problem) and record.named_municipality == stated
        assert codes(record) & {"municipality_conflict"} == {problem}
    else:
        assert "municipality_conflict" not in codes(record)


def test_address_for_several_municipalities_without_a_name_in_the_text():
    directory = Directory((Municipality("Mora", addresses=("x@gemensam.se",)),
                           Municipality("Orsa", addresses=("x@gemensam.se",))))
    ctx = dataclasses.replace(CONTEXT, directory=directory)
    body = template_text().replace("Underlaget inlämnat av kommun: Mora", "")
    record = parse(build_mail(sender="x@gemensam.se", subject="Lägesbild oktober", body=body), ctx)
    assert record.municipality is None
    assert "Mora, Orsa" in message(record, "unknown_municipality")


@pytest.mark.parametrize("subject", ["Lägesbild Mora och Orsa oktober", "Lägesbild oktober – Mora/Orsa"])
def test_joint_report_is_not_counted_for_one(subject):
    record = parse(build_mail(sender="anna.berg@mora.se", subject=subject, body=template_text()))
    assert "Mora och Orsa" in message(record, "joint_report")


# -- 2. several reports in one mail -------------------------------------------------------


def test_two_attachments_for_two_months_are_both_read():
    raw = build_mail(sender="anna.berg@mora.se", subject="Lägesbild", body="Hej! Här kommer rapporterna.\n",
                     date=NOV3, attachments=[
                         ("Lägesbild september.docx", docx_report("Mora", "september"), DOCX_TYPE),
                         ("Lägesbild oktober.docx", docx_report("Mora", "oktober", scores=(4,) * 6,
                                                                q5="Ökad droghandel vid resecentrum."), DOCX_TYPE)])
    record = parse(raw)
    assert [(r.period, r.primary) for r in record.reports] == [("2026-10", True), ("2026-09", False)]
    assert record.period == "2026-10" and record.source == "attachment:Lägesbild oktober.docx"
    assert [a.score for a in record.reports[0].answers][:6] == [4] * 6
    assert any(s.rule == "narkotika" for s in record.reports[0].signals)
    assert not any(s.rule == "narkotika" for s in record.reports[1].signals)
    assert record.notes == ["Mejlet innehöll 2 lägesbilder (oktober 2026 och september 2026). Vi läste var och en "
                            "för sig; oktober 2026 räknas som det här mejlets rapport."]
    assert [r["period"] for r in record.to_json()["reports"]] == ["2026-10", "2026-09"]


@pytest.mark.parametrize("body, primary", [
    ("Hej! Septemberrapporten kom med av misstag, oktober är den som gäller.\n", "2026-10"),
    ("Hej! Den för september är den som gäller, oktober bifogades av misstag.\n", "2026-09"),
    ("Hej!\n", "2026-10"),  # nothing said: the latest month
])
def test_the_mail_says_which_report_counts(body, primary):
    raw = build_mail(sender="anna.berg@mora.se", subject="Lägesbild", body=body, date=NOV3, attachments=[
        ("a.pdf", report_pdf("Mora", "september"), PDF), ("b.pdf", report_pdf("Mora", "oktober"), PDF)])
    record = parse(raw)
    assert record.period == primary and record.reports[0].primary
    assert len(record.reports) == 2


def test_a_docx_and_its_pdf_twin_are_one_report():
    raw = build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", attachments=[
        ("l.docx", docx_report("Mora", "oktober"), DOCX_TYPE), ("l.pdf", report_pdf("Mora", "oktober"), PDF)])
    record = parse(raw)
    assert len(record.reports) == 1 and "reports" not in record.to_json()


def test_two_months_pasted_in_one_body_are_split():
    september = template_text(answers=[f"September {n}." for n in range(1, 8)])
    october = template_text(scores=(3, 3, 3, 3, 3, 3), answers=[f"Oktober {n}." for n in range(1, 8)])
    body = "Lägesbild oktober\n" + october + "\nLägesbild september\n" + september
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbilder", body=body, date=NOV3))
    by_period = {r.period: r for r in record.reports}
    assert set(by_period) == {"2026-10", "2026-09"}
    assert by_period["2026-10"].answers[6].text == "Oktober 7."  # question 7 holds nothing of September
    assert by_period["2026-09"].answers[0].text == "September 1."
    assert record.period == "2026-10" and not record.signals  # titles never fire a signal


def test_a_repeated_question_title_is_not_answer_text():
    body = template_text().replace("Svar på fråga 7.", "Svar på fråga 7.\nFråga 5, Alkohol, narkotika, doping och tobak:")
    record = parse(build_mail(sender="anna.berg@mora.se", body=body))
    assert record.answers[6].text == "Svar på fråga 7." and record.signals == []


# -- 3. only reports are reports -----------------------------------------------------------


def test_numbered_questions_alone_are_not_a_report():
    pages = [[f"Enquete transport regional - page {p}"] + [
        f"Question {n}: Quelle est la frequence de vos deplacements en bus ({p}.{n}) ?" for n in range(1, 8)]
        + ["Réponse: plusieurs fois par semaine"] for p in range(1, 66)]
    raw = build_mail(sender="anna.berg@mora.se", subject="Enquête mobilité 2026", body="Bonjour, voir pièce jointe.\n",
                     attachments=[("enquete.pdf", text_pdf(pages), PDF)])
    record = parse(raw)
    assert record.kind == "other" and "no_report" in codes(record) and record.reports == []


def test_most_of_the_template_missing_is_not_a_full_report():
    body = "Fråga 1, Ordningsstörningar och otrygghet:\nLugnt.\nPåverkan: 1\n\nFråga 2, Hot och våld:\nLugnt.\nPåverkan: 2\n"
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", body=body))
    assert record.partial and "missing_answer" not in codes(record)  # never a full report that erases five answers


@pytest.mark.parametrize("sender, subject, body, kind", [
    ("kassa@faktura-online.biz", "Faktura 4471", "Se bifogad faktura.\n", "other"),
    ("kassa@faktura-online.biz", "Invoice", "", "other"),
    ("anna.berg@mora.se", "Lägesbild oktober", "Hej!\n", "report"),
    ("anna.berg@mora.se", "Oktober", "", "report"),  # a registered sender naming the month
    ("anna.berg@mora.se", "Kaffe på fredag?", "Hej, ses vi?\n", "other"),
])
def test_unreadable_attachment_is_a_report_only_in_a_submission(sender, subject, body, kind):
    raw = build_mail(sender=sender, subject=subject, body=body, attachments=[("scan0001.pdf", image_only_pdf(), PDF)])
    record = parse(raw)
    assert record.kind == kind
    assert ("unreadable_attachment" in codes(record)) == (kind == "report")


# -- 4. corrections by reply ----------------------------------------------------------------

RECEIPT = """Hej!

Tack för lägesbilden. Vi har tagit emot den och räknat den för Mora, oktober 2026.
Den kom in i tid (senast 2026-11-07).

Så här uppfattade vi rapporten:

1. Ordningsstörningar och otrygghet           1 (Normalt)
2. Hot och våld                               4 (Allvarligt)
3. Extremism och kriminella nätverk           1 (Normalt)
4. Ungdomar/skolor                            2 (Avvikande)
5. Alkohol, narkotika, doping och tobak       1 (Normalt)
6. Övrigt                                     2 (Avvikande)
7. Positiva åtgärder eller händelser          –

Vi hittade inga fel i rapporten.

Med vänlig hälsning
Länsstyrelsen Dalarna

Det här är ett automatiskt svar från lagesbild-fas.dalarna@lansstyrelsen.se."""


def quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.splitlines())


def reply(new_text: str, subject: str = "SV: Lägesbild oktober Mora", receipt_id: str = "<receipt-1@lansstyrelsen.se>"):
    body = new_text + "\n\nDen 3 nov. 2026 kl. 10:12 skrev lagesbild-fas.dalarna@lansstyrelsen.se:\n" + quoted(RECEIPT) + "\n"
    return build_mail(sender="anna.berg@mora.se", subject=subject, body=body, date=NOV3,
                      headers={"In-Reply-To": receipt_id, "References": f"<orig@mora.se> {receipt_id}"})


@pytest.mark.parametrize("new_text, expected", [
    ("Hej! Fråga 2: Påverkan 3\nMvh Anna", {2: (3, None, None)}),
    ("Påverkan på fråga 2 är 3.", {2: (3, None, None)}),
    ("Hej!\nFråga 2: 3\nFråga 4 = Gult\nMvh", {2: (3, None, None), 4: (None, "gul", None)}),
    ("Hej, fråga 2 ska vara 3, inte 4. Och påverkan för fråga 5 är Gult.", {2: (3, None, None), 5: (None, "gul", None)}),
    ("Fråga 2, Hot och våld:\nEtt rån vid centrum i slutet av månaden.\nPåverkan: 3\n\n"
     "Fråga 6, Övrigt:\nHot mot en politiker på sociala medier.",
     {2: (3, None, "Ett rån vid centrum i slutet av månaden."), 6: (None, None, "Hot mot en politiker på sociala medier.")}),
    ("Rättat:\n1. Ordningsstörningar och otrygghet           1 (Normalt)\n"
     "2. Hot och våld                               3 (Oroande)\n"
     "3. Extremism och kriminella nätverk           1 (Normalt)\n", {2: (3, None, None)}),
])
def test_corrections_by_reply_are_partial(new_text, expected):
    record = parse(reply(new_text))
    assert (record.kind, record.partial, record.period, record.municipality) == ("report", True, "2026-10", "Mora")
    assert {a.question: (a.score, a.color, a.text) for a in record.answers} == expected
    assert record.in_reply_to == ["<receipt-1@lansstyrelsen.se>"]
    assert record.references == ["<orig@mora.se>", "<receipt-1@lansstyrelsen.se>"]
    assert record.quotes_receipt and record.receipt_period == "2026-10" and record.period_source == "receipt"
    assert [(a.question, a.score) for a in record.quoted_ratings] == [(1, 1), (2, 4), (3, 1), (4, 2), (5, 1), (6, 2)]
    assert not codes(record) & {"missing_answer", "missing_score", "no_report"}
    assert record.to_json()["partial"] is True


def test_a_correction_text_fires_its_signal_but_the_quote_does_not():
    record = parse(reply("Fråga 5, Alkohol, narkotika, doping och tobak:\nÖkad droghandel vid skolan.\nPåverkan: 4"))
    assert {s.question for s in record.signals} == {5} and "narkotika" in {s.rule for s in record.signals}


@pytest.mark.parametrize("raw", [
    # Our receipt forwarded back to the mailbox, or echoed whole without a word added.
    build_mail(sender="anna.berg@mora.se", subject="VB: SV: Lägesbild oktober", body="\n-------- Vidarebefordrat meddelande --------\n"
               "Från: lagesbild-fas.dalarna@lansstyrelsen.se\nDatum: 3 nov 2026\nTill: anna.berg@mora.se\n"
               "Ämne: SV: Lägesbild oktober\n\n" + RECEIPT),
    build_mail(sender="anna.berg@mora.se", subject="SV: Lägesbild oktober", body=RECEIPT),
    build_mail(sender="anna.berg@mora.se", subject="SV: Lägesbild oktober", body="Tack!\n\n" + quoted(RECEIPT)),
])
def test_our_receipt_is_never_a_report(raw):
    record = parse(raw)
    assert record.kind in {"other", "auto_reply"} and record.answers == [] and record.quotes_receipt


@pytest.mark.parametrize("body", [
    RECEIPT,  # echoed whole by a responder that sets no Auto-Submitted
    "Hej!\n\nTack för ditt mejl till lagesbild-fas.dalarna@lansstyrelsen.se. Vi hittade ingen lägesbild i det, så det "
    "lämnas till en handläggare på Länsstyrelsen Dalarna som svarar dig om det behövs.\n\nDet här är ett automatiskt svar.\n",
])
def test_our_own_mail_echoed_back_is_an_automatic_reply(body):
    record = parse(build_mail(sender="info@foretag.se", subject="SV: Lägesbild oktober", body=body))
    assert (record.kind, record.answers) == ("auto_reply", [])


# -- 5. a reply in last month's thread --------------------------------------------------------


def test_month_of_a_reply_comes_from_the_new_report_not_the_quoted_subject():
    body = "Hej! Här kommer oktober.\n\nDen 3 okt. 2026 kl. 10:12 skrev lagesbild-fas.dalarna@lansstyrelsen.se:\n> Lägesbild september\n"
    record = parse(build_mail(sender="anna.berg@mora.se", subject="SV: Lägesbild september", body=body, date=NOV3,
                              attachments=[("rapport.pdf", report_pdf("Mora", "oktober"), PDF)]))
    assert (record.period, record.period_source) == ("2026-10", "heading")
    assert "period_conflict" not in codes(record) and not record.partial


def test_a_reply_without_any_month_uses_the_date_sent_not_the_quoted_subject():
    body = template_text() + "\n\nDen 3 okt. 2026 kl. 10:12 skrev x@lansstyrelsen.se:\n> Lägesbild september\n"
    record = parse(build_mail(sender="anna.berg@mora.se", subject="SV: Lägesbild september", body=body, date=NOV3))
    assert (record.period, record.period_source) == ("2026-10", "sent_date")


def test_html_receipt_quoted_back_with_one_value_changed():
    rows = "".join(f"<tr><td>{n}. {t}</td><td>{r}</td></tr>" for n, t, r in [
        (1, "Ordningsstörningar och otrygghet", "1 (Normalt)"), (2, "Hot och våld", "4 (Allvarligt)"),
        (3, "Extremism och kriminella nätverk", "1 (Normalt)")])
    changed = rows.replace("4 (Allvarligt)", "2 (Avvikande)")
    html = (f"<p>Hej, rättat nedan.</p><table>{changed}</table>"
            f"<blockquote><p>Så här uppfattade vi rapporten:</p><table>{rows}</table>"
            "<p>Det här är ett automatiskt svar från lagesbild-fas.dalarna@lansstyrelsen.se.</p></blockquote>")
    record = parse(build_mail(sender="anna.berg@mora.se", subject="SV: Lägesbild oktober", body=None, html=html,
                              date=NOV3, headers={"In-Reply-To": "<r@lansstyrelsen.se>"}))
    assert record.partial and [(a.question, a.score, a.text) for a in record.answers] == [(2, 2, None)]


def test_a_long_line_of_spaces_is_read_quickly():
    import time
    line = "1. Hot och våld" + " " * 200_000 + "x\t"
    start = time.perf_counter()
    record = parse(reply(line))
    assert time.perf_counter() - start < 2 and record.kind in {"report", "other"}


def test_a_late_correction_is_for_the_month_its_receipt_counted():
    raw = reply("Påverkan på fråga 2 är 3.")
    late = raw.replace(b"Date: Tue, 03 Nov 2026", b"Date: Thu, 03 Dec 2026")
    assert late != raw
    record = parse(late)
    assert (record.period, record.period_source, record.partial) == ("2026-10", "receipt", True)


def test_three_questions_filled_again_in_a_reply_are_a_partial_not_a_full_report():
    text = "\n\n".join(f"Fråga {n}, {t}:\nNytt svar {n}.\nPåverkan: 3" for n, t in [
        (1, "Ordningsstörningar och otrygghet"), (2, "Hot och våld"), (4, "Ungdomar/skolor")])
    record = parse(reply(text))
    assert record.partial and [a.question for a in record.answers] == [1, 2, 4]
    assert "missing_answer" not in codes(record)


@pytest.mark.parametrize("subject, body", [
    ("Rättelse lägesbild oktober", "Hej! Fråga 2 ska vara 3, inte 4.\nMvh Anna\n"),
    ("Ändring", "Påverkansgraden för fråga 6 är Oroande.\n"),
])
def test_a_phrased_correction_needs_no_thread(subject, body):
    record = parse(build_mail(sender="anna.berg@mora.se", subject=subject, body=body, date=NOV3))
    assert record.kind == "report" and record.partial and len(record.answers) == 1
    assert record.answers[0].text is None and (record.answers[0].score or 0) == 3


def test_a_rating_raised_by_correction_fires_the_rating_rule():
    record = parse(reply("Påverkan på fråga 5 är 5."))
    assert [a.score for a in record.answers] == [5] and any(s.question == 5 for s in record.signals)


TITLES = ["Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk", "Ungdomar/skolor",
          "Alkohol, narkotika, doping och tobak", "Övrigt", "Positiva åtgärder eller händelser"]


@pytest.mark.parametrize("leader", [" ........ {}", " {}", "\t\tsid. {}"])
def test_a_long_document_with_contents_finds_the_template_at_the_end(leader):
    contents = ["Trygghetsrapport Mora 2026", "Innehåll"] + [
        f"{n}. {t}" + leader.format(10 + n) for n, t in enumerate(TITLES, 1)]
    chapters = [[f"Kapitel {p}: Statistik", "Anmälda brott per 1000 invånare.", "Narkotikabrott: 12 st"] for p in range(20)]
    template = [line for line in template_lines("Mora", "oktober")  # q2 unrated, q7 missing: lighter than the contents
                if not line.startswith(("Påverkan: 3", "Fråga 7", "Kommentar: Fritids"))]
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober",
                              attachments=[("rapport.pdf", text_pdf([contents] + chapters + [template]), PDF)]))
    assert (record.kind, record.period, len(record.reports)) == ("report", "2026-10", 1)
    assert all(a.text.startswith(("Skadegörelse", "Fritidsgården")) for a in record.answers)
    assert [(p.code, p.question) for p in record.problems] == [("missing_score", 2), ("missing_answer", 7)]


def test_two_municipalities_reports_in_one_mail_are_both_read():
    raw = build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", date=NOV3, attachments=[
        ("orsa.pdf", report_pdf("Orsa", "oktober"), PDF), ("mora.pdf", report_pdf("Mora", "oktober"), PDF)])
    record = parse(raw)
    assert [(r.municipality, r.named_municipality, r.primary) for r in record.reports] == [
        ("Mora", None, True), ("Mora", "Orsa", False)]
    assert "municipality_conflict" in {p.code for p in record.reports[1].problems}
    assert "municipality_conflict" not in codes(record)
    assert "(Mora, oktober 2026 och Orsa, oktober 2026)" in record.notes[0]


def test_message_ids_are_bounded():
    ids = " ".join(f"<m{n}@x.se>" for n in range(500))
    record = parse(build_mail(sender="anna.berg@mora.se", body="Hej", headers={"References": ids, "In-Reply-To": "<a@b> junk"}))
    assert len(record.references) == 50 and record.references[0] == "<m0@x.se>" and record.in_reply_to == ["<a@b>"]


def test_a_terse_full_report_keeps_its_question_lines():
    # "Fråga 2: Påverkan 3" is also a correction's phrase; in a full report it is a heading with its rating.
    body = "\n".join(f"Fråga {n}: Påverkan 2\nLugnt i område {n}." for n in range(1, 7)) + "\nFråga 7:\nNattvandring."
    record = parse(build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", body=body, date=NOV3))
    assert not record.partial and [(a.score, a.text) for a in record.answers][:2] == [
        (2, "Lugnt i område 1."), (2, "Lugnt i område 2.")]
