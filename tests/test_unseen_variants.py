"""Shapes of real reports the parser first misread (tests/samples/unseen/), one fix each."""

import pytest

from parsers.directory import Directory, Municipality
from parsers.extract import extract, report_problems
from parsers.model import Block, ParsedMail
from parsers.period import find_heading_month, find_month, find_named_month
from parsers.questions import QUESTIONS, match_heading
from parsers.ratings import Rating, parse_bare, parse_value, split_label
from parsers.report import text_blocks
from parsers.sources import MailFacts, letter_month

TITLES = ["Ordningsstörningar och otrygghet", "Hot och våld", "Extremism och kriminella nätverk",
          "Ungdomar/skolor", "Alkohol, narkotika, doping och tobak", "Övrigt", "Positiva åtgärder eller händelser"]


def read(lines: list[str]):
    ex = extract([Block(line) for line in lines])
    answers = {n: (a.score, a.color) for n, a in ex.answers.items()}
    return ex, answers, sorted((p.code, p.question) for p in report_problems(ex))


def template(rating_lines: dict[int, list[str]], order=range(1, 8), style="Fråga {n}, {title}:") -> list[str]:
    out = []
    for n in order:
        out += [style.format(n=n, title=TITLES[n - 1]), f"Svar {n}."] + rating_lines.get(n, [])
    return out


@pytest.mark.parametrize("label, value, rating", [
    ("Påverkan (1 = låg, 5 = hög): 3", "3", Rating(score=3)),  # the scale explained in the label
    ("*Påverkan:* 2", "2", Rating(score=2)),  # Thunderbird's plain text of bold
    ("Påverkan (4)", "(4)", Rating(score=4)),  # the number in brackets
    ("Påverkan: [2]", "[2]", Rating(score=2)),
    ("·         Påverkan: 3", "3", Rating(score=3)),  # Outlook's plain text of a Word bullet
    ("▪ Påverkan: 1", "1", Rating(score=1)),
])
def test_rating_label_shapes(label, value, rating):
    assert split_label(label) == (True, value)
    assert parse_value(value) == rating


def test_a_level_word_with_a_different_number_is_not_guessed():
    assert parse_bare("Oroande (3)") == Rating(score=3)
    assert parse_value("Oroande (4)").invalid == "Oroande (4)"


def test_rating_at_the_end_of_the_answer_line():
    lines = [f"Fråga {n}: Svar {n}" + (f". Påverkan {n % 5 + 1}" if n % 2 else f" Påverkan: {n % 5 + 1}")
             for n in range(1, 7)] + ["Fråga 7: Nattvandring."]
    ex, answers, problems = read(lines)
    assert ex.found and problems == []
    assert answers == {n: (n % 5 + 1, None) for n in range(1, 7)} | {7: (None, None)}
    assert ex.answers[2].text == "Svar 2" and ex.answers[1].text == "Svar 1."


@pytest.mark.parametrize("line", [
    "Vi ser en hög påverkan 3 dagar i veckan.",  # prose: the number is not the line's end
    "Bränderna har stor påverkan på tryggheten",  # no rating after the word
    "Polisen har höjt beredskapen till nivå 2",  # a level of something else
])
def test_prose_with_the_word_paverkan_is_not_a_rating(line):
    _, answers, problems = read(template({1: [line]} | {n: ["Påverkan: 1"] for n in range(2, 7)}))
    assert answers[1] == (None, None) and ("missing_score", 1) in problems


@pytest.mark.parametrize("shape, score", [("Oroande", 3), ("Allvarligt.", 4), ("4/5", 4), ("2 av 5", 2)])
def test_a_rating_alone_on_its_line_without_a_label(shape, score):
    _, answers, problems = read(template({n: [shape] for n in range(1, 7)}, style="{n}. {title}"))
    assert answers == {n: (score, None) for n in range(1, 7)} | {7: (None, None)} and problems == []


def test_bold_asterisk_headings_and_labels():
    lines = []
    for n in range(1, 8):
        lines += [f"*Fråga {n}, {TITLES[n - 1]}:*", f"Svar {n}."] + (["*Påverkan:* 2"] if n < 7 else [])
        lines.append("*Kommentar:* Följs upp.")
    ex, answers, problems = read(lines)
    assert answers[3] == (2, None) and problems == []
    assert ex.answers[3].text == "Svar 3.\nFöljs upp."


def test_questions_out_of_order_keep_their_own_answers():
    ex, answers, problems = read(template({n: [f"Påverkan: {n % 5 + 1}"] for n in range(1, 7)},
                                          order=(1, 2, 4, 3, 5, 6, 7)))
    assert answers == {n: (n % 5 + 1, None) for n in range(1, 7)} | {7: (None, None)} and problems == []
    assert list(ex.answers) == list(range(1, 8))  # in question order
    assert ex.answers[3].text == "Svar 3." and ex.answers[4].text == "Svar 4."


def test_a_topic_line_in_question_6_is_not_a_second_template():
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[6] = ["- Hot och våld: ett hotfullt mejl till en politiker.", "Påverkan: 2"]
    ex, answers, problems = read(template(ratings))
    assert answers[6] == (2, None) and 7 in answers and problems == [] and not ex.rest
    assert "hotfullt mejl" in ex.answers[6].text


def test_two_different_ratings_for_one_question_are_held_not_guessed():
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[2] = ["Påverkan: 2", "Kommentar: efter samtal med polisen:", "Påverkan: 4"]
    ex, answers, problems = read(template(ratings))
    assert answers[2] == (None, None) and ("invalid_score", 2) in problems
    message = next(p.message for p in ex.problems if p.question == 2)
    assert "2 och 4" in message
    ratings[2] = ["Påverkan: 3", "Påverkan: 3"]  # the same rating twice is no conflict
    assert read(template(ratings))[1][2] == (3, None)


def test_a_tab_ends_the_title():
    ex, _, _ = read(["2. Hot och våld\tHot mot en busschaufför."] + template({}, order=(3, 4, 5)))
    assert ex.answers[2].text.startswith("Hot mot en busschaufför")


@pytest.mark.parametrize("text, month", [
    ("Lägesbild October 2026", (10, 2026)), ("Report for March", (3, None)), ("Lägesbild augusti", (8, None)),
    ("Rapport för juni", (6, None)), ("We may send it later", None),
])
def test_english_month_names(text, month):
    assert find_month(text) == month


@pytest.mark.parametrize("subject, for_period", [
    ("VB: Lägesbild oktober Borlänge", "Lägesbild oktober Borlänge"),
    ("Fwd: FW: Lägesbild oktober", "Lägesbild oktober"),
    ("SV: VB: Lägesbild oktober", ""),  # a reply in a forwarded thread
    ("VB: SV: Lägesbild september", ""),  # a forwarded reply still names the old thread
    ("SV: Lägesbild september", ""),
])
def test_a_forwarded_subject_names_the_forwarded_reports_month(subject, for_period):
    mail = MailFacts(ParsedMail(subject=subject), (), None, "")
    assert mail.subject_for_period == for_period


@pytest.mark.parametrize("text", ["Lägesbild Malung Sälen", "Malung Sälens kommun", "malung-sälen", "MALUNG-SÄLEN"])
def test_a_hyphenated_name_written_with_a_space(text):
    directory = Directory((Municipality("Malung-Sälen", ("malung-salen.se",)), Municipality("Mora", ("mora.se",))))
    assert directory.find_in_text(text).name == "Malung-Sälen"


@pytest.mark.parametrize("text, month", [
    ("Lägesbild Mora 2026-11-05", None),  # a date is when it was written, not the month it covers
    ("Lägesbild 2026-11-03.docx", None),
    ("Lägesbild_Mora_2026-10.docx", (10, 2026)),
    ("Lägesbild oktober, skickad 2026-11-05", (10, None)),
])
def test_a_date_in_a_subject_or_file_name_is_not_a_period(text, month):
    assert find_named_month(text) == month


@pytest.mark.parametrize("lines, month", [
    (["Period: 2026-10-01 – 2026-10-31"], (10, 2026)),
    (["Rapportperiod 2026-09-01--2026-09-30"], (9, 2026)),
    (["Period: 2026-10-15 – 2026-11-15"], None),  # two months: no single month named
    (["Mora 2026-11-03"], None),  # one date is a date
])
def test_a_date_range_within_one_month_names_it(lines, month):
    assert find_heading_month(lines) == month


@pytest.mark.parametrize("text, name", [
    ("Lägesbild oktober Falu kommun", "Falun"), ("Falun", "Falun"), ("Falu rödfärg", None),
])
def test_falu_kommun_is_falun(text, name):
    directory = Directory((Municipality("Falun", ("falun.se",)), Municipality("Mora", ("mora.se",))))
    found = directory.find_in_text(text)
    assert (found.name if found else None) == name


@pytest.mark.parametrize("line, number", [("Fråga nr 3: Extremism och kriminella nätverk", 3),
                                          ("Fråga nummer 5 – ANDT", 5), ("Fråga nr. 2, Hot och våld", 2)])
def test_fraga_nr_headings(line, number):
    heading = match_heading(line)
    assert heading is not None and heading.number == number and heading.explicit


def test_the_question_sentence_alone_is_the_heading():
    lines = []
    for q in QUESTIONS:
        lines += [q.prompt, f"Svar {q.number}."] + ([f"Påverkan: {q.number % 5 + 1}"] if q.rated else [])
    ex, answers, problems = read(lines)
    assert ex.found and problems == []
    assert answers == {n: (n % 5 + 1, None) for n in range(1, 7)} | {7: (None, None)}
    assert ex.answers[4].text == "Svar 4."


@pytest.mark.parametrize("sentence", [
    "Har ni sett något nytt under den senaste månaden när det gäller hot och våld?",
    "Vilka åtgärder har ni vidtagit för att öka tryggheten i centrum under den senaste månaden?",
])
def test_a_question_in_an_answer_is_not_a_heading(sentence):
    assert match_heading(sentence) is None


@pytest.mark.parametrize("text, month", [
    ("Hej! Här kommer oktobers lägesbild.\nFråga 1, Ordningsstörningar och otrygghet:\nInget.", (10, None)),
    ("Hej!\nFråga 6, Övrigt:\nJulmarknad i december.", None),  # an answer's month is no period
    ("Hej! Här kommer den.\nMvh Anna\nVälkommen till Trygghetsdagen i november!", None),  # nor a signature's
    ("Hej! Skickat 3 november, lite sent.", None),  # a date is no period
])
def test_the_mails_own_words_name_the_month_before_the_report(text, month):
    assert letter_month(text) == month


@pytest.mark.parametrize("subject, for_period", [
    ("SV: Påminnelse: lägesbild för oktober 2026 senast 2026-11-07", "Påminnelse: lägesbild för oktober 2026 senast 2026-11-07"),
    ("SV: Lägesbild september", ""),
])
def test_a_reply_to_our_reminder_names_the_month_asked_for(subject, for_period):
    mail = MailFacts(ParsedMail(subject=subject), (), None, "")
    assert mail.subject_for_period == for_period
    if for_period:
        assert find_named_month(for_period) == (10, 2026)  # the deadline's date is not the month


def test_a_table_row_pasted_as_text_is_read_as_cells():
    blocks = text_blocks("Fråga\tSvar\tPåverkan\n1. Ordningsstörningar och otrygghet\tInbrott i förråd.\t2\n"
                         "Hej\tdå")
    assert [(b.text, b.cell) for b in blocks] == [
        ("Fråga\tSvar\tPåverkan", False), ("1. Ordningsstörningar och otrygghet", True),
        ("Inbrott i förråd.", True), ("2", True), ("Hej\tdå", False)]
    ex = extract(blocks[:-1] + text_blocks("2. Hot och våld\tHot mot en chaufför.\t3"))
    assert (ex.answers[1].score, ex.answers[1].text) == (2, "Inbrott i förråd.")
    assert (ex.answers[2].score, ex.answers[2].text) == (3, "Hot mot en chaufför.")


@pytest.mark.parametrize("line, rating", [
    ("Allvarlighetsgrad: 3", Rating(score=3)), ("Risknivå: 2", Rating(score=2)),
    ("Påverkningsgrad: 4", Rating(score=4)),
    ("Påverkan 1–5 (1 = ingen, 5 = mycket stor): 4", Rating(score=4)),
    ("Påverkan: Låg (1)", Rating(score=1)), ("Påverkan: Mycket hög (5)", Rating(score=5)),
    ("Påverkan: Grön-gul", Rating(invalid="Grön-gul")),  # between two levels: held, never the first word
    ("Sammanställd bedömning: gul till röd", Rating(invalid="gul till röd")),
    ("Påverkan: Avvikande/Oroande", Rating(invalid="Avvikande/Oroande")),
    ("Sammanställd bedömning: Gult läge", Rating(color="gul")),
])
def test_more_rating_words(line, rating):
    is_label, value = split_label(line)
    assert is_label and parse_value(value) == rating


def test_a_table_with_the_rating_column_first():
    header = [Block(t, cell=True) for t in ("Påverkan", "Område", "Svar")]
    rows = []
    for n, title in enumerate(TITLES, 1):
        rows += [Block(str(n % 3 + 1) if n < 7 else "", cell=True), Block(title, cell=True), Block(f"Svar {n}.", cell=True)]
    ex = extract([Block("Lägesbild oktober")] + header + rows)
    assert {n: a.score for n, a in ex.answers.items()} == {n: n % 3 + 1 for n in range(1, 7)} | {7: None}
    assert ex.answers[6].text == "Svar 6." and ex.answers[7].text == "Svar 7."
    # The usual order (Fråga | Svar | Påverkan) is unchanged: a rating cell before a title is the last row's.
    header = [Block(t, cell=True) for t in ("Fråga", "Svar", "Påverkan")]
    rows = [Block(x, cell=True) for n, title in enumerate(TITLES, 1) for x in (title, f"Svar {n}.", str(n % 3 + 1))]
    ex = extract(header + rows)
    assert {n: a.score for n, a in ex.answers.items() if n < 7} == {n: n % 3 + 1 for n in range(1, 7)}


def test_a_labelled_rating_outranks_a_level_word_alone_on_its_line():
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[1] = ["Normalt.", "Påverkan: 2"]  # "Normalt." answers the question; the label gives the rating
    ex, answers, problems = read(template(ratings))
    assert answers[1] == (2, None) and problems == []
    assert ex.answers[1].text == "Svar 1.\nNormalt."


def test_a_numbered_list_in_question_6_is_not_a_second_template():
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[6] = ["1. Hot mot en politiker.", "2. Hot och våld mot personal, polisanmält.", "Påverkan: 3"]
    ex, answers, problems = read(template(ratings, style="{n}. {title}"))
    assert answers[6] == (3, None) and 7 in answers and problems == [] and not ex.rest
    assert "Hot och våld mot personal" in ex.answers[6].text


def test_a_second_template_still_starts_at_fraga_1():
    first = template({n: ["Påverkan: 1"] for n in range(1, 7)})
    second = ["Lägesbild september"] + template({n: ["Påverkan: 2"] for n in range(1, 7)})
    ex = extract([Block(line) for line in first + second])
    assert ex.rest and {a.score for n, a in ex.answers.items() if n < 7} == {1}


def test_a_topic_line_under_numbered_questions_is_not_the_next_heading():
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[4] = ["- Narkotika: rykten om langning vid skolan.", "Påverkan: 3"]
    ex, answers, problems = read(template(ratings))
    assert answers[4] == (3, None) and answers[5] == (1, None) and problems == []
    assert "langning" in ex.answers[4].text


def test_title_only_headings_still_work_without_numbers():
    ex, answers, problems = read(template({n: ["Påverkan: 2"] for n in range(1, 7)}, style="{title}:"))
    assert answers == {n: (2, None) for n in range(1, 7)} | {7: (None, None)} and problems == []


@pytest.mark.parametrize("number_line", ["Fråga {n}", "{n}."])
def test_the_number_and_the_title_on_separate_lines(number_line):
    lines = ["Lägesbild oktober"]
    for n, title in enumerate(TITLES, 1):
        lines += [number_line.format(n=n), title, "Lugnt."] + (["Påverkan: 1"] if n < 7 else [])
    ex, answers, problems = read(lines)
    assert answers == {n: (1, None) for n in range(1, 7)} | {7: (None, None)} and problems == []
    assert {a.text for a in ex.answers.values()} == {"Lugnt."}  # the title is no answer text
    assert ex.titled == set(range(1, 8))


def test_a_rating_on_the_line_after_its_label_is_not_the_next_questions_number():
    lines = ["Lägesbild oktober"]
    for n, title in enumerate(TITLES, 1):
        lines += [title, "Lugnt."] + (["Påverkan:", f"{n + 1}."] if n < 7 else [])
    _, answers, problems = read(lines)
    assert answers[1] == (2, None) and answers[2] == (3, None) and problems == [("invalid_score", 5), ("invalid_score", 6)]


@pytest.mark.parametrize("value", ["2 → 3", "2 -> 3", "2>3"])
def test_a_change_between_two_levels_is_held(value):
    assert parse_value(value).invalid == value


@pytest.mark.parametrize("line, text", [
    ("Påverkan: 2. Inbrott i tre förråd på Tallbacken.", "Inbrott i tre förråd på Tallbacken."),
    ("Påverkan 2, inget att rapportera i övrigt.", "inget att rapportera i övrigt."),
    ("Påverkan: 2 (Avvikande) eftersom inbrotten ökat", "eftersom inbrotten ökat"),
    ("Påverkan: 2 av 5", ""), ("Påverkan: Avvikande (2)", ""),
])
def test_an_answer_after_the_rating_on_its_line_is_kept(line, text):
    ratings = {n: ["Påverkan: 1"] for n in range(1, 7)}
    ratings[1] = [line]
    ex, answers, problems = read([f"Fråga {n}, {t}:" if k == 0 else x for n, t in enumerate(TITLES, 1)
                                  for k, x in enumerate([None] + ratings.get(n, []))])
    assert answers[1] == (2, None) and problems == [] and ex.answers[1].text == text


@pytest.mark.parametrize("line, number", [
    ("2. Hot, våld", 2), ("2. Hot- och våldsbrott", 2), ("4. Unga/skola", 4), ("6. Annat", 6), ("Hot & våld:", 2),
])
def test_more_short_titles(line, number):
    heading = match_heading(line)
    assert heading is not None and heading.number == number and heading.rest == ""


@pytest.mark.parametrize("line", ["6. Annat som hänt i kommunen", "Hot & våld mot personal ökar"])
def test_short_titles_with_text_after_them_are_no_headings(line):
    assert match_heading(line) is None


def test_a_title_with_its_answer_is_a_heading_when_no_numbered_heading_follows():
    lines = ["Fråga 1, Ordningsstörningar och otrygghet:", "Lugnt.", "Påverkan: 1"]
    lines += [f"{t}: Svar {n}. Påverkan: 2" if n < 7 else f"{t}: Svar 7." for n, t in enumerate(TITLES, 1) if n > 1]
    ex, answers, problems = read(lines)
    assert answers == {1: (1, None)} | {n: (2, None) for n in range(2, 7)} | {7: (None, None)} and problems == []
