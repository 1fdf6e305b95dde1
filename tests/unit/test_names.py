"""Names: who a phrase names, and the given names a cluster writes before a surname."""

from __future__ import annotations

import pytest
from newsfuse import names


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Eric Rudolph", ("eric", "rudolph")),
        ("George W. Bush", ("george", "bush")),  # an initial is no given name
        ("Former House Speaker Newt Gingrich", ("newt", "gingrich")),
        ("House Speaker Gingrich", ("", "gingrich")),  # an institution is no given name
        ("Suspect Hargov", ("", "hargov")),  # nor a description
        ("Suspects Udi Hargov", ("udi", "hargov")),
        ("Mrs. Gingrich", ("", "gingrich")),
        ("But Rudolph", ("", "rudolph")),  # a sentence's first word
        ("The two, Udi Hargov", ("udi", "hargov")),  # the last name in the phrase
        ("Aaron James McKinney", ("aaron", "mckinney")),  # a middle name is no given name
        ("Hillary Rodham Clinton", ("hillary", "clinton")),
        ("Shaquille O'Neal", ("shaquille", "o'neal")),
        ("John F. Kennedy Jr.", ("john", "kennedy")),
        ("Rodney King", ("rodney", "king")),  # a title word as a surname
        ("Majority Leader Lott", ("", "lott")),
        ("Mr. Rudolph", ("", "rudolph")),
        ("Osama bin Laden", ("osama", "laden")),
        ("On Monday", None),
        ("In Atlanta", None),
        ("Early Monday", None),
        ("The President", None),
        ("the police", None),
    ],
)
def test_person_reads_given_name_and_surname(phrase: str, expected: tuple[str, str] | None) -> None:
    assert names.person(phrase) == expected


def test_given_names_per_surname() -> None:
    given = names.given_names(
        [
            "Marianne Gingrich, 48, has admitted in the past that there was a separation.",
            "Former House Speaker Newt Gingrich filed for divorce in July.",
            "House Speaker Gingrich said nothing.",
            "But Rudolph has not been found.",
            "Suspect Hargov, 37, was remanded.",
        ]
    )
    assert given == {"gingrich": {"marianne", "newt"}}


def test_introductions_are_the_names_readability_counts() -> None:
    full, single = names.introductions("President Clinton met Gary Locke in Seattle.")
    assert {"Clinton", "Gary Locke", "Locke"} <= full
    assert "Seattle" in single


def test_a_titled_given_name_stays_though_written_in_lower_case() -> None:
    given = names.given_names(
        ["President Bill Clinton signed the bill Monday.", "Hillary Rodham Clinton, 51, spoke."]
    )
    assert given == {"clinton": {"bill", "hillary"}}


def test_a_headline_word_is_no_given_name() -> None:
    given = names.given_names(
        [
            "Witness Identifies McKinney",
            "Identifies McKinney as the man",  # a headline's verb, written in lower case below
            "The bartender identifies him.",
            "Aaron McKinney, 22, was charged.",
        ]
    )
    assert given == {"mckinney": {"aaron"}}
