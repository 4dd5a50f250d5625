"""Matching answers against routing rules: word forms, compounds, negation, ratings, filters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.model import Answer, Signal
from rules.loader import load_rules, rules_from_texts
from rules.matcher import EXCERPT_LIMIT, explain, find_hits, match, render_explanations

SHIPPED = load_rules()


def fired(text: str, question: int = 5, score: int | None = 2, color: str | None = None) -> set[str]:
    return {s.rule for s in match([Answer(question, score, color, text)], SHIPPED)}


# --- the shared samples' texts -------------------------------------------------


@pytest.mark.parametrize(
    ("question", "text", "rule"),
    [
        (5, "Fältgruppen har sett tecken på narkotikahandel vid skateparken.\nPolisen är informerad.", "narkotika"),
        (3, "Klistermärken med rasistiskt budskap vid busstationen.\nBorttagna.", "extremism"),
    ],
)
def test_sample_signals(question, text, rule):
    signals = match([Answer(question, 2, None, text)], SHIPPED)
    assert [s.rule for s in signals] == [rule]
    assert signals[0].question == question
    assert signals[0].excerpt == text.split("\n")[0]


@pytest.mark.parametrize(
    "text",
    [
        "Inga nya uppgifter denna period.",
        "Inget att rapportera denna period.",
        "Fortsatt snusande bland mellanstadiebarn.",
        "Inga kända händelser av hot eller våld i offentlig miljö.",
        "Klotter med gängnamn på en transformatorstation.\nSanerat.",
        "Lugnt på skolorna och fritidsgårdarna.",
        "Inget nytt under perioden.",
        "Ökad spelproblematik, snus och nikotinpåsar bland unga.",
        "Kommande höstmarknad på torget, extra ordningsvakter är beställda.",
    ],
)
def test_plain_texts_fire_nothing(text):
    assert fired(text) == set()


# --- inflections, compounds, case, å/ä/ö ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Misstänkt narkotikaförsäljning vid stationen.", "narkotika"),
        ("Cannabisrökning bland gymnasieelever.", "narkotika"),
        ("Droghandeln har flyttat till parken.", "narkotika"),
        ("Narkotikahandel i centrum.", "narkotika"),
        ("Ungdomar som säljer droger.", "narkotika"),
        ("Langning av alkohol till minderåriga.", "narkotika"),
        ("Två langare har setts vid skolan.", "narkotika"),
        ("Polisen beslagtog hasch.", "narkotika"),
        ("Kokainet var billigt.", "narkotika"),
        ("Metamfetamin har hittats.", "narkotika"),
        ("Gatuknark säljs öppet.", "narkotika"),
        ("Spice-rökning på skolgården.", "narkotika"),
        ("THC-vape säljs till elever.", "narkotika"),
        ("Kvinnor som misstänks vara prostituerade.", "prostitution"),
        ("Misstänkt ungdomsprostitution.", "prostitution"),
        ("En ökning av sexköp via nätet.", "prostitution"),
        ("Misstänkt koppleri i en lägenhet.", "prostitution"),
        ("En man köpte sex av en kvinna.", "prostitution"),
        ("Uppgifter om människohandel.", "prostitution"),
        ("Klistermärkena från NMR sitter kvar.", "extremism"),
        ("NMR-klistermärken vid skolan.", "extremism"),
        ("Nordiska motståndsrörelsen delade ut flygblad.", "extremism"),
        ("Flygblad från Nordiska Motståndsrörelsens aktivister.", "extremism"),
        ("En aktivklubb tränar i skogen.", "extremism"),
        ("Nynazistiska klistermärken sattes upp.", "extremism"),
        ("Oro för radikalisering bland unga.", "extremism"),
        ("Ungdomar radikaliseras på nätet.", "extremism"),
        ("Rekrytering till våldsbejakande miljöer.", "extremism"),
        ("Högerextrema grupper har synts.", "extremism"),
        ("Våld i nära relationer ökar.", "mäns_våld_mot_kvinnor"),
        ("Ökning av hedersrelaterat våld och förtryck.", "mäns_våld_mot_kvinnor"),
        ("Kvinna misshandlad av sin partner i en nära relation.", "mäns_våld_mot_kvinnor"),
        ("Anabola steroider på gymmet.", "doping"),
    ],
)
def test_word_forms_and_compounds(text, rule):
    assert rule in fired(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("NARKOTIKAHANDEL VID SKOLAN", "narkotika"),
        ("ÖKAD MÄNNISKOHANDEL I CENTRUM", "prostitution"),
        ("Människohandel misstänks.", "prostitution"),
        ("manniskohandel misstanks i centrum", "prostitution"),  # typed without å/ä/ö
        ("Sexkop i centrum enligt polisen", "prostitution"),
        ("VÅLDSBEJAKANDE EXTREMISM", "extremism"),
        ("Hedersförtryck mot flickor.", "mäns_våld_mot_kvinnor"),
    ],
)
def test_case_and_swedish_letters(text, rule):
    assert rule in fired(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Drogfri skolavslutning genomfördes.", "narkotika"),
        ("Alkohol- och drogfria aktiviteter på lovet.", "narkotika"),
        ("Narkotikaförebyggande föreläsning för föräldrar.", "narkotika"),
        ("Polisen drog slutsatsen att det var bus.", "narkotika"),
        ("Lugnt på hospice och äldreboende.", "narkotika"),
        ("Spel om pengar bland unga.", "narkotika"),
        ("Snus och tobak ökar.", "narkotika"),
        ("Antirasistisk föreläsning på skolan.", "extremism"),
        ("Valpropaganda på torget inför valet.", "extremism"),
        ("Polisen eskorterade demonstranterna.", "prostitution"),
        ("Hot eller våld i offentlig miljö.", "mäns_våld_mot_kvinnor"),
    ],
)
def test_false_friends_do_not_fire(text, rule):
    assert rule not in fired(text)


def test_except_words_are_reported_by_explain():
    narkotika = next(e for e in explain("Drogfri skolavslutning.", SHIPPED) if e.rule.name == "narkotika")
    assert not narkotika.fired and narkotika.excepted == ("drogfri",)


# --- negation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "negator"),
    [
        ("Inga tecken på narkotikahandel.", "narkotika", "inga"),
        ("Vi har inte sett någon prostitution.", "prostitution", "inte"),
        ("Ingen känd extremism i kommunen.", "extremism", "ingen"),
        ("Bråk utan koppling till droger.", "narkotika", "utan"),
        ("Inget som tyder på droghandel.", "narkotika", "inget"),
        ("Inte heller några droger.", "narkotika", "inte"),
        ("Varken droger eller prostitution har förekommit.", "narkotika", "varken"),
        ("Varken droger eller prostitution har förekommit.", "prostitution", "varken"),
        ("Inga rapporter om inbrott, skadegörelse eller droger.", "narkotika", "inga"),
        ("Det finns inga kända uppgifter om att det förekommer narkotikahandel i området.", "narkotika", "inga"),
        ("Polisen har ej noterat någon langning.", "narkotika", "ej"),
        ("Det var inte droger utan alkohol.", "narkotika", "inte"),
        ("Narkotika: inga nya uppgifter.", "narkotika", "inga"),
        ("Droghandel förekommer inte vid skolan.", "narkotika", "inte"),
        ("Prostitution har inte observerats.", "prostitution", "inte"),
        ("INGA TECKEN PÅ NARKOTIKA.", "narkotika", "inga"),
        ("Prostitution har vi ingen kännedom om.", "prostitution", "ingen"),
        ("Langning vid skolan har inte setts.", "narkotika", "inte"),
    ],
)
def test_negated_mentions_do_not_fire(text, rule, negator):
    assert rule not in fired(text)
    explanation = next(e for e in explain(text, SHIPPED) if e.rule.name == rule)
    assert not explanation.fired
    assert explanation.suppressed and explanation.suppressed[0].negated_by == negator


@pytest.mark.parametrize(
    ("text", "rule", "excerpt"),
    [
        # a new sentence ends the negation
        ("Inga tecken på narkotika. Däremot kokain i parken.", "narkotika", "Däremot kokain i parken."),
        ("Ingen prostitution. Misstänkt koppleri i en lägenhet.", "prostitution", "Misstänkt koppleri i en lägenhet."),
        # "men", "dock", "däremot" end it
        ("Inga tecken på narkotika men kokain i parken.", "narkotika", None),
        ("Vi har inte sett någon prostitution, men sexköp via nätet ökar.", "prostitution", None),
        ("Ingen extremism i skolan, dock nazistiska klistermärken i centrum.", "extremism", None),
        ("Inga droger på skolan, däremot langning vid stationen.", "narkotika", None),
        # "inte X utan Y" affirms Y
        ("Det handlar inte om alkohol utan om narkotika.", "narkotika", None),
        # "inte bara", "inte minst", "inte ovanligt", "ingen tvekan" are not negations
        ("Inte bara alkohol utan även cannabis.", "narkotika", None),
        ("Det är inte ovanligt med cannabis i skolan.", "narkotika", None),
        ("Det finns ingen tvekan om att langning förekommer.", "narkotika", None),
        ("Inte minst narkotikahandeln oroar.", "narkotika", None),
        # negated action, not the thing itself
        ("Polisen har inte lyckats stoppa langningen.", "narkotika", None),
        ("Narkotikahandeln har inte minskat.", "narkotika", None),
        ("Vi vet inte var drogerna kommer ifrån.", "narkotika", None),
        ("Ingen vet vem som säljer droger på skolan.", "narkotika", None),
        # far from the negation, after "och" and a new subject
        ("Inga större händelser och polisen rapporterar att narkotikahandeln har ökat.", "narkotika", None),
        # a "no" later in the sentence about something else
        ("Kokain i parken, inga gripanden ännu.", "narkotika", None),
        ("Droghandel vid stationen… Inga fler detaljer.", "narkotika", "Droghandel vid stationen…"),
        # wrapped line (continues in lower case) vs new line
        ("Inga tecken\npå narkotika.", None, None),
        ("Inga inbrott\nNarkotikahandel vid stationen.", "narkotika", "Narkotikahandel vid stationen."),
        ("Inga inbrott\n- narkotikahandel vid stationen", "narkotika", "narkotikahandel vid stationen"),
        # an abbreviation's dot does not end the sentence
        ("Inga droger, t.ex. hasch, har hittats.", None, None),
    ],
)
def test_negation_scope(text, rule, excerpt):
    rules = fired(text)
    if rule is None:
        assert not rules & {"narkotika", "prostitution", "extremism"}
        return
    assert rule in rules
    if excerpt is not None:
        signal = next(s for s in match([Answer(5, 2, None, text)], SHIPPED) if s.rule == rule)
        assert signal.excerpt == excerpt


# --- rating rules and filters ------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "score", "color", "rule"),
    [
        (1, 4, None, "hög_påverkan_fråga_1"),
        (2, 5, None, "hög_påverkan_fråga_2"),
        (3, 4, None, "hög_påverkan_fråga_3"),
        (5, None, "röd", "hög_påverkan_fråga_5"),
        (6, None, "Röd", "hög_påverkan_fråga_6"),
        (4, 3, None, None),
        (5, None, "gul", None),
        (7, None, None, None),
        (1, None, None, None),
    ],
)
def test_rating_rules(question, score, color, rule):
    signals = match([Answer(question, score, color, "Lugnt.")], SHIPPED)
    assert [s.rule for s in signals] == ([rule] if rule else [])
    if rule:
        assert signals[0].question == question
        assert signals[0].excerpt.startswith("Påverkan" if score else "Bedömning")


def test_rating_rules_route_by_question():
    assert SHIPPED.unit_for("hög_påverkan_fråga_5").key == "andt"
    assert SHIPPED.unit_for("hög_påverkan_fråga_3").key == "extremism"
    assert {SHIPPED.unit_for(f"hög_påverkan_fråga_{q}").key for q in (1, 2, 4, 6)} == {"brottsforebyggande"}


CUSTOM = rules_from_texts(
    [
        (
            "custom.toml",
            """
[[unit]]
key = "u"
name = "Enhet"
addresses = ["u@lansstyrelsen.example"]

[[rule]]
name = "bara_fraga_3"
unit = "u"
terms = ["klotter"]
questions = [3]

[[rule]]
name = "klotter_allvarligt"
unit = "u"
terms = ["klotter"]
min_score = 4
colors = ["röd"]

[[rule]]
name = "klistermarken"
unit = "u"
terms = ["klistermärke + nazistisk"]

[[rule]]
name = "gul_eller_rod"
unit = "u"
kind = "rating"
colors = ["gul", "röd"]
""",
        )
    ]
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer(3, 1, None, "Klotter vid skolan."), {"bara_fraga_3"}),
        (Answer(1, 1, None, "Klotter vid skolan."), set()),
        (Answer(1, 4, None, "Klotter vid skolan."), {"klotter_allvarligt"}),
        (Answer(3, None, "röd", "Klotter vid skolan."), {"bara_fraga_3", "klotter_allvarligt", "gul_eller_rod"}),
        (Answer(2, None, "gul", "Lugnt."), {"gul_eller_rod"}),
        (Answer(2, 5, None, "Lugnt."), set()),
        (Answer(3, 2, None, "Nazistiska budskap på klistermärken."), {"klistermarken"}),
        (Answer(3, 2, None, "Klistermärken. Nazistiska budskap."), set()),  # not in one sentence
        (Answer(3, 2, None, "Inga klistermärken med nazistiskt budskap."), set()),
    ],
)
def test_question_and_rating_filters(answer, expected):
    assert {s.rule for s in match([answer], CUSTOM)} == expected


# --- signals, excerpts, hits ------------------------------------------------------------


def test_one_signal_per_rule_with_first_question():
    answers = [
        Answer(1, 2, None, "Lugnt."),
        Answer(2, 2, None, "Bråk om droger på torget."),
        Answer(5, 3, None, "Narkotikahandel vid skolan. Langning vid stationen."),
    ]
    signals = match(answers, SHIPPED)
    assert signals == [Signal("narkotika", 2, "Bråk om droger på torget.")]
    hits = find_hits(answers, SHIPPED)
    assert [(h.question, h.words) for h in hits] == [(2, ("droger",)), (5, ("Narkotikahandel",)), (5, ("Langning",))]
    assert hits[1].highlighted() == "**Narkotikahandel** vid skolan."


def test_excerpt_masks_identity_numbers():
    text = "En person (850709-9805) sålde droger vid skolan."
    [signal] = match([Answer(5, 2, None, text)], SHIPPED)
    assert "9805" not in signal.excerpt
    assert signal.excerpt == "En person (850709-XXXX) sålde droger vid skolan."


def test_excerpt_is_short_and_keeps_the_word():
    text = ("Under perioden har många saker hänt i kommunen " * 8) + "och narkotikahandel vid stationen " + ("med mera " * 20) + "."
    [signal] = match([Answer(5, 2, None, text)], SHIPPED)
    assert len(signal.excerpt) <= 202
    assert "narkotikahandel" in signal.excerpt
    assert signal.excerpt.startswith("…") and signal.excerpt.endswith("…")


def test_excerpt_collapses_whitespace_and_marks_words():
    text = "Fältgruppen  har sett\ttecken på   narkotikahandel."
    [hit] = find_hits([Answer(5, 2, None, text)], SHIPPED)
    assert hit.excerpt == "Fältgruppen har sett tecken på narkotikahandel."
    assert hit.highlighted("[", "]") == "Fältgruppen har sett tecken på [narkotikahandel]."


def test_explain_free_text_and_render():
    explanations = explain("Inga tecken på narkotika. Däremot kokain i parken.", SHIPPED)
    narkotika = next(e for e in explanations if e.rule.name == "narkotika")
    assert narkotika.fired
    assert [h.words for h in narkotika.hits] == [("kokain",)]
    assert [(h.words, h.negated_by) for h in narkotika.suppressed] == [(("narkotika",), "inga")]
    text = render_explanations(explanations, SHIPPED)
    assert "narkotika → ANDT-enheten" in text and "SLÅR TILL" in text
    assert 'nekat av "inga", räknas inte: texten: "narkotika"' in text and "[kokain]" in text


def test_explain_free_text_ignores_question_filter():
    [explanation] = [e for e in explain("Klotter vid skolan.", CUSTOM) if e.rule.name == "bara_fraga_3"]
    assert explanation.fired and explanation.hits[0].question is None


def test_question_wording_is_not_part_of_the_text():
    # the parser removes "Alkohol, narkotika, doping och tobak"; an answer that only rates does not fire
    assert match([Answer(5, 2, None, "")], SHIPPED) == []


# --- any text -------------------------------------------------------------------------

_WORDS = st.sampled_from(
    ["narkotika", "inga", "inte", "men", "utan", "droger", "NMR", "drogfri", ".", ",", "\n", " ", "t.ex.",
     "850709-9805", "våld", "nära", "relation", "…", "Däremot", "kokain", "-", "å", "ÅÄÖ"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=60), st.integers(1, 7), st.sampled_from([None, 1, 5]))
def test_any_text_gives_a_result(words, question, score):
    text = " ".join(words)
    signals = match([Answer(question, score, None, text)], SHIPPED)
    assert len({s.rule for s in signals}) == len(signals)
    for signal in signals:
        assert len(signal.excerpt) <= EXCERPT_LIMIT + 2
        assert "850709-9805" not in signal.excerpt
    explain(text, SHIPPED)
