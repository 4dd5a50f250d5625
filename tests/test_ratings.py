import pytest

from parsers.ratings import Rating, color_from_fill, parse_bare, parse_value, split_label


@pytest.mark.parametrize("value, expected", [
    ("3", Rating(score=3)),
    ("3.", Rating(score=3)),
    ("4 (Allvarligt)", Rating(score=4)),
    ("3 - Oroande", Rating(score=3)),
    ("Oroande", Rating(score=3)),
    ("Normalt", Rating(score=1)),
    ("kritiskt", Rating(score=5)),
    ("Avvikande (2)", Rating(score=2)),
    ("Gult", Rating(color="gul")),
    ("RÖTT", Rating(color="röd")),
    ("Grön – hanteras inom ordinarie rutiner", Rating(color="grön")),
    ("3/5", Rating(score=3)),
    ("☐1 ☐2 ☒3 ☐4 ☐5", Rating(score=3)),
    ("1 ☐ 2 ☐ 3 ☐ 4 ☑ 5 ☐", Rating(score=4)),
    ("■ 2", Rating(score=2)),
    ("7", Rating(invalid="7")),
    ("0", Rating(invalid="0")),
    ("3-4", Rating(invalid="3-4")),
    ("2,5", Rating(invalid="2,5")),
    ("☒1 ☐2 ☒3", Rating(invalid="☒1 ☐2 ☒3")),
    ("tre", Rating(score=3)),
    ("Två (Avvikande)", Rating(score=2)),
    ("1 [ ] 2 [X] 3 [ ] 4 [ ] 5 [ ]", Rating(score=2)),
    ("[ ] 1 [ ] 2 [ ] 3 [x] 4 [ ] 5", Rating(score=4)),
    ("1-5", None),
    ("", None),
    ("☐1 ☐2 ☐3 ☐4 ☐5", None),
])
def test_parse_value(value, expected):
    assert parse_value(value) == expected


@pytest.mark.parametrize("text, expected", [
    ("Påverkan: 3", (True, "3")),
    ("Påverkan 1-5: 4", (True, "4")),
    ("Påverkan¹: 2", (True, "2")),
    ("PÅVERKAN:3", (True, "3")),
    ("Sammanställd bedömning: Gult", (True, "Gult")),
    ("Påverkan (1-5): 2", (True, "2")),
    ("Påverkansgrad: 5", (True, "5")),
    ("Påverkan", (True, "")),
    ("Påverkades mycket av stormen", (False, "Påverkades mycket av stormen")),
])
def test_split_label(text, expected):
    assert split_label(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("3", Rating(score=3)),
    ("Gul", Rating(color="gul")),
    ("Allvarligt", Rating(score=4)),
    ("Lugnt i stan", None),
    ("12", None),
])
def test_parse_bare(text, expected):
    assert parse_bare(text) == expected


@pytest.mark.parametrize("fill, color", [
    ("00B050", "grön"), ("92D050", "grön"), ("FFFF00", "gul"), ("FFC000", "gul"),
    ("FF0000", "röd"), ("C00000", "röd"), ("FFFFFF", None), ("D9D9D9", None), (None, None), ("zz", None),
])
def test_color_from_fill(fill, color):
    assert color_from_fill(fill) == color
