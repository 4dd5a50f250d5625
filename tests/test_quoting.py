"""split_reply / strip_quote_prefix / forwarded_body on plain-text and HTML bodies."""

from __future__ import annotations

import pytest

from parsers.html_reader import html_to_blocks
from parsers.model import Block
from parsers.quoting import forwarded_body, split_reply, strip_quote_prefix

TITLES = [
    "Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
    "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt",
    "Positiva åtgärder eller händelser",
]
REMINDER = "\n".join(
    ["Hej! Vi har ännu inte fått er lägesbild för oktober. Frågorna är:"]
    + [f"Fråga {n}, {title}:" for n, title in enumerate(TITLES, 1)]
    + ["Påverkan: 1-5", "Kommentar:", "", "Länsstyrelsen Dalarna"]
)
REPORT = """1. Ordningsstörningar och otrygghet
Inbrott i två förråd vid Noretskolan.
Påverkan: 2
Från: skolan har vi fått signaler om oro bland eleverna.
Datum: 12 oktober
Kommentar: Polisen informerad.
7. Positiva åtgärder eller händelser
Kommentar: Nattvandring varje fredag."""
REPORT_LINES = [line for line in REPORT.splitlines() if line]

OUTLOOK_SV = """________________________________
Från: Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>
Skickat: den 2 november 2026 08:00
Till: Anna Berg <anna.berg@mora.se>
Kopia: Per Holm <per.holm@mora.se>
Ämne: Påminnelse: lägesbild oktober
"""
OUTLOOK_EN = """From: Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>
Sent: Monday, November 2, 2026 8:00 AM
To: Anna Berg <anna.berg@mora.se>
Subject: Reminder: lägesbild oktober
"""
NEW_OUTLOOK_SV = """Från: Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>
Datum: måndag, 2 november 2026 08:00
Till: Anna Berg <anna.berg@mora.se>
Ämne: Påminnelse: lägesbild oktober
"""


def blocks(text: str) -> list[Block]:
    """One block per line, empty lines kept, as a plain-text reader gives them."""
    return [Block(line) for line in text.splitlines()]


def nonempty(items: list[Block]) -> list[str]:
    return [b.text for b in items if b.text.strip()]


REPLY_CASES = [
    pytest.param(f"{REPORT}\n\n{OUTLOOK_SV}\n{REMINDER}", "________________________________",
                 id="outlook-sv-header-with-rule"),
    pytest.param(f"{REPORT}\n\n{OUTLOOK_EN}\n{REMINDER}", OUTLOOK_EN.splitlines()[0],
                 id="outlook-en-header"),
    pytest.param(f"{REPORT}\n\n{NEW_OUTLOOK_SV}\n{REMINDER}", NEW_OUTLOOK_SV.splitlines()[0],
                 id="new-outlook-datum"),
    pytest.param(f"{REPORT}\n-----Ursprungligt meddelande-----\n{NEW_OUTLOOK_SV}\n{REMINDER}",
                 "-----Ursprungligt meddelande-----", id="ursprungligt-meddelande"),
    pytest.param(f"{REPORT}\n-----Original Message-----\n{OUTLOOK_EN}{REMINDER}",
                 "-----Original Message-----", id="original-message"),
    pytest.param(
        f"{REPORT}\n\nDen tis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>:\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "Den tis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>:",
        id="gmail-sv-skrev"),
    pytest.param(
        f"{REPORT}\n\ntis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>:\n\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "tis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>:",
        id="gmail-sv-weekday-first"),
    pytest.param(
        f"{REPORT}\n\nOn Tue, 3 Nov 2026 at 10:12, Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se> wrote:\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "On Tue, 3 Nov 2026 at 10:12, Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se> wrote:",
        id="gmail-en-wrote"),
    pytest.param(
        f"{REPORT}\n\nOn Tue, 3 Nov 2026 at 10:12, Lägesbild FAS Dalarna <\nlagesbild-fas.dalarna@lansstyrelsen.se> wrote:\n\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "On Tue, 3 Nov 2026 at 10:12, Lägesbild FAS Dalarna <", id="wrapped-wrote"),
    pytest.param(
        f"{REPORT}\n\nDen 2026-11-03 kl. 10:12, skrev Lägesbild FAS Dalarna:\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "Den 2026-11-03 kl. 10:12, skrev Lägesbild FAS Dalarna:", id="thunderbird-sv-skrev"),
    pytest.param(
        f"{REPORT}\n\nOn 11/3/26 10:12, Lägesbild FAS Dalarna wrote:\n"
        + "\n".join("> " + line for line in REMINDER.splitlines()),
        "On 11/3/26 10:12, Lägesbild FAS Dalarna wrote:", id="thunderbird-en-wrote"),
    pytest.param(f"{REPORT}\n>{REMINDER.splitlines()[0]}", ">" + REMINDER.splitlines()[0],
                 id="bare-quote-prefix"),
]


@pytest.mark.parametrize("text, first_quoted", REPLY_CASES)
def test_report_above_quoted_reminder(text, first_quoted):
    own, rest = split_reply(blocks(text))
    assert nonempty(own) == REPORT_LINES
    assert not any(title in b.text for b in own for title in TITLES[1:6])
    assert rest[0].text == first_quoted


def test_outlook_html_reply_sv_keeps_titles_out_of_own_part():
    html = f"""<html><head><style><!-- p.MsoNormal {{margin:0cm;}} --></style></head>
<body lang="SV"><div class="WordSection1">
{"".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>' for line in REPORT_LINES)}
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>Från:</b> Lägesbild FAS Dalarna &lt;lagesbild-fas.dalarna@lansstyrelsen.se&gt;
<br><b>Skickat:</b> den 2 november 2026 08:00<br><b>Till:</b> Anna Berg &lt;anna.berg@mora.se&gt;
<br><b>Ämne:</b> SV: Påminnelse: lägesbild oktober<o:p></o:p></p></div></div>
{"".join(f'<p class="MsoNormal">{line}<o:p></o:p></p>' for line in REMINDER.splitlines())}
</div></body></html>"""
    own, rest = split_reply(html_to_blocks(html))
    assert nonempty(own) == REPORT_LINES
    assert rest[0].text.startswith("> Från: Lägesbild FAS Dalarna")
    assert all(b.text.startswith(">") for b in rest)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(REPORT, id="fran-skolan-in-answer"),
        pytest.param("Från: skolan\nSkickat: ett brev till föräldrarna\nKommentar: inget mer", id="partial-header"),
        pytest.param("Kommentar: Polisen skrev kl 10.12 följande:\nInget nytt.", id="skrev-in-answer"),
        pytest.param("Påverkan:\n>5 personer greps\nKommentar:", id="greater-than-number"),
        pytest.param("Hej!\n\nMed vänlig hälsning\n__________________\nMora kommun", id="signature-rule"),
    ],
)
def test_ordinary_text_is_not_cut(text):
    own, rest = split_reply(blocks(text))
    assert rest == []
    assert own == blocks(text)


FORWARD_INTRO = "Hej, vidarebefordrar Moras rapport"
MORA_REPORT = "Fråga 1, Ordningsstörningar och otrygghet:\nInbrott i två förråd.\nPåverkan: 2"

FORWARD_CASES = [
    pytest.param(
        f"{FORWARD_INTRO}\n\n-----Ursprungligt meddelande-----\n{NEW_OUTLOOK_SV}\n{MORA_REPORT}",
        id="outlook-ursprungligt"),
    pytest.param(f"{FORWARD_INTRO}\n\n{OUTLOOK_SV}\n{MORA_REPORT}", id="outlook-rule-header"),
    pytest.param(
        f"{FORWARD_INTRO}\n\n---------- Forwarded message ---------\nFrom: Anna Berg <anna.berg@mora.se>\n"
        "Date: tis 3 nov. 2026 kl 10:12\nSubject: Lägesbild oktober Mora\n"
        f"To: <lagesbild-fas.dalarna@lansstyrelsen.se>\n\n\n{MORA_REPORT}",
        id="gmail-forwarded-message"),
    pytest.param(
        f"{FORWARD_INTRO}\n\n-------- Vidarebefordrat meddelande --------\nÄmne: \tLägesbild oktober Mora\n"
        f"Datum: \tTue, 3 Nov 2026 10:12:00 +0100\nFrån: \tAnna Berg <anna.berg@mora.se>\n"
        f"Till: \tlagesbild-fas.dalarna@lansstyrelsen.se\n\n\n\n{MORA_REPORT}",
        id="thunderbird-vidarebefordrat"),
    pytest.param(
        f"{FORWARD_INTRO}\n\nBegin forwarded message:\n\nFrom: Anna Berg <anna.berg@mora.se>\n"
        "Subject: Lägesbild oktober Mora\nDate: 3 November 2026 at 10:12:00 CET\n"
        f"To: lagesbild-fas.dalarna@lansstyrelsen.se\n\n{MORA_REPORT}",
        id="apple-begin-forwarded"),
]


@pytest.mark.parametrize("text", FORWARD_CASES)
def test_forward_plain(text):
    own, rest = split_reply(blocks(text))
    assert nonempty(own) == [FORWARD_INTRO]
    assert nonempty(forwarded_body(rest)) == MORA_REPORT.splitlines()


HTML_FORWARDS = [
    pytest.param(
        f"""<div dir="ltr">{FORWARD_INTRO}<br><br><div class="gmail_quote gmail_quote_container">
<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>Från: <strong class="gmail_sendername" dir="auto">Anna Berg</strong>
<span dir="auto">&lt;<a href="mailto:anna.berg@mora.se">anna.berg@mora.se</a>&gt;</span><br>Date: tis 3 nov. 2026 kl 10:12<br>
Subject: Lägesbild oktober Mora<br>To: &lt;<a href="mailto:lagesbild-fas.dalarna@lansstyrelsen.se">lagesbild-fas.dalarna@lansstyrelsen.se</a>&gt;<br></div><br><br>
<div dir="ltr">{"".join(f"<div>{line}</div>" for line in MORA_REPORT.splitlines())}</div></div></div>""",
        id="gmail-html"),
    pytest.param(
        f"""<html><body dir="ltr"><div class="elementToProof">{FORWARD_INTRO}</div>
<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt"><b>Från:</b> Anna Berg &lt;anna.berg@mora.se&gt;<br>
<b>Skickat:</b> den 3 november 2026 10:12<br><b>Till:</b> Lägesbild FAS Dalarna<br><b>Ämne:</b> Lägesbild oktober Mora</font>
<div>&nbsp;</div></div>{"".join(f'<div class="elementToProof">{line}</div>' for line in MORA_REPORT.splitlines())}
</body></html>""",
        id="owa-html"),
    pytest.param(
        f"""<html><body><p>{FORWARD_INTRO}<br></p><div class="moz-forward-container"><br><br>
-------- Vidarebefordrat meddelande --------
<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0"><tbody>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Ämne: </th><td>Lägesbild oktober Mora</td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Datum: </th><td>Tue, 3 Nov 2026 10:12:00 +0100</td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Från: </th><td>Anna Berg <a class="moz-txt-link-rfc2396E" href="mailto:anna.berg@mora.se">&lt;anna.berg@mora.se&gt;</a></td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Till: </th><td>lagesbild-fas.dalarna@lansstyrelsen.se</td></tr>
</tbody></table><br>{"".join(f"<p>{line}</p>" for line in MORA_REPORT.splitlines())}</div></body></html>""",
        id="thunderbird-html"),
]


@pytest.mark.parametrize("html", HTML_FORWARDS)
def test_forward_html(html):
    own, rest = split_reply(html_to_blocks(html))
    assert nonempty(own) == [FORWARD_INTRO]
    assert nonempty(forwarded_body(rest)) == MORA_REPORT.splitlines()


def test_forward_of_a_reply_drops_the_inner_quote():
    text = (f"-----Ursprungligt meddelande-----\n{NEW_OUTLOOK_SV}\n{MORA_REPORT}\n\n"
            f"{OUTLOOK_SV}\n{REMINDER}")
    own, rest = split_reply(blocks(text))
    assert own == []
    assert nonempty(forwarded_body(rest)) == MORA_REPORT.splitlines()


def test_forward_of_a_forward_is_followed():
    text = (f"{OUTLOOK_SV}\n-----Ursprungligt meddelande-----\n{NEW_OUTLOOK_SV}\n{MORA_REPORT}")
    _, rest = split_reply(blocks(text))
    assert nonempty(forwarded_body(rest)) == MORA_REPORT.splitlines()


@pytest.mark.parametrize(
    "given, levels, expected",
    [
        ([Block("> a"), Block(">> b"), Block("> > c"), Block(">"), Block("d")], 1,
         [Block("a"), Block("> b"), Block("> c"), Block("d")]),
        ([Block("> > c"), Block(">>b")], 2, [Block("c"), Block("b")]),
        ([Block("> x", cell=True, fill="FFFF00"), Block("> ", cell=True, fill="00B050")], 1,
         [Block("x", cell=True, fill="FFFF00"), Block("", cell=True, fill="00B050")]),
        ([Block(""), Block("utan citat")], 1, [Block(""), Block("utan citat")]),
    ],
)
def test_strip_quote_prefix(given, levels, expected):
    assert strip_quote_prefix(given, levels) == expected


def test_no_marker_keeps_everything():
    assert split_reply(blocks(REPORT)) == (blocks(REPORT), [])
    assert split_reply([]) == ([], [])
