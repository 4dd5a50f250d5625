"""Writes tests/samples/ratings3/: the template pasted into an HTML mail, the rating marked.

Run `python -m tests.samples.generate_ratings3` from the repository root after
changing a case. Each mail is written the way its client writes it: Outlook
desktop (Word's "filtered medium" HTML, an iso-8859-1 text alternative that
has lost the marks), Outlook on the web, Gmail and Thunderbird. Each case is
NAME.eml plus NAME.expected.json (see tests/expected.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent / "ratings3"
CET = timezone(timedelta(hours=1))
MAILBOX = "Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>"

TITLES = [
    "Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
    "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt", "Positiva åtgärder eller händelser",
]


def mail(sender: str, subject: str, date: datetime, message_id: str, html: str, plain: str | None,
         headers: dict[str, str], plain_charset: str = "utf-8", cte: str = "quoted-printable") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for key, value in headers.items():
        msg[key] = value
    if plain is not None:
        msg.set_content(plain, charset=plain_charset, cte=cte)
        msg.add_alternative(html, subtype="html", charset=plain_charset, cte=cte)
    else:
        msg.set_content(html, subtype="html", charset=plain_charset, cte=cte)
    return bytes(msg)


def scale(chosen: set[int], mark: str, sep: str = " ") -> str:
    return sep.join(mark.format(n) if n in chosen else str(n) for n in range(1, 6))


def answers_expected(scores, texts, colors=None) -> dict:
    colors = colors or [None] * 7
    out = {}
    for n in range(1, 8):
        entry = {"score": scores[n - 1] if n <= 6 else None, "color": colors[n - 1] if n <= 6 else None}
        if texts[n - 1]:
            entry["text_contains"] = [texts[n - 1]]
        out[str(n)] = entry
    return out


# --- Outlook desktop: yellow highlight, one question left unmarked ----------------------

OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
\t{font-family:"Cambria Math";
\tpanose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
\t{font-family:Aptos;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0cm;
\tfont-size:12.0pt;
\tfont-family:"Aptos",sans-serif;
\tmso-ligatures:standardcontextual;
\tmso-fareast-language:EN-US;}
a:link, span.MsoHyperlink
\t{mso-style-priority:99;
\tcolor:#467886;
\ttext-decoration:underline;}
span.E-postmall17
\t{mso-style-type:personal-compose;
\tfont-family:"Aptos",sans-serif;
\tcolor:windowtext;}
.MsoChpDefault
\t{mso-style-type:export-only;
\tfont-size:10.0pt;
\tmso-fareast-language:EN-US;}
@page WordSection1
\t{size:612.0pt 792.0pt;
\tmargin:70.85pt 70.85pt 70.85pt 70.85pt;}
div.WordSection1
\t{page:WordSection1;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]-->
</head>
<body lang="SV" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""
OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"
OUTLOOK_HIGHLIGHT = "<span style='background:yellow;mso-highlight:yellow'>{}</span>"


def outlook_p(inner: str) -> str:
    return f'<p class="MsoNormal">{inner}<o:p></o:p></p>\n'


def outlook_highlight_falun() -> tuple[bytes, dict]:
    answers = ["Skadegörelse på busshållplatser längs Kopparvägen under helgerna.",
               "Hot mot personal på biblioteket vid två tillfällen.",
               "Inga kända händelser under perioden.",
               "Oro för narkotikaförsäljning vid skolgården enligt elevhälsan.",
               "Inget nytt att rapportera.",
               "Lucia och julmarknad planeras i centrum.",
               "Trygghetsvandring med föreningar i Norslund."]
    chosen = [3, 2, 1, 4, None, 2]
    html, plain = [outlook_p("Hej,"), outlook_p("&nbsp;"),
                   outlook_p("här kommer Faluns lägesbild för oktober. Vi har markerat bedömningen i skalan."),
                   outlook_p("&nbsp;"), outlook_p("Underlaget inlämnat av kommun: Falun"), outlook_p("&nbsp;")], []
    plain += ["Hej,", "", "här kommer Faluns lägesbild för oktober. Vi har markerat bedömningen i skalan.", "",
              "Underlaget inlämnat av kommun: Falun", ""]
    for n, title in enumerate(TITLES, start=1):
        html.append(outlook_p(f"<b>Fråga {n}, {escape(title)}:<span style='color:black'></span></b>"))
        html.append(outlook_p(escape(answers[n - 1])))
        plain += [f"Fråga {n}, {title}:", answers[n - 1]]
        if n <= 6:
            marked = {chosen[n - 1]} if chosen[n - 1] else set()
            html.append(outlook_p("Påverkan (1–5):&nbsp;&nbsp; " + scale(marked, OUTLOOK_HIGHLIGHT, "&nbsp;&nbsp; ")))
            plain.append("Påverkan (1–5):   1   2   3   4   5")
        html.append(outlook_p("Kommentar:"))
        html.append(outlook_p("&nbsp;"))
        plain += ["Kommentar:", ""]
    html += [outlook_p("Med vänlig hälsning"), outlook_p("&nbsp;"),
             outlook_p("<b><span style='color:#1F3864'>Sara Nyberg</span></b>"),
             outlook_p("<span style='font-size:10.0pt;color:#1F3864'>Säkerhetssamordnare, Falu kommun</span>")]
    plain += ["Med vänlig hälsning", "", "Sara Nyberg", "Säkerhetssamordnare, Falu kommun", ""]
    raw = mail("Sara Nyberg <sara.nyberg@falun.se>", "Lägesbild oktober 2026 – Falun",
               datetime(2026, 11, 4, 10, 41, tzinfo=CET),
               "<GV1PR09MB6824A1C07E0F3E3F4B8C2D11D4F79@GV1PR09MB6824.eurprd09.prod.outlook.com>",
               OUTLOOK_HEAD + "".join(html) + OUTLOOK_TAIL, "\r\n".join(plain),
               {"Thread-Topic": "Lägesbild oktober 2026 – Falun", "Thread-Index": "AdtOYsB6mJ3n0a8hSfK2m9w7vq1xVw==",
                "Accept-Language": "sv-SE, en-US", "Content-Language": "sv-SE", "X-MS-Has-Attach": "",
                "X-MS-TNEF-Correlator": "", "X-OriginatorOrg": "falun.se"},
               plain_charset="windows-1252")
    expected = {"class": "body_html_marked", "note": "Outlook desktop: the scale's number highlighted in yellow; "
                "the text alternative has lost the highlight; question 5 left unmarked.",
                "kind": "report", "municipality": "Falun", "period": "2026-10", "source_kind": "body",
                "answers": answers_expected(chosen, answers), "problems_present": ["missing_score"],
                "problems_absent": ["invalid_score", "missing_answer"]}
    return raw, expected


# --- Outlook on the web: bold, colour; two marked on one question ------------------------

OWA_STYLE = ("font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; "
             "font-size: 12pt; color: rgb(0, 0, 0);")


def owa_div(inner: str) -> str:
    return f'<div class="elementToProof" style="{OWA_STYLE}">\n{inner}</div>\n'


def owa_bold_borlange() -> tuple[bytes, dict]:
    answers = ["Ökat antal anmälningar om skadegörelse i Tjärna ängar.",
               "Ett fall av hot mot handläggare på socialkontoret.",
               "Klistermärken från en våldsbejakande grupp vid resecentrum.",
               "Skolk och konflikter på en högstadieskola.",
               "Fynd av sprutor i parken vid Hagalund.",
               "Inget övrigt.",
               "Sommarjobb för unga har gett lugnare kvällar."]
    bold = "<b>{}</b>"
    red = '<span style="color: rgb(192, 0, 0);">{}</span>'
    marks = [(bold, {2}), (bold, {3}), (red, {4}), (bold, {2, 3}), (red, {5}), (bold, {1})]
    html = ['<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n'
            '</head>\n<body dir="ltr">\n',
            owa_div("Hej!"), owa_div("<br>"),
            owa_div("Här är Borlänges lägesbild för oktober. Bedömningen är fetmarkerad eller röd i skalan."),
            owa_div("<br>")]
    plain = ["Hej!", "", "Här är Borlänges lägesbild för oktober. Bedömningen är fetmarkerad eller röd i skalan.",
             ""]
    for n, title in enumerate(TITLES, start=1):
        html.append(owa_div(f"<b>{n}. {escape(title)}</b>"))
        html.append(owa_div(escape(answers[n - 1])))
        plain += [f"{n}. {title}", answers[n - 1]]
        if n <= 6:
            template, chosen = marks[n - 1]
            html.append(owa_div("Bedömd påverkan: " + scale(chosen, template)))
            plain.append("Bedömd påverkan: 1 2 3 4 5")
        html.append(owa_div("<br>"))
        plain.append("")
    html.append('<div id="Signature"><div style="font-family: Aptos, sans-serif; font-size: 12pt;">'
                "Jonas Holm<br>Trygghetssamordnare<br>Borlänge kommun</div></div>\n</body>\n</html>\n")
    plain += ["Jonas Holm", "Trygghetssamordnare", "Borlänge kommun", ""]
    raw = mail("Jonas Holm <jonas.holm@borlange.se>", "Lägesbild oktober Borlänge",
               datetime(2026, 11, 5, 14, 3, tzinfo=CET),
               "<DB9PR09MB7312F0C1E3B2A4D5C6E7F809A1B2C@DB9PR09MB7312.eurprd09.prod.outlook.com>",
               "".join(html), "\r\n".join(plain),
               {"Thread-Topic": "Lägesbild oktober Borlänge", "Thread-Index": "AQHbL2xk9m3ZcA4pTUeQ1x5o6yN2Ww==",
                "Accept-Language": "sv-SE, en-US", "Content-Language": "sv-SE",
                "X-MS-Exchange-Organization-AuthAs": "Internal", "x-ms-publictraffictype": "Email"})
    expected = {"class": "body_html_marked", "note": "Outlook on the web: the rating bold or red; question 4 "
                "has two numbers bold (invalid). The text alternative has lost the marks.",
                "kind": "report", "municipality": "Borlänge", "period": "2026-10", "source_kind": "body",
                "answers": answers_expected([2, 3, 4, None, 5, 1], answers),
                "problems_present": ["invalid_score"], "problems_absent": ["missing_answer"]}
    return raw, expected


# --- Gmail: the traffic light highlighted, a reply to the reminder -----------------------

def gmail_lights_malung() -> tuple[bytes, dict]:
    answers = ["Några anmälningar om buskörning med mopedbil i Malung.",
               "Inga kända händelser.",
               "Inga kända händelser.",
               "Stöld av cyklar vid Sälens skola.",
               "Ökad langning inför säsongsstarten i fjällen.",
               "Många säsongsarbetare på plats från december.",
               "Fältassistenterna är ute fredag och lördag."]
    chosen = [1, 0, 0, 1, 2, 1]
    lights = ["Grönt", "Gult", "Rött"]
    mark = '<span style="background-color:rgb(255,255,0)">{}</span>'
    rows = ["<div>Hej!</div><div><br></div><div>Här kommer lägesbilden för oktober från Malung-Sälen. "
            "Vi har markerat färgen i bedömningen.</div><div><br></div>"]
    plain = ["Hej!", "", "Här kommer lägesbilden för oktober från Malung-Sälen. Vi har markerat färgen i "
             "bedömningen.", ""]
    for n, title in enumerate(TITLES, start=1):
        rows.append(f"<div><b>Fråga {n}, {escape(title)}:</b></div><div>{escape(answers[n - 1])}</div>")
        plain += [f"Fråga {n}, {title}:", answers[n - 1]]
        if n <= 6:
            options = " ".join(mark.format(c) if i == chosen[n - 1] else c for i, c in enumerate(lights))
            rows.append(f"<div>Samlad bedömning: {options}</div>")
            plain.append("Samlad bedömning: Grönt Gult Rött")
        rows.append("<div><br></div>")
        plain.append("")
    rows.append('<div>Vänliga hälsningar</div><div>Eva Lund</div><div>Malung-Sälens kommun</div></div><br>')
    plain += ["Vänliga hälsningar", "Eva Lund", "Malung-Sälens kommun", ""]
    quote = ('<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">Den mån 2 nov. 2026 '
             'kl 08:00 skrev Lägesbild FAS Dalarna &lt;<a href="mailto:lagesbild-fas.dalarna@lansstyrelsen.se">'
             'lagesbild-fas.dalarna@lansstyrelsen.se</a>&gt;:<br></div><blockquote class="gmail_quote" '
             'style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
             "<div>Hej!</div><div>Påminnelse: vi har ännu inte fått er lägesbild för oktober. Bedöm varje område "
             "som <span style=\"background-color:rgb(255,255,0)\">Grönt</span>, Gult eller Rött.</div>"
             "</blockquote></div>\n")
    plain += ["Den mån 2 nov. 2026 kl 08:00 skrev Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>:",
              "> Hej!", "> Påminnelse: vi har ännu inte fått er lägesbild för oktober. Bedöm varje område som",
              "> Grönt, Gult eller Rött.", ""]
    html = '<div dir="ltr">' + "".join(rows) + quote
    raw = mail("Eva Lund <eva.lund@malung-salen.se>", "Re: Påminnelse: lägesbild oktober",
               datetime(2026, 11, 3, 16, 22, tzinfo=CET),
               "<CAF9xq2Tn4vK8bQe1yZr0cW5mJd3Lh7uPs6oGf2aXk1Ne8Rt4Vw@mail.gmail.com>",
               html, "\n".join(plain),
               {"In-Reply-To": "<20261102070000.4f1c2a@mailbot.lansstyrelsen.se>",
                "References": "<20261102070000.4f1c2a@mailbot.lansstyrelsen.se>"})
    names = {0: "grön", 1: "gul", 2: "röd"}
    expected = {"class": "body_html_marked", "note": "Gmail reply to the reminder: the traffic light chosen by "
                "highlighting the colour's name; the quoted reminder's highlight is no rating.",
                "kind": "report", "municipality": "Malung-Sälen", "period": "2026-10", "source_kind": "body",
                "answers": answers_expected([None] * 6, answers, [names[k] for k in chosen] + [None]),
                "problems_absent": ["missing_score", "invalid_score", "missing_answer"]}
    return raw, expected


# --- Thunderbird: underline and bold, last month's report quoted ------------------------

def thunderbird_reply_rattvik() -> tuple[bytes, dict]:
    answers = ["Inbrott i två sommarstugor vid Siljan.",
               "Inga kända händelser.",
               "Inga kända händelser.",
               "Mobbning via sociala medier på en skola, skolan arbetar med det.",
               "Polisen har beslagtagit cannabis vid två tillfällen.",
               "Höstlovsaktiviteter för unga.",
               "Nattvandrare ute varje helg."]
    chosen = [2, 1, 1, 3, 4, 2]
    underline = '<span style="text-decoration: underline;">{}</span>'
    rows = ["<p>Hej,</p>\n<p>lägesbilden för oktober. Bedömningen är understruken som förra gången.</p>\n"]
    for n, title in enumerate(TITLES, start=1):
        rows.append(f"<p><b>{n}. {escape(title)}</b><br>\n{escape(answers[n - 1])}<br>\n")
        if n <= 6:
            rows.append("Påverkan: " + scale({chosen[n - 1]}, underline) + "<br>\n")
        rows.append("Kommentar:</p>\n")
    rows.append('<div class="moz-signature">-- <br>\nPer Olsson<br>\nRättviks kommun</div>\n')
    last = [5, 5, 4, 5, 5, 5]
    quoted = "".join(f"<p><b>{n}. {escape(title)}</b><br>\nSeptember: inget nytt.<br>\n"
                     + ("Påverkan: " + scale({last[n - 1]}, underline) + "<br>\n" if n <= 6 else "")
                     + "Kommentar:</p>\n" for n, title in enumerate(TITLES, start=1))
    html = ('<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; '
            'charset=UTF-8">\n  </head>\n  <body>\n' + "".join(rows)
            + '<div class="moz-cite-prefix">Den 2026-10-05 kl. 09:14, skrev Per Olsson:<br>\n</div>\n'
            '<blockquote type="cite" cite="mid:8a1d3f52-6c1e-4b0e-9b7a-2f4c8e9d1a37@rattvik.se">\n'
            "<p>Hej,</p>\n<p>lägesbilden för september.</p>\n" + quoted + "</blockquote>\n  </body>\n</html>\n")
    raw = mail("Per Olsson <per.olsson@rattvik.se>", "Re: Lägesbild september Rättvik",
               datetime(2026, 11, 2, 11, 5, tzinfo=CET), "<3c7e9b21-5d4a-4f6e-8c1b-0a9d2e7f4b63@rattvik.se>",
               html, None,
               {"User-Agent": "Mozilla Thunderbird", "Content-Language": "sv-SE",
                "In-Reply-To": "<8a1d3f52-6c1e-4b0e-9b7a-2f4c8e9d1a37@rattvik.se>",
                "References": "<8a1d3f52-6c1e-4b0e-9b7a-2f4c8e9d1a37@rattvik.se>"},
               cte="8bit")
    expected = {"class": "body_html_marked", "note": "Thunderbird (HTML only): October's ratings underlined, "
                "a reply to the municipality's own September report, whose underlined ratings are quoted.",
                "kind": "report", "municipality": "Rättvik", "period": "2026-10", "source_kind": "body",
                "answers": answers_expected(chosen, answers),
                "problems_absent": ["missing_score", "invalid_score", "missing_answer"]}
    return raw, expected


# --- Outlook desktop: the Word table pasted, the chosen cell shaded ----------------------

def outlook_table_alvdalen() -> tuple[bytes, dict]:
    answers = ["Skadegörelse på en raststuga längs Vasaloppsleden.",
               "Inga kända händelser.",
               "Inga kända händelser.",
               "Ungdomar samlas kvällstid vid skolan, några bråk.",
               "Oro för alkohol vid älgjaktens slut.",
               "Inget övrigt.",
               "Föräldrar har börjat nattvandra."]
    chosen = [3, 1, 1, 2, None, 1]
    cell = ('<td width="47" valign="top" style="width:35.4pt;border:solid windowtext 1.0pt;{left}{shade}'
            'padding:0cm 5.4pt 0cm 5.4pt">\n<p class="MsoNormal" align="center" style="text-align:center">{n}'
            "<o:p></o:p></p>\n</td>\n")
    html = [outlook_p("Hej!"), outlook_p("&nbsp;"), outlook_p("Älvdalens lägesbild för oktober, ifylld i mallen."),
            outlook_p("&nbsp;")]
    plain = ["Hej!", "", "Älvdalens lägesbild för oktober, ifylld i mallen.", ""]
    for n, title in enumerate(TITLES, start=1):
        html += [outlook_p(f"<b>Fråga {n}, {escape(title)}:</b>"), outlook_p(escape(answers[n - 1]))]
        plain += [f"Fråga {n}, {title}:", answers[n - 1]]
        if n <= 6:
            cells = "".join(cell.format(n=k, left="border-left:none;" if k > 1 else "",
                                        shade="background:#FFC000;" if k == chosen[n - 1] else "")
                            for k in range(1, 6))
            html.append('<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" '
                        'style="border-collapse:collapse;border:none">\n<tr>\n<td width="151" valign="top" '
                        'style="width:113.4pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">\n'
                        f'<p class="MsoNormal">Påverkan:<o:p></o:p></p>\n</td>\n{cells}</tr>\n</table>\n')
            plain.append("Påverkan:\t1\t2\t3\t4\t5")
        html.append(outlook_p("&nbsp;"))
        plain.append("")
    html += [outlook_p("Hälsningar"), outlook_p("Lars Ers, Älvdalens kommun")]
    plain += ["Hälsningar", "Lars Ers, Älvdalens kommun", ""]
    raw = mail("Lars Ers <lars.ers@alvdalen.se>", "Lägesbild oktober – Älvdalen",
               datetime(2026, 11, 6, 8, 52, tzinfo=CET),
               "<AS8PR09MB5987C2D4E6F8A0B1C3D5E7F9A1B3C5D7@AS8PR09MB5987.eurprd09.prod.outlook.com>",
               OUTLOOK_HEAD + "".join(html) + OUTLOOK_TAIL, "\r\n".join(plain),
               {"Thread-Topic": "Lägesbild oktober – Älvdalen", "Thread-Index": "AdtP1k3QxR7bYc2sS6m5w8Zq0a1bCg==",
                "Accept-Language": "sv-SE, en-US", "Content-Language": "sv-SE", "X-MS-Has-Attach": "",
                "X-OriginatorOrg": "alvdalen.se"},
               plain_charset="windows-1252")
    expected = {"class": "body_html_marked", "note": "Outlook desktop: the Word template's scale table pasted, "
                "the chosen number's cell shaded orange; question 5 left unshaded. Read cell by cell, the first "
                "cell's 1 used to pass for the rating.",
                "kind": "report", "municipality": "Älvdalen", "period": "2026-10", "source_kind": "body",
                "answers": answers_expected(chosen, answers), "problems_present": ["missing_score"],
                "problems_absent": ["invalid_score", "missing_answer"]}
    return raw, expected


CASES = {
    "body-outlook-highlight-falun": outlook_highlight_falun,
    "body-owa-bold-and-red-borlange": owa_bold_borlange,
    "body-gmail-lights-malung-salen": gmail_lights_malung,
    "body-thunderbird-underline-reply-rattvik": thunderbird_reply_rattvik,
    "body-outlook-table-shaded-alvdalen": outlook_table_alvdalen,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in CASES.items():
        raw, expected = build()
        (OUT / f"{name}.eml").write_bytes(raw)
        text = json.dumps({"case": name, **expected}, ensure_ascii=False, indent=2) + "\n"
        (OUT / f"{name}.expected.json").write_text(text, encoding="utf-8")
        print(name)


if __name__ == "__main__":
    main()
