"""The Swedish words and colours of the lägesbild, defined once.

Month names, the five named levels and the traffic light, and the colours
they are shown in (the Excel workbook and the summary's heatmap). The
question titles live with the questions (`questions.py`). Pure data: the
parsers read these words, mailbot writes them.
"""

from __future__ import annotations

MONTH_NAMES = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
               "september", "oktober", "november", "december")
# Read in subjects written by an Outlook in English ("Report October 2026"); "may" is left out: an English word too.
ENGLISH_MONTH_NAMES = ("january", "february", "march", "april", "", "june", "july", "august", "september",
                       "october", "november", "december")
MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

# The impact scale 1-5 ("Påverkan: 3" or "Oroande").
LEVEL_NAMES = {1: "Normalt", 2: "Avvikande", 3: "Oroande", 4: "Allvarligt", 5: "Kritiskt"}

# The traffic light ("Sammanställd bedömning"): the stored value -> the word on
# its own (a legend, a cell) and the word as a rating ("Bedömning: Gult").
COLOR_NAMES = {"grön": "Grön", "gul": "Gul", "röd": "Röd"}
COLOR_RATINGS = {"grön": "Grönt", "gul": "Gult", "röd": "Rött"}

# How a rating is shown: (fill, text) as RRGGBB. One palette for the workbook and the heatmap.
LEVEL_PALETTE = {
    1: ("B9E3A3", "000000"),
    2: ("FFF29A", "000000"),
    3: ("FFC56E", "000000"),
    4: ("F2845C", "000000"),
    5: ("B8322A", "FFFFFF"),
}
COLOR_PALETTE = {
    "grön": ("4CAF50", "000000"),
    "gul": ("F4D03F", "000000"),
    "röd": ("D9433A", "FFFFFF"),
}
MISSING_FILL = "D6D6D6"  # no report, or no rating


def listing(words, last: str = "och") -> str:
    """ "a, b och c" (or "eller")."""
    words = list(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1] if len(words) > 1 else "".join(words)
