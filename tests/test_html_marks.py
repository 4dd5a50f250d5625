"""A printed scale answered in an HTML mail body by marking one option.

Municipalities paste the Word template into Outlook, Outlook on the web,
Gmail or Thunderbird and answer "Påverkan: 1 2 3 4 5" (or "Grönt Gult Rött")
by highlighting, bolding, underlining or colouring one option, or typing a
circled digit. One option marked is the rating; none marked is no rating;
several marked is an invalid rating; a mark every option has is style. A
number marked anywhere else is never a rating.
"""

from __future__ import annotations

import time

import pytest

from mailbot.config import load_config
from mailbot.context import parse_context
from parsers.docx_reader import MAX_BLOCKS
from parsers.html_marks import PLAIN, Format, inherit
from parsers.html_reader import html_to_blocks, parse_colour
from parsers.ratings import Rating, is_blank, parse_value
from parsers.report import parse_message
from rules.loader import load_rules
from tests.mailbuilder import build_mail

CONFIG = load_config()
CONTEXT = parse_context(CONFIG, load_rules(CONFIG.rules_dir))

TITLES = ["Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
          "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt",
          "Positiva åtgärder eller händelser"]
SCORES = (3, 1, 2, 5, 4, 2)  # the rating of questions 1-6 in a whole mail

# --- how each client writes one paragraph, and a marked option ------------------

OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:12.0pt; font-family:"Aptos",sans-serif;}
span.E-postmall17 {mso-style-type:personal-compose; font-family:"Aptos",sans-serif; color:windowtext;}
--></style></head>
<body lang="SV" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""
OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"
OWA_HEAD = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>
<body dir="ltr">
"""
OWA_STYLE = ("font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; "
             "font-size: 12pt; color: rgb(0, 0, 0);")
GMAIL_HEAD = '<div dir="ltr">'
THUNDERBIRD_HEAD = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body>
"""


def outlook_p(inner: str) -> str:
    return f'<p class="MsoNormal">{inner}<o:p></o:p></p>\n'


def owa_p(inner: str) -> str:
    return f'<div class="elementToProof" style="{OWA_STYLE}">{inner}</div>\n'


def gmail_p(inner: str) -> str:
    return f"<div>{inner}</div>"


def thunderbird_p(inner: str) -> str:
    return f"<p>{inner}<br>\n</p>\n"


CLIENTS = {
    "outlook": (OUTLOOK_HEAD, outlook_p, OUTLOOK_TAIL),
    "owa": (OWA_HEAD, owa_p, "</body></html>\n"),
    "gmail": (GMAIL_HEAD, gmail_p, "</div>\n"),
    "thunderbird": (THUNDERBIRD_HEAD, thunderbird_p, "</body>\n</html>\n"),
}

# How each client marks a chosen option (what its toolbar writes).
MARKS = {
    "outlook": {
        "highlight": "<span style='background:yellow;mso-highlight:yellow'>{}</span>",
        "bold": "<b>{}</b>",
        "underline": "<u>{}</u>",
        "colour": "<span style='color:#C00000'>{}</span>",
        "bold-red": "<b><span style='color:red'>{}</span></b>",
    },
    "owa": {
        "highlight": '<span style="background-color: rgb(255, 255, 0);">{}</span>',
        "bold": "<b>{}</b>",
        "underline": "<u>{}</u>",
        "colour": '<span style="color: rgb(255, 0, 0);">{}</span>',
        "font-weight": '<span style="font-weight: 700;">{}</span>',
    },
    "gmail": {
        "highlight": '<span style="background-color:rgb(255,255,0)">{}</span>',
        "bold": "<b>{}</b>",
        "underline": "<u>{}</u>",
        "colour": '<font color="#ff0000">{}</font>',
        "hex-highlight": '<span style="background-color:#FFFF00">{}</span>',
    },
    "thunderbird": {
        "highlight": '<span style="background-color: rgb(255, 255, 0);">{}</span>',
        "bold": "<b>{}</b>",
        "strong": "<strong>{}</strong>",
        "underline": '<span style="text-decoration: underline;">{}</span>',
        "colour": '<span style="color:#e01b24;">{}</span>',
        "mark": "<mark>{}</mark>",
    },
}


def scale_line(marked: set[int], mark: str, label: str = "Påverkan: ", sep: str = " ") -> str:
    return label + sep.join(mark.format(n) if n in marked else str(n) for n in range(1, 6))


def body(client: str, rating_lines: list[str], quote: str = "") -> str:
    """A whole report as `client` writes it: questions 1-7, question n's rating line `rating_lines[n - 1]`."""
    head, para, tail = CLIENTS[client]
    parts = [para("Hej!"), para("Här kommer lägesbilden för oktober."), para("Underlaget inlämnat av kommun: Mora")]
    for n, title in enumerate(TITLES, start=1):
        parts.append(para(f"<b>Fråga {n}, {title}:</b>"))
        parts.append(para(f"Svar på fråga {n}: inga större händelser."))
        if n <= len(rating_lines):
            parts.append(para(rating_lines[n - 1]))
        parts.append(para("Kommentar:"))
    return head + "".join(parts) + quote + tail


def parse(html: str, plain: str | None = None):
    """`mailbot parse` of a mail with this HTML body (and this text alternative, if any)."""
    record = parse_message(build_mail(body=plain, html=html), CONTEXT)
    assert record.kind == "report"
    return record


def scores(record) -> list[int | None]:
    return [a.score for a in sorted(record.answers, key=lambda a: a.question)][:6]


def problems(record, code: str) -> list[int]:
    return sorted(p.question for p in record.problems if p.code == code)


def rating_blocks(html: str) -> list[str]:
    return [b.text for b in html_to_blocks(html) if "Påverkan" in b.text or "☐" in b.text]


# --- every client, every mark ---------------------------------------------------


@pytest.mark.parametrize("client, mark", [(c, m) for c, kinds in MARKS.items() for m in kinds])
def test_each_client_and_mark_reads_the_marked_number(client, mark):
    template = MARKS[client][mark]
    html = body(client, [scale_line({s}, template) for s in SCORES])
    assert rating_blocks(html)[0] == "Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"
    record = parse(html)
    assert scores(record) == list(SCORES)
    assert not problems(record, "missing_score") and not problems(record, "invalid_score")


def test_outlook_alternative_text_without_the_mark_loses_to_the_html():
    """Outlook sends text/plain too; its scale has lost the highlight, the HTML still has it."""
    html = body("outlook", [scale_line({s}, MARKS["outlook"]["highlight"]) for s in SCORES])
    plain = "\n".join(f"Fråga {n}, {t}:\nSvar på fråga {n}: inga större händelser.\nPåverkan: 1 2 3 4 5"
                      for n, t in enumerate(TITLES[:6], start=1))
    record = parse(html, plain=plain + "\nFråga 7, Positiva åtgärder eller händelser:\nInget.\n")
    assert scores(record) == list(SCORES)


def test_outlook_non_breaking_spaces_between_the_numbers():
    template = "<span style='background:yellow;mso-highlight:yellow'>{}</span>"
    html = body("outlook", [scale_line({s}, template, label="<b>Påverkan:</b>&nbsp;&nbsp;", sep="&nbsp;&nbsp; ")
                            for s in SCORES])
    assert rating_blocks(html)[0] == "Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"
    assert scores(parse(html)) == list(SCORES)


def test_circled_digit_typed_in_the_line():
    html = body("gmail", [scale_line({s}, "{}").replace(str(s), chr(0x2460 + s - 1)) for s in SCORES])
    assert "③" in rating_blocks(html)[0]
    assert scores(parse(html)) == list(SCORES)


@pytest.mark.parametrize("client", list(CLIENTS))
def test_the_traffic_light_scale(client):
    colours = ["Grönt", "Gult", "Rött"]
    chosen = [1, 0, 2, 1, 0, 2]
    template = MARKS[client]["highlight"]
    lines = ["Bedömning: " + " ".join(template.format(c) if i == k else c for i, c in enumerate(colours))
             for k in chosen]
    record = parse(body(client, lines))
    names = {0: "grön", 1: "gul", 2: "röd"}
    assert [a.color for a in sorted(record.answers, key=lambda a: a.question)][:6] == [names[k] for k in chosen]


@pytest.mark.parametrize("printed", ["Grönt Gult Rött", "Grönt, Gult, Rött", "grön / gul / röd", "Grönt, gult eller rött.",
                                     "Normalt Avvikande Oroande Allvarligt Kritiskt",
                                     "normal, avvikande, oroande, allvarlig eller kritisk"])
def test_the_printed_lights_with_nothing_marked_are_no_rating(printed):
    """The text alternative of a marked HTML body has lost the mark: it must not read as "grön"."""
    assert is_blank(printed) and parse_value(printed) is None
    assert parse_value("Gult") == Rating(color="gul") and parse_value("Oroande") == Rating(score=3)


def test_lights_in_html_win_over_the_unmarked_text_alternative():
    template = MARKS["gmail"]["highlight"]
    html = body("gmail", ["Bedömning: " + " ".join(template.format(c) if c == "Rött" else c
                                                   for c in ("Grönt", "Gult", "Rött"))] * 6)
    plain = "\n".join(f"Fråga {n}, {t}:\nSvar.\nBedömning: Grönt Gult Rött" for n, t in enumerate(TITLES[:6], 1))
    record = parse(html, plain=plain + "\nFråga 7, Positiva åtgärder eller händelser:\nInget.\n")
    assert [a.color for a in sorted(record.answers, key=lambda a: a.question)][:6] == ["röd"] * 6


def test_traffic_light_words_each_in_its_colour_are_a_legend_not_a_choice():
    legend = '<font color="#00b050">Grönt</font> <font color="#ffc000">Gult</font> <font color="#ff0000">Rött</font>'
    assert rating_blocks(gmail_p("Bedömning: " + legend)) == ["Bedömning: ☐ Grönt ☐ Gult ☐ Rött"]
    bold_yellow = legend.replace(">Gult<", "><b>Gult</b><")
    assert rating_blocks(gmail_p("Bedömning: " + bold_yellow)) == ["Bedömning: ☐ Grönt ☒ Gult ☐ Rött"]


# --- none, two, style, prose ---------------------------------------------------------


@pytest.mark.parametrize("client", list(CLIENTS))
def test_nothing_marked_is_a_missing_score(client):
    record = parse(body(client, [scale_line(set(), "{}") for _ in SCORES]))
    assert scores(record) == [None] * 6
    assert problems(record, "missing_score") == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_two_marked_is_an_invalid_score(client):
    template = MARKS[client]["highlight"]
    lines = [scale_line({2, 4} if n == 1 else {SCORES[n - 1]}, template) for n in range(1, 7)]
    record = parse(body(client, lines))
    assert scores(record) == [None, *SCORES[1:]]
    assert problems(record, "invalid_score") == [1]


def test_two_different_marks_are_two_choices():
    line = "Påverkan: 1 <b>2</b> 3 <span style='background:yellow'>4</span> 5"
    assert rating_blocks(outlook_p(line)) == ["Påverkan: ☐1 ☒2 ☐3 ☒4 ☐5"]


@pytest.mark.parametrize("line", [
    "<b>Påverkan: 1 2 3 4 5</b>",
    "<span style='background:yellow;mso-highlight:yellow'>Påverkan: 1 2 3 4 5</span>",
    "Påverkan: <u>1 2 3 4 5</u>",
    "<span style='color:#1F497D'>Påverkan: 1 2 3 4 5</span>",
    "<b>Påverkan:</b> 1 2 3 4 5",  # only the label bold
], ids=["bold", "highlight", "underline", "colour", "label"])
def test_a_mark_over_the_whole_scale_is_style(line):
    record = parse(body("outlook", [line] * 6))
    assert scores(record) == [None] * 6
    assert problems(record, "missing_score") == [1, 2, 3, 4, 5, 6]


def test_whole_paragraph_styles_are_not_marks():
    """A paragraph in Outlook's blue, bold or shaded: the options inside are compared to each other."""
    para = ('<p class="MsoNormal" style="background:#DEEAF6"><b><span style="color:#1F497D">'
            'Påverkan: 1 2 <span style="color:red">3</span> 4 5</span></b><o:p></o:p></p>')
    assert rating_blocks(para) == ["Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"]


def test_one_number_left_out_of_a_mark_is_never_the_guess():
    """Four bold and one not: the four are marked (invalid), the fifth is not taken for the choice."""
    line = '<b>Påverkan: 1 2 3 <span style="font-weight:normal">4</span> 5</b>'
    assert rating_blocks(gmail_p(line)) == ["Påverkan: ☒1 ☒2 ☒3 ☐4 ☒5"]
    ended_early = '<span style="color:#1F497D">Påverkan: 1 2 3 4</span> 5'
    assert rating_blocks(gmail_p(ended_early)) == ["Påverkan: ☒1 ☒2 ☒3 ☒4 ☐5"]
    lights = "Bedömning: <mark>Grönt</mark> <mark>Gult</mark> Rött"
    assert rating_blocks(gmail_p(lights)) == ["Bedömning: ☒ Grönt ☒ Gult ☐ Rött"]


def test_numbers_each_in_its_own_span_one_in_red():
    blue = "<span style='color:#1F497D'>{}</span>"
    line = "Påverkan: " + " ".join(blue.format(n) if n != 2 else "<span style='color:red'>2</span>" for n in range(1, 6))
    assert rating_blocks(outlook_p(line)) == ["Påverkan: ☐1 ☒2 ☐3 ☐4 ☐5"]


def test_black_among_default_text_is_no_mark():
    line = 'Påverkan: 1 2 3 <span style="color:black">4</span> 5'
    assert rating_blocks(gmail_p(line)) == ["Påverkan: 1 2 3 4 5"]


@pytest.mark.parametrize("answer", [
    "Vi hade <span style='background:yellow;mso-highlight:yellow'>3</span> incidenter under oktober.",
    "Vi hade <b>3</b> incidenter, 1 2 3 gånger per vecka.",
    "Under vecka <mark>4</mark> och 5 var det lugnt.",
])
def test_a_marked_number_in_prose_is_not_a_rating(answer):
    html = OUTLOOK_HEAD + "".join(
        outlook_p(line) for line in [
            "<b>Fråga 1, Ordningsstörningar och otrygghet:</b>", answer, "Påverkan: 1 2 3 4 5",
            *[f"<b>Fråga {n}, {t}:</b>\nSvar.\nPåverkan: {n % 5 + 1}" for n, t in enumerate(TITLES[1:], 2)]]
    ) + OUTLOOK_TAIL
    record = parse(html)
    first = next(a for a in record.answers if a.question == 1)
    assert first.score is None and first.color is None
    assert problems(record, "missing_score") == [1]
    assert "incidenter" in first.text or "lugnt" in first.text


# --- quoted text is last month's ------------------------------------------------------


def outlook_quote(rating_lines: list[str]) -> str:
    quoted = body("outlook", rating_lines).split('<div class="WordSection1">', 1)[1].rsplit("</div>", 1)[0]
    return ('<p class="MsoNormal"><o:p>&nbsp;</o:p></p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt;'
            'padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>Från:</b> Anna Berg &lt;anna.berg@mora.se&gt;'
            '<br><b>Skickat:</b> den 2 oktober 2026 08:00<br><b>Ämne:</b> Lägesbild september Mora<o:p></o:p></p>'
            "</div></div>" + quoted)


def gmail_quote(rating_lines: list[str]) -> str:
    return ('<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
            "Den fre 2 okt. 2026 kl 08:00 skrev Anna Berg &lt;anna.berg@mora.se&gt;:<br></div>"
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
            'rgb(204,204,204);padding-left:1ex">' + body("gmail", rating_lines) + "</blockquote></div>")


@pytest.mark.parametrize("client, quote", [("outlook", outlook_quote), ("gmail", gmail_quote)])
def test_last_months_marked_rating_in_the_quote_is_not_this_months(client, quote):
    template = MARKS[client]["highlight"]
    last_month = quote([scale_line({5}, template)] * 6)
    unmarked = parse(body(client, [scale_line(set(), "{}")] * 6, quote=last_month))
    assert scores(unmarked) == [None] * 6
    assert problems(unmarked, "missing_score") == [1, 2, 3, 4, 5, 6]
    marked = parse(body(client, [scale_line({s}, template) for s in SCORES], quote=last_month))
    assert scores(marked) == list(SCORES)


def test_quoted_marked_line_keeps_its_quote_level():
    html = ('<p>Påverkan: 1 2 3 4 5</p><blockquote type="cite"><p>Påverkan: 1 <b>2</b> 3 4 5</p></blockquote>')
    assert rating_blocks(html) == ["Påverkan: 1 2 3 4 5", "> Påverkan: ☐1 ☒2 ☐3 ☐4 ☐5"]


# --- the scale in table cells (the Word table pasted) ----------------------------------


def table_row(marked: set[int], cell_style: str = "background:yellow", values=("1", "2", "3", "4", "5"),
              label: str = "Påverkan:") -> str:
    cells = "".join(
        f'<td width="40" valign="top" style="width:30pt;border:solid windowtext 1.0pt;'
        f'{cell_style if k in marked else ""};padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal">{v}<o:p></o:p></p></td>'
        for k, v in enumerate(values, start=1))
    return ('<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;'
            f'border:none"><tr><td width="200" style="border:solid windowtext 1.0pt"><p class="MsoNormal">{label}'
            f"<o:p></o:p></p></td>{cells}</tr></table>")


def table_body(rows: list[str]) -> str:
    parts = [outlook_p("Underlaget inlämnat av kommun: Mora")]
    for n, title in enumerate(TITLES, start=1):
        parts += [outlook_p(f"<b>Fråga {n}, {title}:</b>"), outlook_p(f"Svar på fråga {n}.")]
        if n <= len(rows):
            parts.append(rows[n - 1])
    return OUTLOOK_HEAD + "".join(parts) + OUTLOOK_TAIL


@pytest.mark.parametrize("style", ["background:yellow", "font-weight:bold", "color:red"])
def test_a_marked_cell_in_a_row_of_numbers(style):
    record = parse(table_body([table_row({s}, style) for s in SCORES]))
    assert scores(record) == list(SCORES)


def test_td_bgcolor_marks_the_cell():
    row = table_row(set()).replace('<td width="40" valign="top" style="width:30pt;border:solid windowtext 1.0pt;;'
                                   'padding:0cm 5.4pt 0cm 5.4pt"><p class="MsoNormal">4',
                                   '<td bgcolor="#FFFF00"><p class="MsoNormal">4', 1)
    assert [b.text for b in html_to_blocks(row)] == ["Påverkan:", "☐1 ☐2 ☐3 ☒4 ☐5"]


def test_a_cell_partly_marked_counts_as_marked():
    cells = "".join(f"<td>{n}</td>" if n != 4 else '<td><b>4</b><span style="color:red">.</span></td>'
                    for n in range(1, 6))
    assert [b.text for b in html_to_blocks(f"<table><tr><td>Påverkan:</td>{cells}</tr></table>")] == [
        "Påverkan:", "☐1 ☐2 ☐3 ☒4 ☐5"]


def test_a_row_of_numbers_with_none_marked_is_no_rating_not_the_first_cell():
    """Read cell by cell, "1" passed for the rating before."""
    record = parse(table_body([table_row(set()) for _ in SCORES]))
    assert scores(record) == [None] * 6
    assert problems(record, "missing_score") == [1, 2, 3, 4, 5, 6]


def test_a_row_of_numbers_with_two_marked_is_invalid():
    record = parse(table_body([table_row({2, 3})] + [table_row({s}) for s in SCORES[1:]]))
    assert scores(record) == [None, *SCORES[1:]]
    assert problems(record, "invalid_score") == [1]


def test_a_row_of_traffic_light_cells():
    lights = ("Grönt", "Gult", "Rött")
    legend = "background:#92D050", "background:yellow", "background:red"
    row = table_row({2}, "font-weight:bold", lights, "Bedömning:")
    assert [b.text for b in html_to_blocks(row)] == ["Bedömning:", "☐ Grönt ☒ Gult ☐ Rött"]
    # each cell shaded in its own colour is the legend: nothing chosen by the shading
    coloured = "".join(f'<td style="{s}">{v}</td>' for s, v in zip(legend, lights, strict=True))
    assert [b.text for b in html_to_blocks(f"<table><tr>{coloured}</tr></table>")] == ["☐ Grönt ☐ Gult ☐ Rött"]


def test_outlook_quote_after_a_scale_row_still_starts_at_its_header():
    html = OUTLOOK_HEAD + table_row({3}) + outlook_quote([scale_line({5}, "<b>{}</b>")]) + OUTLOOK_TAIL
    texts = [b.text for b in html_to_blocks(html)]
    assert texts[:2] == ["Påverkan:", "☐1 ☐2 ☒3 ☐4 ☐5"]
    assert texts[2].startswith("> Från:") and all(t.startswith(">") for t in texts[2:])


# --- the format rules --------------------------------------------------------------------


@pytest.mark.parametrize("tag, attrs, style, expected", [
    ("b", {}, {}, Format(bold=True)),
    ("strong", {}, {}, Format(bold=True)),
    ("span", {}, {"font-weight": "600"}, Format(bold=True)),
    ("span", {}, {"font-weight": "400"}, PLAIN),
    ("u", {}, {}, Format(underline=True)),
    ("span", {}, {"text-decoration": "underline dotted"}, Format(underline=True)),
    ("mark", {}, {}, Format(background="FFFF00")),
    ("span", {}, {"mso-highlight": "yellow"}, Format(background="FFFF00")),
    ("span", {}, {"background": "url(x.png) #ffff00"}, Format(background="FFFF00")),
    ("span", {}, {"background-color": "transparent"}, PLAIN),
    ("font", {"color": "red"}, {}, Format(colour="FF0000")),
    ("span", {}, {"border": "solid windowtext 1.0pt"}, Format(border=True)),
    ("span", {}, {"border": "none"}, PLAIN),
    ("i", {}, {}, PLAIN),
    ("a", {"href": "x"}, {}, PLAIN),
])
def test_inherit(tag, attrs, style, expected):
    assert inherit(PLAIN, tag, attrs, style, parse_colour) == expected


def test_inherit_returns_the_parent_when_nothing_changes():
    parent = Format(bold=True)
    assert inherit(parent, "span", {"lang": "SV"}, {"font-family": "Aptos"}, parse_colour) is parent


# --- hostile input stays linear -------------------------------------------------------


def hostile(n: int) -> str:
    """Many short marked scale lines, one long line of alternating marks, a wide row of number cells."""
    lines = "".join(f"<p>Påverkan: 1 <b>2</b> <span style='color:red'>3</span> 4 <u>{n % 5 + 1}</u></p>"
                    for _ in range(n // 40))
    long_line = "<p>Påverkan: " + "<b>1</b> 2 <mark>3</mark> " * (n // 4) + "4 5</p>"
    cells = "".join(f"<td style='background:yellow'><b>{k % 5 + 1}</b></td>" for k in range(n // 40))
    nested = "<span style='font-weight:bold;color:red'><b>" * 300 + "3" + "</b></span>" * 300
    return f"{lines}{long_line}<table><tr>{cells}</tr></table><p>1 2 {nested} 4 5</p>"


def timed(html: str) -> tuple[float, int]:
    start = time.perf_counter()
    blocks = html_to_blocks(html)
    return time.perf_counter() - start, len(blocks)


def test_hostile_marked_html_is_read_in_linear_time():
    n = 80_000
    small, _ = timed(hostile(n // 4))
    full, count = timed(hostile(n))
    assert 0 < count < MAX_BLOCKS  # all of it read, not cut at the block limit
    assert full < 10.0, f"{full:.1f} s"
    assert full < 8 * small + 1.0, f"{small:.2f} s at n/4, {full:.2f} s at n"


def test_hostile_marked_mail_is_parsed_in_linear_time():
    n = 40_000
    start = time.perf_counter()
    parse_message(build_mail(body=None, html=hostile(n // 4)), CONTEXT)
    small = time.perf_counter() - start
    start = time.perf_counter()
    record = parse_message(build_mail(body=None, html=hostile(n)), CONTEXT)
    full = time.perf_counter() - start
    assert record.kind in ("report", "other")
    assert full < 10.0 and full < 8 * small + 1.0, f"{small:.2f} s at n/4, {full:.2f} s at n"


@pytest.mark.parametrize("client", list(CLIENTS))
def test_the_named_levels_with_one_marked(client):
    levels = ["Normalt", "Avvikande", "Oroande", "Allvarligt", "Kritiskt"]
    template = MARKS[client]["highlight"]
    lines = ["Påverkan: " + " ".join(template.format(w) if i + 1 == s else w for i, w in enumerate(levels))
             for s in SCORES]
    assert scores(parse(body(client, lines))) == list(SCORES)
