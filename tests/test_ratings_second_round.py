"""Ratings as the second round of real reports wrote them (issue 16, "Ratings")."""

import pytest

from parsers.docx_reader import read_docx
from parsers.extract import extract
from parsers.model import Block
from parsers.ratings import Rating, is_blank, parse_bare, parse_value, split_label
from parsers.scale_marks import mark_text
from tests.docx_factory import cell, circle, make_docx, marked, p, run, sdt

TITLES = ["Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
          "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt",
          "Positiva åtgärder eller händelser"]
ANSWER = "Inbrott i två förråd."


def first_answer(rating_lines: list[str]):
    """Question 1 with `rating_lines` after its answer, question 2 with a plain rating."""
    blocks = [Block(f"1. {TITLES[0]}"), Block(ANSWER)] + [Block(line) for line in rating_lines]
    blocks += [Block(f"2. {TITLES[1]}"), Block("Hot mot personal."), Block("Påverkan: 2")]
    result = extract(blocks)
    return result.answers[1], {p.code for p in result.problems if p.question == 1}


@pytest.mark.parametrize("text, expected", [
    ("Bedömd påverkan: 3 av 5", (True, "3 av 5")),
    ("Bedömd påverkan 4/5", (True, "4/5")),
    ("Samlad bedömning: Gult", (True, "Gult")),
    ("Grad av påverkan: 2", (True, "2")),
    ("Bedömning av påverkan: 5", (True, "5")),
    ("Påverkansnivå: 1", (True, "1")),
    ("Påverkan (skala 1–5): 3", (True, "3")),
    ("Påverkan på en skala 1-5: 4", (True, "4")),
    ("Bedömd som lugn period", (False, "Bedömd som lugn period")),
])
def test_new_labels(text, expected):
    assert split_label(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("3 av 5", Rating(score=3)),
    ("3 av max 5", Rating(score=3)),
    ("fyra av fem", Rating(score=4)),
    ("2 av 3", Rating(invalid="2 av 3")),
    ("nivå 3", Rating(score=3)),
    ("Nivå 2 – Avvikande", Rating(score=2)),
    ("3\u00a0av\u00a05", Rating(score=3)),
    ("🟢", Rating(color="grön")),
    ("🟡 Gult", Rating(color="gul")),
    ("🔴 Rött – lyfts till BRÅ", Rating(color="röd")),
    ("🟥", Rating(color="röd")),
    ("🟢 Rött", Rating(invalid="🟢 Rött")),
    ("🟢 🟡", Rating(invalid="🟢 🟡")),
    ("🟢 🟡 🔴", None),
    ("⚪ Grön ● Gul ⚪ Röd", Rating(color="gul")),
    ("● Rött", Rating(color="röd")),
    ("⚪ Gult", Rating(color="gul")),
    ("● 3", Rating(score=3)),
    ("○ Grönt ○ Gult ○ Rött", None),
    ("● Grön ● Röd", Rating(invalid="☒ Grön ☒ Röd")),
    ("○ 1 ○ 2 ● 3 ○ 4 ○ 5", Rating(score=3)),
    ("☐🟢 ☒🟡 ☐🔴", Rating(color="gul")),
    ("1 2 3 4 5", None),
    ("1\t2\t3\t4\t5", None),
    ("1 | 2 | 3 | 4 | 5", None),
    ("1 Normalt 2 Avvikande 3 Oroande 4 Allvarligt 5 Kritiskt", None),
    ("1 2 ③ 4 5", Rating(score=3)),
    ("Välj ett objekt.", None),
    ("Välj färg", None),
    ("[Välj nivå]", None),
    ("Klicka eller tryck här för att ange text.", None),
    ("Choose an item.", None),
    # what worked before still does
    ("3/5", Rating(score=3)),
    ("2 – Avvikande", Rating(score=2)),
    ("3-4", Rating(invalid="3-4")),
    ("7", Rating(invalid="7")),
])
def test_parse_value_second_round(value, expected):
    assert parse_value(value) == expected


@pytest.mark.parametrize("value, blank", [
    ("Välj ett objekt.", True), ("1 2 3 4 5", True), ("☐1 ☐2 ☐3 ☐4 ☐5", True), ("1-5", True),
    ("3", False), ("Gult", False), ("Välj ut de viktigaste händelserna under perioden och beskriv dem", False),
    ("Inbrott 1, 2 och 3 maj", False),
])
def test_is_blank(value, blank):
    assert is_blank(value) is blank


@pytest.mark.parametrize("text, expected", [
    ("🟡", Rating(color="gul")), ("🔴 Rött", Rating(color="röd")), ("Lugnt 🙂", None),
])
def test_parse_bare_emoji(text, expected):
    assert parse_bare(text) == expected


@pytest.mark.parametrize("lines, score, color, problems", [
    (["Bedömd påverkan: 3 av 5"], 3, None, set()),
    (["Bedömd\u00a0påverkan:\u00a03\u00a0av\u00a05"], 3, None, set()),
    (["Påverkan: 3/5"], 3, None, set()),
    (["Påverkansgrad: 4"], 4, None, set()),
    (["Nivå 2 – Avvikande"], 2, None, set()),
    (["Påverkan: 1 2 3 4 5"], None, None, {"missing_score"}),
    (["Påverkan (1-5):", "1 2 3 4 5"], None, None, {"missing_score"}),
    (["Påverkan: ☐1 ☐2 ☐3 ☐4 ☐5"], None, None, {"missing_score"}),
    (["Påverkan: 1 2 ③ 4 5"], 3, None, set()),
    (["Påverkan: ☒1 ☐2 ☒3 ☐4 ☐5"], None, None, {"invalid_score"}),
    (["Sammanställd bedömning: 🟡"], None, "gul", set()),
    (["Sammanställd bedömning:", "🔴 Rött"], None, "röd", set()),
    (["Sammanställd bedömning: ⚪ Grönt ⚪ Gult ● Rött"], None, "röd", set()),
    (["Sammanställd bedömning: 🟢 🔴"], None, None, {"invalid_score"}),
    (["Påverkan: Välj ett objekt."], None, None, {"missing_score"}),
    (["Sammanställd bedömning: Välj färg"], None, None, {"missing_score"}),
    (["Påverkan: kanske"], None, None, {"invalid_score"}),
])
def test_rating_lines(lines, score, color, problems):
    answer, found = first_answer(lines)
    assert (answer.score, answer.color, found) == (score, color, problems)
    assert answer.text == ANSWER  # the rating line is never answer text


# --- a printed scale marked in Word ------------------------------------------------


def scale(*, mark: dict[int, dict] | None = None, circled: int | None = None, label: str = "Påverkan: ",
          circle_text: bool = False):
    """A "Påverkan: 1 2 3 4 5" paragraph, numbers marked as `mark` says."""
    parts: list = [marked(label, bold=True)] if label else []
    for n in range(1, 6):
        if circled == n:
            if circle_text:
                parts.append(circle(str(n)))
                parts.append(run(" "))
                continue
            parts.append(circle())
        parts.append(marked(str(n), **(mark or {}).get(n, {})) if mark and n in mark else run(str(n)))
        parts.append(run(" "))
    return p(*parts)


@pytest.mark.parametrize("paragraph, expected", [
    (scale(mark={3: {"highlight": "yellow"}}), "Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"),
    (scale(mark={4: {"shade": "FFC000"}}), "Påverkan: ☐1 ☐2 ☐3 ☒4 ☐5"),
    (scale(mark={2: {"bold": True}}), "Påverkan: ☐1 ☒2 ☐3 ☐4 ☐5"),
    (scale(mark={5: {"underline": True}}), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☒5"),
    (scale(mark={4: {"color": "FF0000"}}), "Påverkan: ☐1 ☐2 ☐3 ☒4 ☐5"),
    (scale(mark={4: {"color": "000000"}}), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☐5"),  # black is no mark
    (scale(circled=3), "Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"),
    (scale(circled=1, circle_text=True), "Påverkan: ☒1 ☐2 ☐3 ☐4 ☐5"),
    (scale(mark={2: {"highlight": "green"}, 3: {"highlight": "green"}}), "Påverkan: ☐1 ☒2 ☒3 ☐4 ☐5"),
    (scale(mark={n: {"bold": True} for n in range(1, 6)}), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☐5"),  # a bold line: style
    (scale(), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☐5"),  # only the label bold: nothing chosen
    (p(marked("Vi hade ", bold=True), run("tre inbrott.")), "Vi hade tre inbrott."),
])
def test_marked_scale_in_word(paragraph, expected):
    assert [b.text for b in read_docx(make_docx([paragraph]))] == [expected]


def test_circle_drawn_in_vml():
    paragraph = p(run("Påverkan: 1 2 "), circle(vml=True), run("3"), run(" 4 5"))
    assert [b.text for b in read_docx(make_docx([paragraph]))] == ["Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"]


@pytest.mark.parametrize("row, expected", [
    ([cell("Påverkan"), cell("1"), cell("2"), cell("3", fill="FFFF00"), cell("4"), cell("5")],
     ["Påverkan", "☐1 ☐2 ☒3 ☐4 ☐5"]),
    ([cell("1"), cell(p(marked("2", highlight="yellow"))), cell("3"), cell("4"), cell("5"), cell("Kommentar")],
     ["☐1 ☒2 ☐3 ☐4 ☐5", "Kommentar"]),
    ([cell("Påverkan"), cell("1"), cell("2"), cell("3"), cell("4"), cell("5")],
     ["Påverkan", "☐1 ☐2 ☐3 ☐4 ☐5"]),  # none marked: not the first number
    ([cell(n, fill="D9D9D9") for n in "12345"], ["☐1 ☐2 ☐3 ☐4 ☐5"]),  # all shaded alike: style
])
def test_marked_scale_in_table_row(row, expected):
    assert [b.text for b in read_docx(make_docx([[row]]))] == expected


def report_docx(rating_paragraphs: list) -> bytes:
    body: list = ["Mall för lägesbildsinsamling - Sociala risker, oktober månad"]
    for number, title in enumerate(TITLES, 1):
        body += [f"{number}. {title}", f"Svar {number}: lugnt."]
        if number < 7:
            body.append(rating_paragraphs[number - 1])
    return make_docx(body)


def test_marked_scales_read_per_question():
    paragraphs = [scale(mark={3: {"highlight": "yellow"}}), scale(mark={1: {"shade": "92D050"}}),
                  scale(circled=4), scale(), scale(mark={2: {"bold": True}, 5: {"bold": True}}),
                  p(run("Påverkan: "), sdt("Välj ett objekt.", placeholder=True))]
    result = extract(read_docx(report_docx(paragraphs)))
    assert [result.answers[n].score for n in range(1, 7)] == [3, 1, 4, None, None, None]
    assert sorted((p.question, p.code) for p in result.problems) == [
        (4, "missing_score"), (5, "invalid_score"), (6, "missing_score")]
    assert all(result.answers[n].text == f"Svar {n}: lugnt." for n in range(1, 7))


def test_placeholder_text_typed_as_text_is_missing():
    paragraphs = [p(run("Påverkan: "), sdt("Välj ett objekt."))] * 6  # the flag lost: the text stays
    result = extract(read_docx(report_docx(paragraphs)))
    assert {p.code for p in result.problems} == {"missing_score"}


def test_circled_digit_in_plain_text():
    assert mark_text("Påverkan: 1 2 ④ 5") == "Påverkan: 1 2 ④ 5"  # not the whole scale: as it is
    assert mark_text("Påverkan: 1 ② 3 4 5") == "Påverkan: ☐1 ☒2 ☐3 ☐4 ☐5"


# --- a summary table of the ratings after the answers ------------------------------


def template_blocks(ratings: dict[int, str] | None = None) -> list[Block]:
    ratings = ratings or {}
    blocks = [Block("Lägesbild oktober")]
    for number, title in enumerate(TITLES, 1):
        blocks += [Block(f"{number}. {title}"), Block(f"Svar {number}: lugnt.")]
        if number in ratings:
            blocks.append(Block(f"Påverkan: {ratings[number]}"))
    return blocks


SUMMARY_CELLS = ["Sammanfattning av bedömningar", "Fråga", "Påverkan",
                 "1. Ordningsstörningar och otrygghet", "3", "2. Hot och våld", "🟡",
                 "3. Extremism och kriminella nätverk", "2", "4. Ungdomar/skolor", "1",
                 "5. Alkohol, narkotika, doping och tobak", "Välj ett objekt.",
                 "6. Övrigt", "4", "7. Positiva åtgärder eller händelser", "–"]
SUMMARY_LINES = ["Sammanfattning av bedömningar", "Fråga\tPåverkan",
                 "1. Ordningsstörningar och otrygghet\t3", "2. Hot och våld: 🟡",
                 "Extremism och kriminella nätverk – 2", "Ungdomar/skolor 1",
                 "5. Alkohol, narkotika, doping och tobak", "6. Övrigt\t4",
                 "7. Positiva åtgärder eller händelser\t–", "Med vänliga hälsningar", "Anna"]
CELL_BY_CELL = [Block(t, cell=k > 0) for k, t in enumerate(SUMMARY_CELLS)]
NUMBER_COLUMN = [Block("Sammanställning av påverkan per fråga")] + [
    Block(t, cell=True) for t in ["Nr", "Fråga", "Påverkan", "1", "Ordningsstörningar och otrygghet", "3",
                                  "2", "Hot och våld", "Gult", "3", "Extremism och kriminella nätverk", "2",
                                  "4", "Ungdomar/skolor", "1", "5", "Alkohol, narkotika, doping och tobak",
                                  "6", "Övrigt", "4", "7", "Positiva åtgärder eller händelser"]]
HEADER_ONLY = [Block(t, cell=True) for t in ["Fråga", "Påverkan", "Ordningsstörningar och otrygghet", "3",
                                              "Hot och våld", "Gul", "Extremism och kriminella nätverk", "2",
                                              "Ungdomar/skolor", "1", "Övrigt", "4"]]


@pytest.mark.parametrize("summary", [CELL_BY_CELL, [Block(t) for t in SUMMARY_LINES], NUMBER_COLUMN, HEADER_ONLY],
                         ids=["cells", "lines", "number-column", "header-cells"])
def test_summary_table_after_the_answers(summary):
    result = extract(template_blocks() + summary)
    got = {n: (a.score, a.color) for n, a in result.answers.items()}
    assert got == {1: (3, None), 2: (None, "gul"), 3: (2, None), 4: (1, None), 5: (None, None), 6: (4, None),
                   7: (None, None)}
    assert [(p.code, p.question) for p in result.problems] == [("missing_score", 5)]
    assert all(a.text == f"Svar {n}: lugnt." for n, a in result.answers.items())  # no title became text
    assert not result.rest  # the table's "1. Ordningsstörningar ..." starts no second template


def test_summary_table_printed_before_the_answers():
    result = extract([Block(t) for t in SUMMARY_LINES[:-2]] + template_blocks())
    assert [result.answers[n].score for n in (1, 3, 4, 6)] == [3, 2, 1, 4]
    assert all(a.text == f"Svar {n}: lugnt." for n, a in result.answers.items())


def test_rating_in_the_answer_wins_over_the_summary():
    result = extract(template_blocks({1: "5", 2: "x"}) + CELL_BY_CELL)
    assert (result.answers[1].score, result.answers[3].score) == (5, 2)
    assert ("invalid_score", 2) in [(p.code, p.question) for p in result.problems]


@pytest.mark.parametrize("line", [
    "Sammanfattning: påverkan har ökat i centrum under hösten",
    "Påverkan:",
    "Bedömning",
])
def test_no_summary_title(line):
    from parsers.rating_summary import starts
    assert not starts(Block(line), None)


def test_summary_table_in_word():
    rows = [[cell("Fråga"), cell("Påverkan")]] + [
        [cell(f"{n}. {title}"), cell(str(n % 5 + 1) if n < 7 else "")] for n, title in enumerate(TITLES, 1)]
    body: list = ["Mall för lägesbildsinsamling - Sociala risker, oktober månad"]
    for number, title in enumerate(TITLES, 1):
        body += [f"{number}. {title}", f"Svar {number}: lugnt."]
    body += ["Sammanfattning av bedömningar", rows, "Med vänliga hälsningar"]
    result = extract(read_docx(make_docx(body)))
    assert [result.answers[n].score for n in range(1, 7)] == [2, 3, 4, 5, 1, 2]
    assert not result.problems
    assert result.answers[7].text == "Svar 7: lugnt."


# --- the table template exported to PDF ----------------------------------------------


@pytest.mark.parametrize("middle", [True, False], ids=["centred-rating", "top-rating"])
def test_pdf_table_template_keeps_each_rating_in_its_row(middle):
    from parsers.pdf_reader import read_pdf
    from tests.pdf_factory import TABLE_ANSWERS, table_template_pdf

    result = extract(read_pdf(table_template_pdf(["3", "2", "Gult", "1", "", "5"], middle=middle)))
    got = {n: (a.score, a.color) for n, a in result.answers.items()}
    assert got == {1: (3, None), 2: (2, None), 3: (None, "gul"), 4: (1, None), 5: (None, None), 6: (5, None),
                   7: (None, None)}
    assert [(p.code, p.question) for p in result.problems] == [("missing_score", 5)]
    assert [result.answers[n].text for n in range(1, 8)] == list(TABLE_ANSWERS)


def test_pdf_tables_stay_within_their_budget():
    import time

    from parsers.pdf_reader import TABLE_SECONDS, read_pdf
    from tests.pdf_factory import grid_pdf

    data = grid_pdf(12, 40)  # 40 pages of 144 ruled cells each
    start = time.perf_counter()
    blocks = read_pdf(data)
    assert time.perf_counter() - start < TABLE_SECONDS + 3.0
    assert "0 0" not in {b.text for b in blocks} and "00" in {b.text for b in blocks}


@pytest.mark.parametrize("paragraph, expected", [
    (p(run("Sammanställd bedömning: Grönt "), marked("Gult", highlight="yellow"), run(" Rött")),
     "Sammanställd bedömning: ☐ Grönt ☒ Gult ☐ Rött"),
    (p(run("Bedömning: 🟢 🟡 "), marked("🔴", bold=True)), "Bedömning: ☐ 🟢 ☐ 🟡 ☒ 🔴"),
    (p(run("Påverkan: 1 Normalt 2 Avvikande "), marked("3", highlight="yellow"), run(" Oroande 4 Allvarligt 5 Kritiskt")),
     "Påverkan: ☐1 Normalt ☐2 Avvikande ☒3 Oroande ☐4 Allvarligt ☐5 Kritiskt"),
    (p(run("Vi ser läget som "), marked("grönt", bold=True), run(", tidigare gult och rött.")),
     "Vi ser läget som grönt, tidigare gult och rött."),
    # the five level names alone, one marked; and the word of "3 Oroande" marked instead of its number
    (p(run("Påverkan: Normalt Avvikande "), marked("Oroande", highlight="yellow"), run(" Allvarligt Kritiskt")),
     "Påverkan: ☐ Normalt ☐ Avvikande ☒ Oroande ☐ Allvarligt ☐ Kritiskt"),
    (p(run("Påverkan: 1 Normalt 2 Avvikande 3 "), marked("Oroande", bold=True), run(" 4 Allvarligt 5 Kritiskt")),
     "Påverkan: ☐1 Normalt ☐2 Avvikande ☒3 Oroande ☐4 Allvarligt ☐5 Kritiskt"),
    (p(run("Läget är "), marked("oroande", bold=True), run(" men inte kritiskt, normalt eller avvikande.")),
     "Läget är oroande men inte kritiskt, normalt eller avvikande."),
])
def test_marked_light_and_level_scales(paragraph, expected):
    assert [b.text for b in read_docx(make_docx([paragraph]))] == [expected]


@pytest.mark.parametrize("lines, color", [
    (["Sammanställd bedömning: ☐ Grönt ☒ Gult ☐ Rött"], "gul"),
    (["Sammanställd bedömning: ☐ 🟢 ☐ 🟡 ☒ 🔴"], "röd"),
])
def test_marked_lights_read(lines, color):
    answer, problems = first_answer(lines)
    assert (answer.color, problems) == (color, set())


def test_light_row_in_word_table():
    row = [cell("Sammanställd bedömning"), cell("Grönt"), cell("Gult", fill="FFFF00"), cell("Rött")]
    assert [b.text for b in read_docx(make_docx([[row]]))] == ["Sammanställd bedömning", "☐ Grönt ☒ Gult ☐ Rött"]


def test_light_legend_in_its_own_colours_is_no_choice():
    row = [cell("Grönt", fill="00B050"), cell("Gult", fill="FFFF00"), cell("Rött", fill="FF0000")]
    assert [b.text for b in read_docx(make_docx([[row]]))] == ["☐ Grönt ☐ Gult ☐ Rött"]


@pytest.mark.parametrize("lines, score", [
    (["Inbrott i förråd. Bedömd påverkan: 3 av 5"], 3),
    (["Bedömd påverkan", "3 av 5"], 3),
    (["Påverkan:", "4/5"], 4),
])
def test_av_5_inline_and_on_its_own_line(lines, score):
    blocks = [Block(f"1. {TITLES[0]}")] + [Block(line) for line in lines]
    blocks += [Block(f"2. {TITLES[1]}"), Block("Hot."), Block("Påverkan: 2")]
    answer = extract(blocks).answers[1]
    assert answer.score == score
    assert "påverkan" not in answer.text.lower() and "av 5" not in answer.text


def test_summary_table_with_a_comment_column():
    cells = ["Fråga", "Påverkan", "Kommentar"]
    for n, title in enumerate(TITLES[:6], 1):
        cells += [f"{n}. {title}", str(n % 5 + 1), "Oförändrat jämfört med förra månaden enligt polisen."]
    result = extract(template_blocks() + [Block("Sammanfattning av bedömningar")] + [Block(t, True) for t in cells])
    assert [result.answers[n].score for n in range(1, 7)] == [2, 3, 4, 5, 1, 2]
    assert not result.rest and result.answers[7].text == "Svar 7: lugnt."


def test_a_template_table_after_a_summary_title_is_still_read():
    cells = []
    for n, title in enumerate(TITLES, 1):
        cells += [f"{n}. {title}", f"Svar {n}: lugnt, inget särskilt att rapportera denna månad."]
        if n < 7:
            cells.append(str(n % 5 + 1))
    result = extract([Block("Sammanfattning av bedömningar")] + [Block(t, True) for t in cells])
    assert [result.answers[n].score for n in range(1, 7)] == [2, 3, 4, 5, 1, 2]
    assert result.answers[2].text == "Svar 2: lugnt, inget särskilt att rapportera denna månad."


@pytest.mark.parametrize("label, options, marked_at, expected", [
    ("Påverkan:", list("12345"), [2], "Påverkan: ☐1 ☐2 ☒3 ☐4 ☐5"),
    ("Påverkan:", list("12345"), [1, 3], "Påverkan: ☐1 ☒2 ☐3 ☒4 ☐5"),
    ("Sammanställd bedömning:", ["Grönt", "Gult", "Rött"], [0], "Sammanställd bedömning: ☒ Grönt ☐ Gult ☐ Rött"),
])
def test_marked_scale_in_pdf(label, options, marked_at, expected):
    from parsers.pdf_reader import read_pdf
    from tests.pdf_factory import marked_scale_pdf

    assert [b.text for b in read_pdf(marked_scale_pdf(label, options, marked_at))] == [expected]


@pytest.mark.parametrize("fills, expected", [
    ([None, None, None, "FFC000", None], "☐1 ☐2 ☐3 ☒4 ☐5"),
    ([None] * 5, "☐1 ☐2 ☐3 ☐4 ☐5"),
])
def test_scale_row_in_pdf_table(fills, expected):
    from parsers.pdf_reader import read_pdf
    from tests.pdf_factory import scale_row_pdf

    assert [b.text for b in read_pdf(scale_row_pdf(list("12345"), fills))][-1] == expected


@pytest.mark.parametrize("dot, expected", [
    (marked("●", color="FFC000"), "Sammanställd bedömning: 🟡"),
    (marked("l", color="00B050", font="Wingdings"), "Sammanställd bedömning: 🟢"),
    (marked("⬤", color="FF0000"), "Sammanställd bedömning: 🔴"),
    (marked("●", color="000000"), "Sammanställd bedömning: ●"),
])
def test_coloured_dot_in_word_is_the_light(dot, expected):
    assert [b.text for b in read_docx(make_docx([p(run("Sammanställd bedömning: "), dot)]))] == [expected]


def test_summary_table_typed_with_pipes():
    lines = ["Sammanfattning av bedömningar", "| Fråga | Påverkan |", "|---|---|"] + [
        f"| {n}. {title} | {n % 5 + 1} |" for n, title in enumerate(TITLES[:6], 1)]
    result = extract(template_blocks() + [Block(t) for t in lines])
    assert [result.answers[n].score for n in range(1, 7)] == [2, 3, 4, 5, 1, 2]
    assert result.answers[7].text == "Svar 7: lugnt."


@pytest.mark.parametrize("paragraph, expected", [
    (p(circle(), run("Påverkan: 1 2 3 4 5")), "Påverkan: ☒1 ☒2 ☒3 ☒4 ☒5"),  # anchored at the start: unknown
    (p(run("Påverkan: 1 2 3 4 5"), circle()), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☒5"),
    (p(run("Påverkan: 1 2 3 4 "), circle(vml=True), run("5")), "Påverkan: ☐1 ☐2 ☐3 ☐4 ☒5"),
])
def test_circle_anchored_elsewhere_is_no_guess(paragraph, expected):
    assert [b.text for b in read_docx(make_docx([paragraph]))] == [expected]


@pytest.mark.parametrize("rows, expected", [
    ([("1", "Ordningsstörningar", "3"), ("2", "Hot och våld", "2"), ("3", "Extremism", ""),
      ("4", "Ungdomar", ""), ("5", "ANDT", "4"), ("6", "Övrigt", "1")], [3, 2, None, None, 4, 1]),
    ([("Fråga 1", "", "3"), ("Fråga 2", "", "5"), ("Fråga 3", "", "1"), ("Fråga 4", "", "2"),
      ("Fråga 5", "", "3"), ("Fråga 6", "", "4")], [3, 5, 1, 2, 3, 4]),
])
def test_summary_table_with_a_number_column_and_empty_ratings(rows, expected):
    cells = [Block(t, True) for t in ("Nr", "Fråga", "Påverkan")]
    cells += [Block(t, True) for row in rows for t in row if t]  # empty cells give no block
    result = extract(template_blocks() + [Block("Sammanfattning av bedömningar")] + cells)
    assert [result.answers[n].score for n in range(1, 7)] == expected
    assert {(p.question, p.code) for p in result.problems} == {
        (n, "missing_score") for n, score in enumerate(expected, 1) if score is None}


def test_template_table_with_rating_and_comment_columns_is_no_summary():
    cells = ["Fråga", "Påverkan", "Kommentar"]
    for n, title in enumerate(TITLES, 1):
        cells += [f"{n}. {title}", str(n % 5 + 1) if n < 7 else "", f"Svar {n}: lugnt i hela kommunen denna månad."]
    result = extract([Block("Lägesbild oktober")] + [Block(t, True) for t in cells if t])
    assert [result.answers[n].score for n in range(1, 7)] == [2, 3, 4, 5, 1, 2]
    assert result.answers[3].text == "Svar 3: lugnt i hela kommunen denna månad."
