"""Writes the sample mails under tests/samples/<category>/ with their expected results.

Run `python -m tests.samples.generate [PREFIX]` from the repository root
after changing a case (PREFIX, e.g. "trust/", writes only those cases). Each case is NAME.eml plus NAME.expected.json in the format
of the project's acceptance samples: only the fields present are checked
(see tests/expected.py). Raw-byte cases (broken MIME) are written as is.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from tests.mailbuilder import DOCX_TYPE, build_mail, template_text

HERE = Path(__file__).resolve().parent
CET = timezone(timedelta(hours=1))
NOV3 = datetime(2026, 11, 3, 9, 12, tzinfo=CET)

TITLES = [
    "Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
    "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt", "Positiva åtgärder eller händelser",
]
ANSWERS = [
    "Inbrott i två förråd på Norra berget.", "Hot mot en ordningsvakt vid resecentrum.",
    "Inga kända händelser.", "Bråk vid högstadieskolan under lunchrasten.",
    "Inget nytt under perioden.", "Kommande marknad i centrum.", "Nattvandring varje fredag.",
]

CASES: dict[str, tuple[bytes, dict]] = {}


def case(category: str, name: str, raw: bytes, **expected) -> None:
    CASES[f"{category}/{name}"] = (raw, {"case": name, **expected})


def answers(scores, colors=None, texts=ANSWERS):
    colors = colors or [None] * 7
    out = {}
    for n in range(1, 8):
        out[str(n)] = {"score": scores[n - 1] if n <= 6 else None,
                       "color": colors[n - 1] if n <= 6 else None,
                       "text_contains": [texts[n - 1]]}
    return out


def reminder_quote() -> str:
    lines = ["", "Från: Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>",
             "Skickat: den 2 november 2026 08:00", "Till: Anna Berg <anna.berg@rattvik.se>",
             "Ämne: Påminnelse: lägesbild oktober", "",
             "Hej! Vi har ännu inte fått er lägesbild för oktober. Frågorna är:"]
    lines += [f"Fråga {n}, {t}:" for n, t in enumerate(TITLES, 1)]
    lines += ["Påverkan: 1-5", "Kommentar:"]
    return "\n".join(lines)


def html_table(rows) -> str:
    cells = "".join(
        "<tr>" + "".join(f'<td style="border:solid windowtext 1.0pt;{style}"><p class=MsoNormal>{text}<o:p></o:p></p></td>'
                         for text, style in row) + "</tr>" for row in rows)
    return ("<html><head><style>p.MsoNormal{margin:0cm}</style></head><body lang=SV>"
            "<div class=WordSection1><p class=MsoNormal>Hej,<o:p></o:p></p>"
            "<p class=MsoNormal>här är lägesbilden för oktober.<o:p></o:p></p>"
            f"<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>{cells}</table>"
            "<p class=MsoNormal>Med vänlig hälsning<o:p></o:p></p><p class=MsoNormal>Falu kommun</p></div></body></html>")


def build() -> None:
    scores = [2, 3, 1, 3, 1, 2]
    body = "Hej!\n\n" + template_text(scores=scores, answers=ANSWERS).replace("Mora", "Mora") + "\nMed vänlig hälsning\nAnna Berg\nMora kommun\n"
    case("reports", "body-plain-mora", build_mail(body=body, date=NOV3),
         kind="report", municipality="Mora", period="2026-10", source_kind="body",
         answers=answers(scores), problems_absent=["missing_score", "missing_answer", "unknown_sender"])

    rows = [[("Fråga", ""), ("Svar", ""), ("Påverkan", "")]]
    levels = ["Normalt", "Oroande", "2", "Allvarligt", "1", "Avvikande"]
    for n in range(1, 7):
        rows.append([(f"{n}. {TITLES[n - 1]}", ""), (ANSWERS[n - 1], ""), (levels[n - 1], "")])
    rows.append([("7. " + TITLES[6], ""), (ANSWERS[6], ""), ("", "")])
    case("reports", "body-html-table-falun",
         build_mail(sender="Erik Lund <erik.lund@falun.se>", subject="Lägesbild oktober 2026", body=None,
                    html=html_table(rows), date=NOV3),
         kind="report", municipality="Falun", period="2026-10", source_kind="body",
         answers=answers([1, 3, 2, 4, 1, 2]), problems_absent=["missing_score", "missing_answer"])

    rows = [[(f"{n}. {TITLES[n - 1]}", ""), (ANSWERS[n - 1], ""),
             ("", f"background:{c}")] for n, c in zip(range(1, 7), ["#00B050", "#FFFF00", "#00B050", "#FF0000", "#00B050", "#FFFF00"], strict=True)]
    rows.append([("7. " + TITLES[6], ""), (ANSWERS[6], ""), ("", "")])
    case("reports", "body-html-shaded-cells-ludvika",
         build_mail(sender="Karin Ek <karin.ek@ludvika.se>", subject="Lägesrapportering oktober",
                    body=None, html=html_table(rows), date=NOV3),
         kind="report", municipality="Ludvika", period="2026-10", source_kind="body",
         answers=answers([None] * 6, ["grön", "gul", "grön", "röd", "grön", "gul"]))

    colors = ["Gult", "grön", "RÖTT", "Grönt", "Gul", "Grön"]
    lines = ["Mall för lägesrapportering - Sociala risker oktober månad", ""]
    for n in range(1, 8):
        lines += [f"{n}. {TITLES[n - 1]}", f"• {ANSWERS[n - 1]}", "• Polisen informerad"]
        if n <= 6:
            lines.append(f"Sammanställd bedömning: {colors[n - 1]}")
        lines += ["Kommentar/åtgärd: Följs upp i BRÅ.", ""]
    case("reports", "body-traffic-light-ludvika",
         build_mail(sender="Karin Ek <karin.ek@ludvika.se>", subject="Lägesrapport", body="\n".join(lines), date=NOV3),
         kind="report", municipality="Ludvika", period="2026-10", source_kind="body",
         answers=answers([None] * 6, ["gul", "grön", "röd", "grön", "gul", "grön"]))

    body = "Hej, här kommer vår rapport.\n\n" + template_text(scores=scores).replace("Mora", "Rättvik") + "\nHälsningar Anna\n" + reminder_quote()
    case("reports", "reply-above-quoted-reminder-rattvik",
         build_mail(sender="Anna Berg <anna.berg@rattvik.se>", subject="SV: Påminnelse: lägesbild oktober", body=body, date=NOV3),
         kind="report", municipality="Rättvik", period="2026-10", source_kind="body",
         answers={"1": {"score": 2, "color": None, "text_contains": ["Svar på fråga 1."]}},
         problems_absent=["missing_score"])

    inner = template_text(scores=scores, answers=ANSWERS).replace("Mora", "Borlänge")
    body = ("Hej, vidarebefordrar vår rapport som Per skrev.\n\n"
            "-----Ursprungligt meddelande-----\nFrån: Per Holm <per.holm@borlange.se>\n"
            "Skickat: den 2 november 2026 16:40\nTill: Lisa Ståhl <lisa.stahl@borlange.se>\n"
            "Ämne: Lägesbild oktober\n\n" + inner)
    case("reports", "forwarded-body-borlange",
         build_mail(sender="Lisa Ståhl <lisa.stahl@borlange.se>", subject="VB: Lägesbild oktober", body=body, date=NOV3),
         kind="report", municipality="Borlänge", period="2026-10", source_kind="body", answers=answers(scores))

    body = template_text(scores=scores).replace("Mora", "Älvdalen")
    case("reports", "unknown-sender-alvdalen",
         build_mail(sender="Sara Nord <sara.nord.privat@gmail.com>", subject="Lägesbild oktober", body=body, date=NOV3),
         kind="report", municipality="Älvdalen", period="2026-10", problems_present=["unknown_sender"])

    texts = list(ANSWERS)
    texts[1] = "Elev med personnummer 850709-9805 hotade personal. Dnr 2026-1234."
    body = template_text(scores=scores, answers=texts).replace("Mora", "Hedemora")
    case("reports", "personal-data-hedemora",
         build_mail(sender="Olle Dahl <olle.dahl@hedemora.se>", subject="Lägesbild oktober", body=body, date=NOV3),
         kind="report", municipality="Hedemora", problems_present=["personal_data"])

    body = template_text(scores=[7, 2, None, 1, 1, 1]).replace("Mora", "Orsa")
    case("reports", "invalid-and-missing-score-orsa",
         build_mail(sender="Magnus Lind <magnus.lind@orsa.se>", subject="Lägesbild oktober", body=body, date=NOV3),
         kind="report", municipality="Orsa", problems_present=["invalid_score", "missing_score"],
         answers={"1": {"score": None, "color": None}, "3": {"score": None, "color": None},
                  "2": {"score": 2, "color": None}})

    body = template_text(scores=scores).replace("Mora", "Säter")
    case("reports", "no-month-written-sater",
         build_mail(sender="Ulla Kvist <ulla.kvist@sater.se>", subject="Lägesbild", body="Hej!\n" + body,
                    date=datetime(2026, 11, 3, 15, 0, tzinfo=CET)),
         kind="report", municipality="Säter", period="2026-10")

    body = template_text(scores=scores, rating_label="Påverkan: {} (named)").replace("Mora", "Gagnef")
    named = {1: "1 (Normalt)", 2: "Avvikande", 3: "3 (Oroande)", 4: "Allvarligt", 5: "5 - Kritiskt", 6: "Normalt"}
    for n, value in named.items():
        body = body.replace(f"Påverkan: {scores[n - 1]} (named)", f"Påverkan: {value}", 1)
    case("reports", "named-levels-gagnef",
         build_mail(sender="Maja Moberg <maja.moberg@gagnef.se>", subject="Lägesbild okt 2026", body=body, date=NOV3),
         kind="report", municipality="Gagnef", period="2026-10", answers=answers([1, 2, 3, 4, 5, 1], texts=[f"Svar på fråga {n}." for n in range(1, 8)]))

    case("other", "human-question-mora",
         build_mail(subject="Fråga om rapporten", body="Hej! När ska oktober-rapporten vara inne?\n\nHälsningar Anna\nMora kommun\n", date=NOV3),
         kind="other", municipality="Mora", problems_present=["no_report"])

    case("broken", "not-mail-at-all", b"\x00\x01\x02 this is not a mail \xff\xfe",
         kind="other", problems_present=["no_report"])
    case("broken", "truncated-mime",
         b"From: anna.berg@mora.se\r\nSubject: =?utf-8?q?L=C3=A4gesbild_oktober?=\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: base64\r\n\r\nSGVqIQpIw6RyIGtvbW1lciBs",
         kind="other", municipality="Mora")
    case("broken", "unknown-charset-8bit-headers",
         ("From: Anna Berg <anna.berg@mora.se>\r\nSubject: Lägesbild oktober\r\nMIME-Version: 1.0\r\n"
          "Content-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: 8bit\r\n"
          "Date: Tue, 3 Nov 2026 09:00:00 +0100\r\n\r\n" + template_text(scores=scores)).encode("utf-8"),
         kind="report", municipality="Mora", period="2026-10",
         answers={"1": {"score": 2, "color": None, "text_contains": ["Svar på fråga 1."]}})


def docx_report(municipality: str, scores, style: str = "paragraphs") -> bytes:
    """The Dalarna template as Word, in one of the layouts municipalities use."""
    from tests.docx_factory import block_sdt, cell, checkbox, legacy_checkbox, make_docx, p, run, sdt

    body = ["Mall för lägesbildsinsamling - Sociala risker, oktober månad",
            f"Underlaget inlämnat av kommun: {municipality}", "Redogör kort under varje fråga:"]
    for n in range(1, 8):
        heading = f"Fråga {n}, {TITLES[n - 1]}:"
        score = scores[n - 1] if n <= 6 else None
        if style == "paragraphs":
            body += [heading, ANSWERS[n - 1]] + ([f"Påverkan: {score}"] if n <= 6 else []) + ["Kommentar: Följs upp."]
        elif style == "content_controls":
            body += [heading, block_sdt(ANSWERS[n - 1])]
            if n <= 6:
                body.append(p("Påverkan: ", sdt(str(score))))
        elif style == "checkboxes":
            body += [heading, ANSWERS[n - 1]]
            if n <= 6:
                parts = ["Påverkan: "]
                for value in range(1, 6):
                    parts += [checkbox(value == score), run(f"{value} ")]
                body.append(p(*parts))
        elif style == "legacy_checkboxes":
            body += [heading, ANSWERS[n - 1]]
            if n <= 6:
                parts = ["Påverkan: "]
                for value in range(1, 6):
                    parts += [legacy_checkbox("<w:checked/>" if value == score else ""), run(f" {value}  ")]
                body.append(p(*parts))
        elif style == "table":
            row = [cell(heading), cell(ANSWERS[n - 1], "Kommentar: Följs upp.")]
            row.append(cell(str(score)) if n <= 6 else cell(""))
            body.append([["Fråga", "Svar", "Påverkan (1-5)"], row] if n == 1 else [row])
        elif style == "traffic_cells":
            fills = {"grön": "00B050", "gul": "FFFF00", "röd": "FF0000"}
            row = [cell(f"{n}. {TITLES[n - 1]}"), cell(ANSWERS[n - 1])]
            row.append(cell(fill=fills[score]) if n <= 6 else cell(""))
            body.append([row])
    return make_docx(body, header=[f"{municipality} kommun"])


def build_attachments() -> None:
    from tests.docx_factory import make_docx, make_zip
    from tests.pdf_factory import encrypted_pdf, image_only_pdf, template_pdf

    scores = [2, 3, 1, 4, 1, 2]
    expected_answers = answers(scores)
    for style, name, address in [
        ("paragraphs", "Mora", "anna.berg@mora.se"), ("content_controls", "Orsa", "magnus.lind@orsa.se"),
        ("checkboxes", "Leksand", "lena.rosen@leksand.se"), ("legacy_checkboxes", "Vansbro", "per.ek@vansbro.se"),
        ("table", "Falun", "erik.lund@falun.se"),
    ]:
        filename = f"Lägesbild oktober {name}.docx"
        case("attachments", f"docx-{style.replace('_', '-')}-{name.lower()}",
             build_mail(sender=address, subject=f"Lägesbild oktober {name}",
                        attachments=[(filename, docx_report(name, scores, style), DOCX_TYPE)], date=NOV3),
             kind="report", municipality=name, period="2026-10", source_kind="attachment", source_name=filename,
             answers=expected_answers, problems_absent=["missing_score", "missing_answer", "invalid_score"])

    colors = ["grön", "gul", "grön", "röd", "grön", "gul"]
    case("attachments", "docx-shaded-cells-ludvika",
         build_mail(sender="karin.ek@ludvika.se", subject="Lägesrapportering oktober",
                    attachments=[("Lägesrapport.docx", docx_report("Ludvika", colors, "traffic_cells"), DOCX_TYPE)], date=NOV3),
         kind="report", municipality="Ludvika", period="2026-10", answers=answers([None] * 6, colors))

    report = docx_report("Gagnef", scores)
    logo = b"\x89PNG\r\n\x1a\n" + bytes(200)
    agenda = make_docx(["Dagordning BRÅ-möte 12 november", "1. Mötets öppnande", "2. Lägesbild"])
    case("attachments", "docx-with-pdf-twin-logo-and-agenda-gagnef",
         build_mail(sender="maja.moberg@gagnef.se", subject="Lägesbild oktober",
                    attachments=[("image001.png", logo, ("image", "png")),
                                 ("Dagordning.docx", agenda, DOCX_TYPE),
                                 ("Lägesbild oktober.pdf", template_pdf("Gagnef"), ("application", "pdf")),
                                 ("Lägesbild oktober.docx", report, DOCX_TYPE)], date=NOV3),
         kind="report", municipality="Gagnef", source_kind="attachment", source_name="Lägesbild oktober.docx",
         answers=expected_answers)

    case("attachments", "pdf-declared-as-octet-stream-hedemora",
         build_mail(sender="olle.dahl@hedemora.se", subject="Lägesbild oktober",
                    attachments=[("rapport", template_pdf("Hedemora"), ("application", "octet-stream"))], date=NOV3),
         kind="report", municipality="Hedemora", period="2026-10", source_kind="attachment")

    case("attachments", "pdf-encrypted-avesta",
         build_mail(sender="tobias.rosen@avesta.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.pdf", encrypted_pdf(["Fråga 1, Ordningsstörningar:"], "hemligt"),
                                  ("application", "pdf"))], date=NOV3),
         kind="report", municipality="Avesta", period="2026-10", problems_present=["unreadable_attachment"])

    case("attachments", "pdf-scanned-mora",
         build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober",
                    attachments=[("Skanning.pdf", image_only_pdf(), ("application", "pdf"))], date=NOV3),
         kind="report", municipality="Mora", problems_present=["unreadable_attachment"])

    bomb = make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document>" + b"A" * (60 * 1024 * 1024)})
    case("attachments", "docx-zip-bomb-falun",
         build_mail(sender="erik.lund@falun.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.docx", bomb, DOCX_TYPE)], date=NOV3),
         kind="report", municipality="Falun", problems_present=["unreadable_attachment"])

    case("attachments", "docm-with-macros-borlange",
         build_mail(sender="lisa.stahl@borlange.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.docm", docx_report("Borlänge", scores), ("application", "vnd.ms-word.document.macroEnabled.12"))], date=NOV3),
         kind="report", municipality="Borlänge", answers=expected_answers)

    from tests.docx_factory import make_doc, make_odt

    text = template_text(scores=scores, answers=ANSWERS).replace("Mora", "Rättvik")
    case("attachments", "doc-word97-rattvik",
         build_mail(sender="anna.berg@rattvik.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.doc", make_doc(text.replace("\n", "\r") + "\r"), ("application", "msword"))], date=NOV3),
         kind="report", municipality="Rättvik", period="2026-10", source_name="Lägesbild.doc", answers=expected_answers)
    odt_body = "".join(f"<text:p>{escape(line)}</text:p>" for line in text.replace("Rättvik", "Älvdalen").splitlines())
    case("attachments", "odt-libreoffice-alvdalen",
         build_mail(sender="sara.nord@alvdalen.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.odt", make_odt(odt_body), ("application", "vnd.oasis.opendocument.text"))], date=NOV3),
         kind="report", municipality="Älvdalen", source_name="Lägesbild.odt", answers=expected_answers)
    from tests.docx_factory import make_ole  # Excel 97-2003 (.xls) that is damaged: explained, nothing guessed

    case("attachments", "excel-damaged-mora",
         build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.xls", make_ole({"Workbook": b"\x09\x08" + bytes(200)}), ("application", "vnd.ms-excel"))], date=NOV3),
         kind="report", municipality="Mora", problems_present=["unreadable_attachment"])

    inner = build_mail(sender="per.holm@smedjebacken.se", subject="Lägesbild oktober",
                       attachments=[("Lägesbild.docx", docx_report("Smedjebacken", scores), DOCX_TYPE)], date=NOV3)
    case("attachments", "forwarded-as-attached-mail-smedjebacken",
         build_mail(sender="eva.lund@smedjebacken.se", subject="VB: Lägesbild oktober",
                    body="Hej, vidarebefordrar Pers rapport.\n",
                    attachments=[("Lägesbild oktober.eml", inner, ("message", "rfc822"))], date=NOV3),
         kind="report", municipality="Smedjebacken", period="2026-10", answers=expected_answers)


def build_hostile() -> None:
    """Broken and hostile mail: each must end with a record and a clear problem, never a crash."""
    scores = [2, 3, 1, 4, 1, 2]
    inner = build_mail(body=template_text(scores=scores), date=NOV3)
    for _ in range(10):  # a report forwarded ten levels deep
        inner = build_mail(subject="VB: Lägesbild oktober", body="Vidarebefordrar.\n", date=NOV3,
                           attachments=[("vidarebefordrat.eml", inner, ("message", "rfc822"))])
    case("broken", "nested-rfc822-ten-levels", inner, kind="other", municipality="Mora", problems_present=["no_report"])

    html = ("<html><head><script>alert('x')</script><style>p{}</style></head><body onload=\"steal()\">"
            + "".join(f"<p>{line}</p>" for line in template_text(scores=scores).splitlines())
            + "<script>document.write('Fråga 1, Ordningsstörningar: Påverkan: 5')</script></body></html>")
    case("broken", "html-with-scripts", build_mail(body=None, html=html, date=NOV3),
         kind="report", municipality="Mora", answers={"1": {"score": 2, "color": None, "text_contains": ["Svar på fråga 1."]}})

    case("broken", "missing-closing-boundary",
         (b"From: anna.berg@mora.se\r\nSubject: L\xc3\xa4gesbild oktober\r\nDate: Tue, 3 Nov 2026 09:00:00 +0100\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
          b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + template_text(scores=scores).encode("utf-8")),
         kind="report", municipality="Mora", period="2026-10",
         answers={"4": {"score": 4, "color": None, "text_contains": ["Svar på fråga 4."]}})


def build_trust() -> None:
    """Issue 13 "Trust the record" and the structure cases of issue 16 (parser side)."""
    from tests.docx_factory import make_docx
    from tests.pdf_factory import image_only_pdf, template_lines, text_pdf

    dec3 = datetime(2026, 12, 3, 9, 0, tzinfo=CET)
    pdf = ("application", "pdf")

    def report_docx(municipality: str, month: str, scores, q5: str) -> bytes:
        body = [f"Mall för lägesbildsinsamling - Sociala risker, {month} månad", f"Underlaget inlämnat av kommun: {municipality}"]
        for n, title in enumerate(TITLES, 1):
            body += [f"Fråga {n}, {title}:", q5 if n == 5 else ANSWERS[n - 1]] + ([f"Påverkan: {scores[n - 1]}"] if n <= 6 else [])
        return make_docx(body)

    case("trust", "period-heading-outranks-subject-mora",
         build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", body="Hej!\n", date=dec3,
                    attachments=[("Lägesbild.pdf", text_pdf([template_lines("Mora", "november")]), pdf)]),
         kind="report", municipality="Mora", period="2026-11", problems_present=["period_conflict"])
    case("trust", "municipality-stated-in-text-differs-mora",
         build_mail(sender="anna.berg@mora.se", subject="Lägesbild oktober", date=NOV3,
                    body=template_text().replace("kommun: Mora", "kommun: Orsa")),
         kind="report", municipality="Mora", period="2026-10", problems_present=["municipality_conflict"])
    case("trust", "joint-report-mora-orsa",
         build_mail(sender="anna.berg@mora.se", subject="Lägesbild Mora och Orsa oktober", date=NOV3, body=template_text()),
         kind="report", period="2026-10", problems_present=["joint_report"])
    case("trust", "two-months-attached-falun",
         build_mail(sender="erik.lund@falun.se", subject="Lägesbild", date=NOV3,
                    body="Hej! Septemberrapporten kom med av misstag, oktober är den som gäller.\n", attachments=[
                        ("Lägesbild september.docx", report_docx("Falun", "september", (1,) * 6, "Lugnt."), DOCX_TYPE),
                        ("Lägesbild oktober.docx", report_docx("Falun", "oktober", (4,) * 6,
                                                               "Ökad droghandel vid resecentrum."), DOCX_TYPE)]),
         kind="report", municipality="Falun", period="2026-10", source_kind="attachment",
         source_name="Lägesbild oktober.docx", answers={"5": {"score": 4, "text_contains": ["droghandel"]}},
         signals_present=["narkotika"])
    body = ("Lägesbild oktober\n" + template_text(scores=(3,) * 6).replace("Mora", "Leksand")
            + "\nLägesbild september\n" + template_text(answers=[f"September {n}." for n in range(1, 8)]).replace("Mora", "Leksand"))
    case("trust", "two-months-in-one-body-leksand",
         build_mail(sender="lena@leksand.se", subject="Lägesbilder", date=NOV3, body=body),
         kind="report", municipality="Leksand", period="2026-10",
         answers={"7": {"score": None, "text_contains": ["Svar på fråga 7."]}}, signals_absent=["narkotika"])
    receipt = "\n".join("> " + line for line in (
        "Tack för lägesbilden. Vi har tagit emot den och räknat den för Rättvik, oktober 2026.", "",
        "Så här uppfattade vi rapporten:", "",
        "1. Ordningsstörningar och otrygghet           1 (Normalt)",
        "2. Hot och våld                               4 (Allvarligt)", "",
        "Det här är ett automatiskt svar från lagesbild-fas.dalarna@lansstyrelsen.se."))
    case("trust", "correction-by-reply-rattvik",
         build_mail(sender="anna.berg@rattvik.se", subject="SV: Lägesbild oktober", date=dec3,
                    body="Hej! Påverkan på fråga 2 är 3, inte 4.\nMvh Anna\n\n"
                         "Den 3 nov. 2026 kl. 10:12 skrev lagesbild-fas.dalarna@lansstyrelsen.se:\n" + receipt + "\n",
                    headers={"In-Reply-To": "<receipt-17@lansstyrelsen.se>"}),
         kind="report", municipality="Rättvik", period="2026-10", answers={"2": {"score": 3}},
         problems_absent=["missing_answer", "missing_score", "no_report"])
    pages = [[f"Enquete transport regional - page {p}"]
             + [f"Question {n}: Quelle est la frequence de vos deplacements ({p}.{n}) ?" for n in range(1, 8)]
             for p in range(1, 66)]
    case("trust", "survey-with-numbered-questions-mora",
         build_mail(sender="anna.berg@mora.se", subject="Enquete mobilite", body="Bonjour, voir piece jointe.\n",
                    date=NOV3, attachments=[("enquete.pdf", text_pdf(pages), pdf)]),
         kind="other", problems_present=["no_report"])
    case("trust", "spam-with-scanned-invoice",
         build_mail(sender="billing@invoices-online.biz", subject="Invoice 4471", body="Please see the attached invoice.\n",
                    date=NOV3, attachments=[("scan0001.pdf", image_only_pdf(), pdf)]),
         kind="other", problems_absent=["unreadable_attachment"])
    case("trust", "reply-in-last-months-thread-gagnef",
         build_mail(sender="maja.moberg@gagnef.se", subject="SV: Lägesbild september", date=NOV3,
                    body="Hej! Här kommer nästa.\n\nDen 3 okt. 2026 kl. 10:12 skrev lagesbild-fas.dalarna@lansstyrelsen.se:\n"
                         "> Tack för lägesbilden. Vi har tagit emot den och räknat den för Gagnef, september 2026.\n",
                    attachments=[("rapport.pdf", text_pdf([template_lines("Gagnef", "oktober")]), pdf)]),
         kind="report", municipality="Gagnef", period="2026-10", problems_absent=["period_conflict"])


def ratings2_docx(municipality: str, ratings: list, after: list | None = None) -> bytes:
    """The template in Word with each rating paragraph given (Xml), and `after` the answers."""
    from tests.docx_factory import make_docx

    body: list = ["Mall för lägesbildsinsamling - Sociala risker, oktober månad",
                  f"Underlaget inlämnat av kommun: {municipality}"]
    for n in range(1, 8):
        body += [f"{n}. {TITLES[n - 1]}", ANSWERS[n - 1]]
        if n <= 6 and ratings[n - 1] is not None:
            body.append(ratings[n - 1])
        body.append("Kommentar: Följs upp.")
    return make_docx(body + (after or []), header=[f"{municipality} kommun"])


def build_ratings2() -> None:
    """Ratings as the second round of real reports wrote them (issue 16)."""
    from tests.docx_factory import cell, circle, marked, p, run, sdt
    from tests.pdf_factory import TABLE_ANSWERS, table_template_pdf

    scores = [3, 2, 4, 1, 5, 2]
    body = "Hej!\n\n" + template_text(scores=scores, answers=ANSWERS, style="numbered",
                                       rating_label="Bedömd påverkan: {} av 5").replace("Mora", "Mora")
    case("ratings2", "body-bedomd-paverkan-av-5-mora",
         build_mail(body=body.replace("Bedömd påverkan: 2 av 5", "Bedömd\u00a0påverkan:\u00a02\u00a0av\u00a05"),
                    date=NOV3),
         kind="report", municipality="Mora", period="2026-10", source_kind="body", answers=answers(scores),
         problems_absent=["missing_score", "invalid_score", "missing_answer"])

    def scale(chosen: int | None, **mark) -> object:
        parts: list = [marked("Påverkan: ", bold=True)]
        for n in range(1, 6):
            if chosen == n and mark.get("circle"):
                parts += [circle(), run(str(n))]
            elif chosen == n or (mark.get("also") == n):
                parts.append(marked(str(n), **{k: v for k, v in mark.items() if k not in ("circle", "also")}))
            else:
                parts.append(run(str(n)))
            parts.append(run(" "))
        return p(*parts)

    ratings = [scale(3, highlight="yellow"), scale(1, shade="92D050"), scale(4, bold=True),
               scale(2, circle=True), scale(None), scale(2, highlight="green", also=5)]
    name = "Lägesbild oktober Leksand.docx"
    case("ratings2", "docx-marked-scale-leksand",
         build_mail(sender="lena.rosen@leksand.se", subject="Lägesbild oktober Leksand",
                    attachments=[(name, ratings2_docx("Leksand", ratings), DOCX_TYPE)], date=NOV3),
         kind="report", municipality="Leksand", period="2026-10", source_kind="attachment", source_name=name,
         answers={**answers([3, 1, 4, 2, None, None]), "5": {"score": None, "color": None},
                  "6": {"score": None, "color": None}},
         problems_present=["missing_score", "invalid_score"])

    lights = ["🟢", "🟡 Gult", "🔴", "⚪ Grönt ⚪ Gult ● Rött", "🟩", "🟨"]
    lines = ["Mall för lägesrapportering - Sociala risker oktober månad", ""]
    for n in range(1, 8):
        lines += [f"{n}. {TITLES[n - 1]}", f"• {ANSWERS[n - 1]}"]
        if n <= 6:
            lines.append(f"Sammanställd bedömning: {lights[n - 1]}")
        lines += ["Kommentar/åtgärd: Följs upp i BRÅ.", ""]
    colors = ["grön", "gul", "röd", "röd", "grön", "gul"]
    case("ratings2", "body-emoji-traffic-light-ludvika",
         build_mail(sender="Karin Ek <karin.ek@ludvika.se>", subject="Lägesrapport oktober", body="\n".join(lines),
                    date=NOV3),
         kind="report", municipality="Ludvika", period="2026-10", source_kind="body",
         answers=answers([None] * 6, colors), problems_absent=["missing_score", "invalid_score"])

    ratings = [p(run("Påverkan: "), sdt("2")), p(run("Påverkan: "), sdt("Välj ett objekt.", placeholder=True)),
               p(run("Sammanställd bedömning: "), sdt("Välj färg")), p(run("Påverkan: "), sdt("1")),
               p(run("Påverkan: "), sdt("Välj ett objekt.")), p(run("Påverkan: "), sdt("3"))]
    name = "Lägesbild oktober.docx"
    case("ratings2", "docx-dropdown-placeholder-gagnef",
         build_mail(sender="Eva Lind <eva.lind@gagnef.se>", subject="Lägesbild oktober Gagnef",
                    attachments=[(name, ratings2_docx("Gagnef", ratings), DOCX_TYPE)], date=NOV3),
         kind="report", municipality="Gagnef", period="2026-10", source_kind="attachment",
         answers={"1": {"score": 2, "color": None}, "2": {"score": None, "color": None},
                  "4": {"score": 1, "color": None}, "6": {"score": 3, "color": None}},
         problems_present=["missing_score"], problems_absent=["invalid_score"])

    rows = [[cell("Fråga"), cell("Påverkan")]] + [
        [cell(f"{n}. {TITLES[n - 1]}"), cell(str(scores[n - 1]) if n <= 6 else "")] for n in range(1, 8)]
    texts = list(ANSWERS)
    texts[4] = "Inget nytt under perioden."
    name = "Lägesbild oktober Säter.docx"
    case("ratings2", "docx-summary-table-sater",
         build_mail(sender="Olof Berg <olof.berg@sater.se>", subject="Lägesbild oktober Säter",
                    attachments=[(name, ratings2_docx("Säter", [None] * 6,
                                                      ["Sammanfattning av bedömningar", rows]), DOCX_TYPE)],
                    date=NOV3),
         kind="report", municipality="Säter", period="2026-10", source_kind="attachment",
         answers=answers(scores, texts=texts), signals_absent=["narkotika", "extremism", "doping"],
         problems_absent=["missing_score", "invalid_score", "missing_answer"])

    name = "Lägesbild oktober Smedjebacken.pdf"
    pdf_answers = {str(n): {"score": s, "color": c, "text_contains": [TABLE_ANSWERS[n - 1]]}
                   for n, (s, c) in enumerate([(3, None), (2, None), (None, "gul"), (1, None), (4, None),
                                               (5, None), (None, None)], 1)}
    case("ratings2", "pdf-table-template-smedjebacken",
         build_mail(sender="Nils Ek <nils.ek@smedjebacken.se>", subject="Lägesbild oktober Smedjebacken",
                    attachments=[(name, table_template_pdf(["3", "2", "Gult", "1", "4", "5"]),
                                  ("application", "pdf"))], date=NOV3),
         kind="report", municipality="Smedjebacken", period="2026-10", source_kind="attachment", source_name=name,
         answers=pdf_answers, problems_absent=["missing_score", "invalid_score", "missing_answer"])
def build_containers() -> None:
    """Issue 16 "Containers": S/MIME, winmail.dat, zip, HCL Notes' octet-stream, Excel and RTF reports."""
    import io
    import zipfile

    from tests.container_factory import (
        mime_entity,
        notes_mail,
        rtf,
        smime_encrypted,
        smime_mail,
        smime_signed,
        tnef,
        xlsx,
    )

    scores = [2, 3, 1, 4, 1, 2]
    expected = answers(scores)
    clean = ["missing_score", "missing_answer", "invalid_score", "unreadable_attachment", "unsupported_format"]

    def report(name: str, address: str, raw: bytes, source_name: str | None = None, **more) -> None:
        municipality = more.pop("municipality")
        extra = {"source_name": source_name} if source_name else {}
        case("containers", name, raw, kind="report", municipality=municipality, period="2026-10",
             answers=more.pop("answers", expected), problems_absent=clean, **extra, **more)

    inner = mime_entity("Hej, här kommer lägesbilden.\n", [("Lägesbild oktober.docx", docx_report("Mora", scores), DOCX_TYPE)])
    report("smime-signed-docx-mora", "anna.berg@mora.se",
           smime_mail(smime_signed(inner), "signed-data", sender="Anna Berg <anna.berg@mora.se>"),
           "Lägesbild oktober.docx", municipality="Mora")
    text = template_text(scores=scores, answers=ANSWERS, municipality="Leksand")
    report("smime-signed-body-leksand", "lena.rosen@leksand.se",
           smime_mail(smime_signed(mime_entity("Hej!\n\n" + text)), "signed-data", sender="lena.rosen@leksand.se"),
           source_kind="body", municipality="Leksand")
    case("containers", "smime-encrypted-falun",
         smime_mail(smime_encrypted(inner), "enveloped-data", sender="erik.lund@falun.se"),
         kind="report", municipality="Falun", problems_present=["encrypted"])

    report("winmail-dat-docx-orsa", "magnus.lind@orsa.se",
           build_mail(sender="magnus.lind@orsa.se", subject="Lägesbild oktober",
                      attachments=[("winmail.dat", tnef([("Lägesbild oktober Orsa.docx", docx_report("Orsa", scores))]),
                                    ("application", "ms-tnef"))], date=NOV3),
           "Lägesbild oktober Orsa.docx", municipality="Orsa")

    def zipped(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    report("zip-docx-borlange", "lisa.stahl@borlange.se",
           build_mail(sender="lisa.stahl@borlange.se", subject="Lägesbild oktober",
                      attachments=[("Lägesbild.zip", zipped({"Lägesbild oktober/Lägesbild oktober.docx": docx_report("Borlänge", scores)}),
                                    ("application", "x-zip-compressed"))], date=NOV3),
           "Lägesbild oktober.docx", municipality="Borlänge")
    case("containers", "zip-bomb-hedemora",
         build_mail(sender="olle.dahl@hedemora.se", subject="Lägesbild oktober",
                    attachments=[("Lägesbild.zip", zipped({"Lägesbild.docx": bytes(60 * 1024 * 1024)}), ("application", "zip"))],
                    date=NOV3),
         kind="report", municipality="Hedemora", problems_present=["unreadable_attachment"])

    report("notes-octet-stream-no-disposition-avesta", "tobias.rosen@avesta.se",
           notes_mail("tobias.rosen@avesta.se", "Lagesbild oktober", docx_report("Avesta", scores), "Lagesbild oktober.docx"),
           "Lagesbild oktober.docx", municipality="Avesta")
    report("notes-octet-stream-no-name-sater", "karin.berg@sater.se",
           notes_mail("karin.berg@sater.se", "Lagesbild oktober", docx_report("Säter", scores), None),
           municipality="Säter")

    rows: list[list[object]] = [["Mall för lägesbildsinsamling - Sociala risker, oktober månad"],
                                ["Underlaget inlämnat av kommun: Gagnef"], ["Fråga", "Svar", "Påverkan (1-5)"]]
    rows += [[f"{n}. {TITLES[n - 1]}", ANSWERS[n - 1], scores[n - 1] if n <= 6 else None] for n in range(1, 8)]
    sheet = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    report("xlsx-table-gagnef", "maja.moberg@gagnef.se",
           build_mail(sender="maja.moberg@gagnef.se", subject="Lägesbild oktober",
                      attachments=[("Lägesbild oktober.xlsx", xlsx(rows), sheet)], date=NOV3),
           "Lägesbild oktober.xlsx", municipality="Gagnef")
    colors = ["grön", "gul", "grön", "röd", "grön", "gul"]
    fills = {"grön": "00B050", "gul": "FFFF00", "röd": "FF0000"}
    lights = [row[:2] + [None] if len(row) == 3 and isinstance(row[2], int) else row for row in rows]
    lights[0] = ["Mall för lägesrapportering - Sociala risker oktober månad"]
    lights[1] = ["Underlaget inlämnat av kommun: Ludvika"]
    report("xlsx-traffic-lights-ludvika", "karin.ek@ludvika.se",
           build_mail(sender="karin.ek@ludvika.se", subject="Lägesrapportering oktober",
                      attachments=[("Lägesrapport.xlsx", xlsx(lights, {(4 + n, 3): fills[c] for n, c in enumerate(colors)}), sheet)],
                      date=NOV3),
           municipality="Ludvika", answers=answers([None] * 6, colors))

    text = template_text(scores=scores, answers=ANSWERS, municipality="Rättvik")
    report("rtf-wordpad-rattvik", "anna.berg@rattvik.se",
           build_mail(sender="anna.berg@rattvik.se", subject="Lägesbild oktober",
                      attachments=[("Lägesbild.rtf", rtf(text.splitlines()), ("application", "rtf"))], date=NOV3),
           "Lägesbild.rtf", municipality="Rättvik")


def main(only: str | None = None) -> None:
    build()
    build_attachments()
    build_hostile()
    build_trust()
    build_ratings2()
    build_containers()
    for key, (raw, expected) in CASES.items():
        if only and not key.startswith(only):
            continue
        path = HERE / f"{key}.eml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        path.with_suffix(".expected.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {sum(1 for key in CASES if not only or key.startswith(only))} cases")


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else None)  # e.g. "trust/": write only those cases
