"""html_to_blocks: HTML mail bodies as Outlook, Gmail and Thunderbird write them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.html_reader import html_to_blocks, parse_colour
from parsers.model import Block

OUTLOOK_HEAD = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\\:* {behavior:url(#default#VML);}</style><![endif]-->
<style><!--
p.MsoNormal {margin:0cm; font-family:"Aptos",sans-serif;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--></head>
<body lang="SV" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""
OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"


def texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


OUTLOOK_REPLY = OUTLOOK_HEAD + """
<p class="MsoNormal">Fr&aring;ga 1, Ordningsst&ouml;rningar och otrygghet:<o:p></o:p></p>
<p class="MsoNormal">P&aring;verkan: 2<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>Fr&aring;n:</b> L&auml;gesbild FAS Dalarna &lt;lagesbild-fas.dalarna@lansstyrelsen.se&gt;
<br><b>Skickat:</b> den 2 november 2026 08:00<br><b>Till:</b> Anna Berg &lt;anna.berg@mora.se&gt;
<br><b>&Auml;mne:</b> P&aring;minnelse: l&auml;gesbild oktober<o:p></o:p></p>
</div>
</div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Fr&aring;ga 1, Ordningsst&ouml;rningar och otrygghet<o:p></o:p></p>
""" + OUTLOOK_TAIL

OWA_FORWARD = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>
<body dir="ltr">
<div class="elementToProof" style="font-family: Aptos, sans-serif; font-size: 12pt;">Hej, vidarebefordrar Moras rapport</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>Från:</b> Anna Berg &lt;anna.berg@mora.se&gt;<br>
<b>Skickat:</b> den 3 november 2026 10:12<br><b>Till:</b> Karin Dahl &lt;karin.dahl@falun.se&gt;<br>
<b>Ämne:</b> Lägesbild oktober Mora</font>
<div>&nbsp;</div></div>
<div class="elementToProof">Fråga 1, Ordningsstörningar och otrygghet:</div>
<div class="elementToProof">Påverkan: 1</div>
</body></html>
"""

GMAIL_REPLY = """<div dir="ltr">Här kommer rapporten.<div><br></div><div>Fråga 1, Ordningsstörningar och otrygghet:</div></div><br>
<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">Den tis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna &lt;<a href="mailto:lagesbild-fas.dalarna@lansstyrelsen.se">lagesbild-fas.dalarna@lansstyrelsen.se</a>&gt;:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">Hej!<div>Påminnelse om lägesbilden.</div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Äldre text</blockquote></div></blockquote></div>
"""

THUNDERBIRD_REPLY = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head>
<body>
<p>Tack, rapporten kommer på fredag.</p>
<div class="moz-cite-prefix">Den 2026-11-04 kl. 08:00, skrev Lägesbild FAS Dalarna:<br></div>
<blockquote type="cite" cite="mid:20261104070000.5b8e02c4@mailbot.lansstyrelsen.se">
<pre class="moz-quote-pre" wrap="">Hej!

Vi har ännu inte fått Moras lägesbild.
</pre></blockquote>
</body></html>
"""

THUNDERBIRD_FORWARD = """<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head>
<body><p>Hej, vidarebefordrar Moras rapport<br></p>
<div class="moz-forward-container"><br><br>
-------- Vidarebefordrat meddelande --------
<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0">
<tbody>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Ämne: </th><td>Lägesbild oktober</td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Datum: </th><td>Tue, 3 Nov 2026 10:12:00 +0100</td></tr>
</tbody></table><br>
<p>Fråga 1, Ordningsstörningar och otrygghet:</p>
</div></body></html>
"""

OUTLOOK_LIST = OUTLOOK_HEAD + """
<p class="MsoListParagraph" style="text-indent:-18.0pt;mso-list:l0 level1 lfo1"><![if !supportLists]><span style="font-family:Symbol"><span style="mso-list:Ignore">&middot;<span style="font:7.0pt &quot;Times New Roman&quot;">&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]>Klotter vid skolan<o:p></o:p></p>
<p class="MsoListParagraph" style="text-indent:-18.0pt;mso-list:l1 level1 lfo2"><!--[if !supportLists]--><span><span style="mso-list:Ignore">2.<span style="font:7.0pt &quot;Times New Roman&quot;">&nbsp;&nbsp;
</span></span></span><!--[endif]-->Andra punkten<o:p></o:p></p>
""" + OUTLOOK_TAIL

OUTLOOK_TABLE = OUTLOOK_HEAD + """
<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse;border:none">
<tr>
<td width="295" valign="top" style="width:221.0pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt">
<p class="MsoNormal">Sammanst&auml;lld bed&ouml;mning:<o:p></o:p></p></td>
<td width="60" valign="top" style="width:45.0pt;border:solid windowtext 1.0pt;background:#92D050;padding:0cm 5.4pt 0cm 5.4pt">
<p class="MsoNormal"><o:p>&nbsp;</o:p></p></td>
<td width="60" valign="top" bgcolor="yellow" style="border:solid windowtext 1.0pt">
<p class="MsoNormal">Gult<o:p></o:p></p><p class="MsoNormal">andra stycket<o:p></o:p></p></td>
<td style="background-color: rgb(255, 0, 0)"></td>
<td></td>
</tr>
</table>
""" + OUTLOOK_TAIL

CASES = [
    pytest.param(
        "<p>Hej,</p><p>rad&nbsp;ett   med\n  mellanrum</p>",
        ["Hej,", "rad ett med mellanrum"], id="paragraphs-nbsp-whitespace"),
    pytest.param(
        "<div>a<br>b<br/><br>c</div><div></div><p>&nbsp;</p>",
        ["a", "b", "c"], id="br-and-empty-lines"),
    pytest.param(
        "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>"
        "<!-- kommentar --><p>synlig</p></body></html>",
        ["synlig"], id="head-style-script-comment"),
    pytest.param(
        OUTLOOK_HEAD + '<p class="MsoNormal">Fr&aring;ga 1<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal"><b>P&aring;verkan:</b> 3</p>'
        + OUTLOOK_TAIL,
        ["Fråga 1", "Påverkan: 3"], id="outlook-filtered"),
    pytest.param(
        "<h2>Rubrik</h2><ul><li>ett</li><li><p>två</p></li></ul><ol start=3><li>tre<li>fyra</ol>",
        ["Rubrik", "• ett", "• två", "3. tre", "4. fyra"], id="lists"),
    pytest.param(OUTLOOK_LIST, ["• Klotter vid skolan", "2. Andra punkten"], id="outlook-list-bullets"),
    pytest.param(
        '<div>synlig</div><div style="display:none">dold</div><span style="mso-hide:all">dold</span>',
        ["synlig"], id="hidden"),
    pytest.param(
        "<p>in<b>line</b> <i>text</i></p><pre>rad 1\n   rad  2\n</pre>",
        ["inline text", "rad 1", "rad 2"], id="inline-and-pre"),
    pytest.param(
        "<blockquote>citat</blockquote>"
        '<blockquote style="margin:0 0 0 40px;border:none;padding:0px">indrag</blockquote>',
        ["> citat", "indrag"], id="blockquote-vs-gmail-indent"),
    pytest.param(
        OUTLOOK_REPLY,
        ["Fråga 1, Ordningsstörningar och otrygghet:", "Påverkan: 2",
         "> Från: Lägesbild FAS Dalarna <lagesbild-fas.dalarna@lansstyrelsen.se>",
         "> Skickat: den 2 november 2026 08:00", "> Till: Anna Berg <anna.berg@mora.se>",
         "> Ämne: Påminnelse: lägesbild oktober", "> Fråga 1, Ordningsstörningar och otrygghet"],
        id="outlook-desktop-reply-header"),
    pytest.param(
        '<p>Text</p><div style="border:none;border-top:solid #4472C4 1.0pt"><p>Faktaruta</p></div><p>Mer</p>',
        ["Text", "Faktaruta", "Mer"], id="border-top-box-is-not-a-reply-header"),
    pytest.param(
        OWA_FORWARD,
        ["Hej, vidarebefordrar Moras rapport", "> Från: Anna Berg <anna.berg@mora.se>",
         "> Skickat: den 3 november 2026 10:12", "> Till: Karin Dahl <karin.dahl@falun.se>",
         "> Ämne: Lägesbild oktober Mora", "> Fråga 1, Ordningsstörningar och otrygghet:",
         "> Påverkan: 1"],
        id="owa-divRplyFwdMsg"),
    pytest.param(
        GMAIL_REPLY,
        ["Här kommer rapporten.", "Fråga 1, Ordningsstörningar och otrygghet:",
         "> Den tis 3 nov. 2026 kl 10:12 skrev Lägesbild FAS Dalarna "
         "<lagesbild-fas.dalarna@lansstyrelsen.se>:",
         "> Hej!", "> Påminnelse om lägesbilden.", "> > Äldre text"],
        id="gmail-reply"),
    pytest.param(
        THUNDERBIRD_REPLY,
        ["Tack, rapporten kommer på fredag.",
         "> Den 2026-11-04 kl. 08:00, skrev Lägesbild FAS Dalarna:",
         "> Hej!", "> Vi har ännu inte fått Moras lägesbild."],
        id="thunderbird-reply"),
    pytest.param(
        THUNDERBIRD_FORWARD,
        ["Hej, vidarebefordrar Moras rapport", "> -------- Vidarebefordrat meddelande --------",
         "> Ämne: Lägesbild oktober", "> Datum: Tue, 3 Nov 2026 10:12:00 +0100",
         "> Fråga 1, Ordningsstörningar och otrygghet:"],
        id="thunderbird-forward-header-table"),
]


@pytest.mark.parametrize("html, expected", CASES)
def test_lines(html, expected):
    assert texts(html_to_blocks(html)) == expected


def test_table_cells_and_shading():
    assert html_to_blocks(OUTLOOK_TABLE) == [
        Block("Sammanställd bedömning:", cell=True),
        Block("", cell=True, fill="92D050"),
        Block("Gult", cell=True, fill="FFFF00"),
        Block("andra stycket", cell=True, fill="FFFF00"),
        Block("", cell=True, fill="FF0000"),
    ]


@pytest.mark.parametrize(
    "html, expected",
    [
        pytest.param(
            "<table><tr><td>a<td>b<tr><td>c</table><p>efter</p>",
            [Block("a", cell=True), Block("b", cell=True), Block("c", cell=True), Block("efter")],
            id="unclosed-cells"),
        pytest.param(
            '<table><tr bgcolor="#FF0000"><td>röd rad</td><td style="background:none">x</td></tr></table>',
            [Block("röd rad", cell=True, fill="FF0000"), Block("x", cell=True, fill="FF0000")],
            id="row-fill-shows-through-transparent-cell"),
        pytest.param(
            "<table><tr><td>yttre<table><tr><td bgcolor=lime>inre</td></tr></table></td></tr></table>",
            [Block("yttre", cell=True), Block("inre", cell=True, fill="00FF00")],
            id="nested-table"),
        pytest.param(
            "<blockquote type=cite><table><tr><td bgcolor=red>Rött</td></tr></table></blockquote>",
            [Block("> Rött", cell=True, fill="FF0000")],
            id="quoted-cell"),
    ],
)
def test_cells(html, expected):
    assert html_to_blocks(html) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("#92d050", "92D050"), ("#ff0", "FFFF00"), ("92D050", "92D050"), ("lime", "00FF00"),
        ("green", "008000"), ("Yellow", "FFFF00"), ("rgb(0, 176, 80)", "00B050"),
        ("rgba(255,0,0,0)", None), ("url(x.png) #C00000 no-repeat", "C00000"),
        ("transparent", None), ("windowtext", None), ("", None), (None, None), ("bogus", None),
    ],
)
def test_parse_colour(value, expected):
    assert parse_colour(value) == expected


@pytest.mark.parametrize(
    "html",
    ["<![bogus[x", "<![ if ", "<p>oavslutad <b>fet", "</div></td></tr></table>",
     "<td bgcolor=>x", "<ol start=x><li>a", "&#99999999;", "<a href='x", "<!--", "<![if !supportLists]>x"],
)
def test_malformed_input_does_not_raise(html):
    assert isinstance(html_to_blocks(html), list)


@pytest.mark.parametrize(
    "html, count",
    [("<div>x" * 20000, 20000), ("<b>x " * 20000, 1), ("<table><tr><td>x" * 5000, 5000)],
    ids=["unclosed-divs", "unclosed-inline", "nested-tables"],
)
def test_deep_nesting_stays_linear(html, count):
    # libxml2 nests at most 256 levels and drops what is deeper: no mail client writes that,
    # and the time stays linear (well under a second, not minutes).
    blocks = html_to_blocks(html)
    assert min(count, 80) <= len(blocks) <= count and blocks[0].text.startswith("x")


TAGS = st.sampled_from(
    ["<p>", "</p>", "<div>", "</div>", "<br>", "<td bgcolor=red>", "</td>", "<tr>", "<table>",
     "</table>", "<blockquote type=cite>", "</blockquote>", "<li>", "<ol>", "<pre>", "</pre>",
     "<style>", "</style>", "<!--", "-->", "<![if !supportLists]>", "<![endif]>", "<o:p>",
     '<div class="gmail_quote">', '<div id="divRplyFwdMsg">', "&nbsp;", "<![", "<!", "<"]
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(TAGS, st.text(max_size=8)), max_size=40).map("".join)))
def test_any_text_never_raises(html):
    for block in html_to_blocks(html):
        assert block.text == block.text.strip()
        assert block.text or (block.cell and block.fill)
