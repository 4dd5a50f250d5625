"""Table-style tests of the extractor: blocks in, answers and problems out."""

import pytest

from parsers.extract import extract, report_problems
from parsers.model import Block
from tests.mailbuilder import template_text


def lines(text: str) -> list[Block]:
    return [Block(line) for line in text.splitlines()]


def cells(*rows) -> list[Block]:
    return [Block(c, cell=True) if isinstance(c, str) else c for row in rows for c in row]


def summary(blocks):
    ex = extract(blocks)
    return {n: (a.score, a.color) for n, a in ex.answers.items()}, sorted(
        (p.code, p.question) for p in report_problems(ex))


def test_fraga_headings_with_scores():
    answers, problems = summary(lines(template_text(scores=(1, 2, 3, 4, 5, 1))))
    assert answers == {1: (1, None), 2: (2, None), 3: (3, None), 4: (4, None), 5: (5, None),
                       6: (1, None), 7: (None, None)}
    assert problems == []


def test_numbered_headings():
    answers, problems = summary(lines(template_text(style="numbered")))
    assert set(answers) == set(range(1, 8))
    assert problems == []


def test_text_excludes_wording_rating_and_label():
    text = (
        "Fråga 1, Ordningsstörningar och otrygghet: Vilka ordningsstörningar och händelser som kan\n"
        "skapa otrygghet i samhället (t. ex. inbrott, buskörning, bränder eller skadegörelse) har\n"
        "förekommit den senaste månaden?\n"
        "Klotter vid skolan.\nPåverkan: 2\nKommentar: Sanerat.\n"
        "Fråga 2, Hot och våld:\nLugnt.\nPåverkan: 1\n"
    )
    ex = extract(lines(text))
    assert ex.answers[1].text == "Klotter vid skolan.\nSanerat."
    assert ex.answers[2].text == "Lugnt."


def test_fagersta_biweekly_wording_is_stripped():
    text = ("Fråga 1, Ordningsstörningar och otrygghet: Vilka ordningsstörningar och händelser som "
            "kan skapa otrygghet i samhället har förekommit de senaste två veckorna?\nBilbränder.\n"
            "Påverkan¹: 3\n")
    ex = extract(lines(text))
    assert ex.answers[1].text == "Bilbränder."
    assert ex.answers[1].score == 3


def test_answer_on_heading_line_is_kept():
    ex = extract(lines("Fråga 1, Ordningsstörningar: Lugnt i centrum.\nPåverkan: 1"))
    assert ex.answers[1].text == "Lugnt i centrum."


def test_ludvika_traffic_light_and_bullets():
    text = (
        "Mall för lägesrapportering - Sociala risker oktober månad\n"
        "1. Ordningsstörningar och otrygghet\n• Inbrott i förråd\n• Buskörning med moped\n"
        "Sammanställd bedömning: Gult\nKommentar/åtgärd: Polisen informerad.\n"
        "2. Hot och våld\n• Inget\nSammanställd bedömning: grön\n"
        "3. Extremism och kriminella nätverk\nSammanställd bedömning: RÖTT\n"
    )
    ex = extract(lines(text))
    assert (ex.answers[1].color, ex.answers[2].color, ex.answers[3].color) == ("gul", "grön", "röd")
    assert ex.answers[1].score is None
    assert "Polisen informerad." in ex.answers[1].text
    assert "Kommentar" not in ex.answers[1].text
    assert "• Inbrott i förråd" in ex.answers[1].text


def test_titles_alone_as_headings():
    text = ("Ordningsstörningar och otrygghet\nLugnt.\nPåverkan: 1\nHot och våld\nHot mot vakt.\n"
            "Påverkan: 2\nÖvrigt:\nInget.\nPåverkan: 1\n")
    answers, _ = summary(lines(text))
    assert answers == {1: (1, None), 2: (2, None), 6: (1, None)}


def test_title_words_inside_answer_do_not_start_a_question():
    text = ("Fråga 1, Ordningsstörningar och otrygghet:\nHot och våld mot personal på biblioteket.\n"
            "Påverkan: 2\nFråga 2, Hot och våld:\nInget.\nPåverkan: 1")
    ex = extract(lines(text))
    assert "Hot och våld mot personal" in ex.answers[1].text
    assert ex.answers[1].score == 2


def test_table_layout_with_rating_cell_and_shading():
    blocks = cells(
        ["Fråga", "Svar", "Påverkan"],
        ["Fråga 1, Ordningsstörningar och otrygghet", "Skadegörelse.", "3"],
        ["Fråga 2, Hot och våld", "Lugnt.", Block("", cell=True, fill="FF0000")],
        ["Fråga 3, Extremism och kriminella nätverk", "Klistermärken.", "☐1 ☐2 ☐3 ☒4 ☐5"],
        ["4", "Ungdomar/skolor", "Bråk.", "Oroande"],
    )
    answers, problems = summary(blocks)
    assert answers == {1: (3, None), 2: (None, "röd"), 3: (4, None), 4: (3, None)}
    assert ("missing_answer", 5) in problems


def test_label_then_value_on_next_line():
    ex = extract(lines("Fråga 1, Ordningsstörningar:\nLugnt.\nPåverkan:\n2\nFråga 2, Hot och våld:\nx\nPåverkan: 1"))
    assert ex.answers[1].score == 2
    assert ex.answers[1].text == "Lugnt."


@pytest.mark.parametrize("rating_line, code", [
    ("Påverkan: 7", "invalid_score"),
    ("Påverkan: 3-4", "invalid_score"),
    ("Påverkan: 1-5", "missing_score"),
    ("Påverkan:", "missing_score"),
    ("", "missing_score"),
])
def test_rating_problems(rating_line, code):
    text = f"Fråga 1, Ordningsstörningar:\nKlotter.\n{rating_line}\nFråga 2, Hot och våld:\nx\nPåverkan: 1\nFråga 3, Extremism:\ny\nPåverkan: 1"
    ex = extract(lines(text))
    assert ex.answers[1].score is None
    assert [(p.code, p.question) for p in ex.problems] == [(code, 1)]


def test_missing_heading_gives_missing_answer():
    text = template_text().replace("Fråga 4, Ungdomar/skolor:", "")
    _, problems = summary(lines(text))
    assert ("missing_answer", 4) in problems


def test_closing_ends_last_answer():
    text = template_text() + "\nMed vänlig hälsning\nAnna Berg\nMora kommun\n"
    ex = extract(lines(text))
    assert "Anna Berg" not in ex.answers[7].text


def test_not_a_report():
    ex = extract(lines("Hej! När ska oktober-rapporten vara inne?\nHälsningar Anna"))
    assert not ex.found


def test_question_seven_rating_is_not_required():
    ex = extract(lines(template_text()))
    assert ex.answers[7].score is None
    assert not [p for p in ex.problems if p.question == 7]


def test_rating_inside_an_answer_cell():
    blocks = cells(["Fråga 1, Ordningsstörningar och otrygghet", "Inbrott i förråd. Påverkan: 3"],
                   ["Fråga 2, Hot och våld", "Lugnt.", "1"])
    ex = extract(blocks)
    assert (ex.answers[1].score, ex.answers[1].text) == (3, "Inbrott i förråd.")


ABBREVIATED = """1. Otrygghet
Klotter vid skolan.
Påverkan: 2
2. Hot & våld
Lugnt.
Påverkan: 1
3. Extremism/krim. nätverk
Klistermärken.
Påverkan: 3
4. Ungdomar & skolor
Bråk på fritidsgården.
Påverkan: 2
5. ANDT
Lugnt.
Påverkan: 1
6. Övrigt
Inget.
Påverkan: 1
7. Positivt
Nattvandring."""


def test_abbreviated_titles_with_their_numbers():
    ex = extract(lines(ABBREVIATED))
    assert {n: (a.score, a.text) for n, a in ex.answers.items()} == {
        1: (2, "Klotter vid skolan."), 2: (1, "Lugnt."), 3: (3, "Klistermärken."), 4: (2, "Bråk på fritidsgården."),
        5: (1, "Lugnt."), 6: (1, "Inget."), 7: (None, "Nattvandring.")}
    assert ex.found and ex.titled == set(range(1, 8))


@pytest.mark.parametrize("text", [
    "2. Hot mot lärare vid två skolor",  # a numbered list inside an answer, not a heading
    "7. Positivt att polisen är på plats",
    "2 våld",
])
def test_numbered_list_items_are_not_abbreviated_titles(text):
    ex = extract(lines("Fråga 1, Ordningsstörningar och otrygghet:\nLugnt.\nPåverkan: 1\n" + text))
    assert list(ex.answers) == [1] and text in ex.answers[1].text


@pytest.mark.parametrize("text, found", [
    ("\n".join(f"Question {n}: How often do you travel by bus?\nAnswer: weekly" for n in range(1, 8)), False),
    ("\n".join(f"Fråga {n}:\nSvar {n}." for n in range(1, 8)), False),  # numbers alone, no titles, no ratings
    ("\n".join(f"Fråga {n}:\nSvar {n}.\nPåverkan: 2" for n in range(1, 8)), True),  # rating lines are evidence
    (template_text(), True),
])
def test_numbered_headings_alone_are_not_a_report(text, found):
    assert extract(lines(text)).found is found
