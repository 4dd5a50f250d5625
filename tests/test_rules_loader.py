"""Loading rules/*.toml: the shipped rules, and every mistake reported as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.loader import check_rules, load_rules, rules_fingerprint
from rules.model import Color, RuleKind, RulesError, RuleSet

UNITS = """\
[[unit]]
key = "andt"
name = "ANDT-enheten"
addresses = ["andt@lansstyrelsen.example"]
"""

GOOD_RULE = """\
[[rule]]
name = "narkotika"
unit = "andt"
terms = ["narkotika"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped rules ---------------------------------------------------------------


def test_shipped_rules_load():
    rules = load_rules()
    assert isinstance(rules, RuleSet)
    names = {r.name for r in rules.rules}
    assert {"narkotika", "prostitution", "extremism", "mäns_våld_mot_kvinnor"} <= names
    assert {u.key for u in rules.units} == {"andt", "prostitution", "extremism", "mvk", "brottsforebyggande"}
    assert check_rules(None) == []


def test_shipped_rules_are_typed_and_routed():
    rules = load_rules()
    narkotika = rules.rule("narkotika")
    assert narkotika.kind is RuleKind.TERMS and narkotika.unit == "andt"
    assert "drogfri*" in narkotika.exceptions
    assert rules.addresses_for("narkotika") == ("andt.enheten@lansstyrelsen.example",)
    rating = [r for r in rules.rules if r.kind is RuleKind.RATING]
    assert rating and all(r.min_score == 4 and r.colors == (Color.ROD,) for r in rating)
    assert sorted(q for r in rating for q in r.questions) == [1, 2, 3, 4, 5, 6]
    for unit in rules.units:  # placeholders, clearly
        assert unit.addresses and all(a.endswith(".example") for a in unit.addresses)


def test_shipped_rules_point_at_their_lines():
    rules = load_rules()
    origin = rules.rule("narkotika").origin
    path, line = origin.rsplit(":", 1)
    assert Path(path).read_text(encoding="utf-8").splitlines()[int(line) - 1].strip() == "[[rule]]"


def test_units_and_rules_may_live_in_any_file(tmp_path):
    write(tmp_path, "a.toml", GOOD_RULE)
    write(tmp_path, "b.toml", UNITS)
    rules = load_rules(tmp_path)
    assert [r.name for r in rules.rules] == ["narkotika"]
    assert rules.unit_for("narkotika").name == "ANDT-enheten"


def test_fingerprint_changes_on_edit(tmp_path):
    write(tmp_path, "r.toml", UNITS + GOOD_RULE)
    before = rules_fingerprint(tmp_path)
    assert rules_fingerprint(tmp_path) == before
    write(tmp_path, "r.toml", UNITS + GOOD_RULE.replace('"narkotika"]', '"narkotika", "knark"]'))
    assert rules_fingerprint(tmp_path) != before


# --- mistakes, with file and line -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # unknown key, with a suggestion
        (UNITS + GOOD_RULE + "term = [\"x\"]\n", 9, ['okänd nyckel "term"', 'menade du "terms"']),
        (UNITS + GOOD_RULE.replace("unit = \"andt\"", "unit = \"andt\"\nfarg = 1"), 8, ['okänd nyckel "farg"']),
        (UNITS + GOOD_RULE.replace("unit = \"andt\"", "unit = \"andt\"\nfärg = 1"), 8, ["ogiltig TOML"]),
        (UNITS.replace("name =", "namn =") + GOOD_RULE, 3, ['okänd nyckel "namn"']),
        # unknown table
        (UNITS + GOOD_RULE + "\n[[regel]]\nname = \"x\"\n", 10, ['okänd tabell eller nyckel "regel"']),
        (UNITS + "\n[rule]\nname = \"x\"\nunit = \"andt\"\nterms = [\"x\"]\n", 6, ["[[rule]]", "dubbla hakparenteser"]),
        # unknown unit
        (UNITS + GOOD_RULE.replace('unit = "andt"', 'unit = "andtt"'), 7, ['enheten "andtt" finns inte', 'menade du "andt"']),
        # empty terms, empty term, term without words
        (UNITS + GOOD_RULE.replace('["narkotika"]', "[]"), 8, ['"terms" är tom']),
        (UNITS + GOOD_RULE.replace('["narkotika"]', '["narkotika",\n  ""]'), 9, ['tom text i "terms"']),
        (UNITS + GOOD_RULE.replace('["narkotika"]', '["narkotika",\n  "!!"]'), 9, ['termen "!!" innehåller inga ord']),
        (UNITS + GOOD_RULE.replace('terms = ["narkotika"]', 'terms = "narkotika"'), 8, ['"terms" ska vara en lista']),
        (UNITS + GOOD_RULE.replace('terms = ["narkotika"]\n', ""), 5, ['saknar "terms"']),
        # questions and scores
        (UNITS + GOOD_RULE + "questions = [3, 9]\n", 9, ["fråga 9 finns inte", "1–7"]),
        (UNITS + GOOD_RULE + "questions = [0]\n", 9, ["fråga 0 finns inte"]),
        (UNITS + GOOD_RULE + "questions = 3\n", 9, ['"questions" ska vara en lista']),
        (UNITS + GOOD_RULE + "min_score = 7\n", 9, ['"min_score" ska vara ett heltal 1–5', "inte 7"]),
        (UNITS + GOOD_RULE + "min_score = \"4\"\n", 9, ['"min_score" ska vara ett heltal 1–5']),
        (UNITS + GOOD_RULE + "colors = [\"blå\"]\n", 9, ['färgen "blå" finns inte']),
        (UNITS + GOOD_RULE + "kind = \"ord\"\n", 9, ['"kind" ska vara "terms"']),
        # rating rules
        (UNITS + "[[rule]]\nname = \"hög\"\nunit = \"andt\"\nkind = \"rating\"\n", 8, ['behöver "min_score" eller "colors"']),
        (UNITS + "[[rule]]\nname = \"hög\"\nunit = \"andt\"\nkind = \"rating\"\nmin_score = 4\nterms = [\"x\"]\n", 10,
         ['kan inte ha "terms"']),
        (UNITS + "[[rule]]\nname = \"hög\"\nunit = \"andt\"\nkind = \"rating\"\nmin_score = 4\nquestions = [7]\n", 10,
         ["fråga 7 har ingen påverkansgrad"]),
        # names
        (UNITS + GOOD_RULE.replace('name = "narkotika"', 'name = "hög påverkan"'), 6, ["inga mellanslag"]),
        (UNITS + GOOD_RULE.replace('name = "narkotika"\n', ""), 5, ['[[rule]] saknar "name"']),
        (UNITS + GOOD_RULE + "\n" + GOOD_RULE, 11, ['regeln "narkotika" finns redan', ":5)"]),
        # units and addresses
        (UNITS + UNITS.replace("ANDT-enheten", "Annan"), 6, ['enheten "andt" finns redan']),
        (UNITS.replace('["andt@lansstyrelsen.example"]', '["andt.lansstyrelsen.example"]') + GOOD_RULE, 4,
         ['"andt.lansstyrelsen.example" ser inte ut som en e-postadress']),
        (UNITS.replace('["andt@lansstyrelsen.example"]', '[\n  "a@lansstyrelsen.example",\n  "b@@x"]') + GOOD_RULE, 6,
         ['"b@@x" ser inte ut som en e-postadress']),
        (UNITS.replace('["andt@lansstyrelsen.example"]', "[42]") + GOOD_RULE, 4, ["bara innehålla texter", "42"]),
        (UNITS.replace('["andt@lansstyrelsen.example"]', '"andt@lansstyrelsen.example"') + GOOD_RULE, 4,
         ['"addresses" ska vara en lista']),
        (UNITS.replace('["andt@lansstyrelsen.example"]', "[]") + GOOD_RULE, 4, ['"addresses" är tom']),
        (UNITS.replace('addresses = ["andt@lansstyrelsen.example"]\n', "") + GOOD_RULE, 1, ['saknar "addresses"']),
        # except
        (UNITS + GOOD_RULE + 'except = ["drog fri"]\n', 9, ['undantaget "drog fri" ska vara ett enda ord']),
        # TOML syntax
        (UNITS + GOOD_RULE + "questions = [3,\n", 9, ["ogiltig TOML"]),
        (UNITS + 'name = "x"\n', 5, ["ogiltig TOML"]),
    ],
)
def test_mistakes_are_reported_with_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, "regler.toml", text)
    with pytest.raises(RulesError) as caught:
        load_rules(tmp_path)
    errors = caught.value.errors
    prefix = f"{path}:{line}: "
    matching = [e for e in errors if e.startswith(prefix)]
    assert matching, f"no error at {prefix!r} in {errors}"
    assert any(all(w in e for w in words) for e in matching), errors
    assert check_rules(tmp_path) == errors


def test_all_mistakes_are_reported_not_just_the_first(tmp_path):
    write(tmp_path, "a.toml", UNITS + GOOD_RULE + "questions = [8]\nmin_score = 0\n")
    write(tmp_path, "b.toml", "[[rule]]\nname = \"x\"\nunit = \"okänd\"\nterms = [\"y\"]\n")
    write(tmp_path, "c.toml", "this is not toml\n")
    errors = check_rules(tmp_path)
    assert len(errors) == 4, errors
    assert [e.split(":")[0].rsplit("/", 1)[-1] for e in errors] == ["a.toml", "a.toml", "b.toml", "c.toml"]
    assert str(RulesError(errors)).splitlines() == errors


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda d: None, "inga regelfiler"),
        (lambda d: d.rmdir(), "finns inte"),
        (lambda d: (d / "r.toml").write_bytes(b"# \xe4\n"), "UTF-8"),
    ],
)
def test_folder_problems(tmp_path, setup, words):
    folder = tmp_path / "rules"
    folder.mkdir()
    setup(folder)
    errors = check_rules(folder)
    assert len(errors) == 1 and words in errors[0]


def test_valid_custom_rules(tmp_path):
    write(
        tmp_path,
        "r.toml",
        UNITS
        + """
[[rule]]
name = "röd_fem"
unit = "andt"
kind = "rating"
questions = [5, 5]
min_score = 5
colors = ["Rött"]
description = "Fråga 5 kritisk"

[[rule]]
name = "langning"
unit = "andt"
terms = ["langa", "nordiska motståndsrörelsen", "klistermärke + nazistisk"]
except = ["Langt"]
questions = [5, 1]
""",
    )
    rules = load_rules(tmp_path)
    rating, terms = rules.rules
    assert rating.kind is RuleKind.RATING and rating.questions == (5,) and rating.colors == (Color.ROD,)
    assert terms.questions == (1, 5) and terms.exceptions == ("langt",)
    assert [len(t.parts) for t in terms.terms] == [1, 1, 2]
    assert [w.word for w in terms.terms[1].parts[0]] == ["nordiska", "motståndsrörelsen"]
