"""People's names in news text: runs of capitalised words, and who a name is.

Shared by readability (is a surname introduced before a sentence leans on it?) and the
conflict finder (are two ages one person's?). Plain regular-expression work, no models:

- ``name_runs(text)``: runs of capitalised tokens, with the tokens either side.
- ``introductions(text)``: names given in full (with a first name or a role title) and
  single capitalised words.
- ``person(text)``: the person a short phrase names, as ``(given, surname)``.
- ``given_names(texts)``: per surname, the given names the texts write before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A capitalised word that can be part of a name ("O'Brien", "Jean-Pierre", "McKinney").
NAME_TOKEN = re.compile(r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|Mc[A-Z][a-z]+|Mac[A-Z][a-z]+")
#: Words, punctuation runs and numbers, as name runs are read.
TOKEN = re.compile(r"[A-Za-z][\w'’.-]*|[^\w\s]+|\d[\d,.]*")
NAME_PARTICLES = frozenset(
    "de da di du van von der den la le bin bint ibn abu al el y arap dos das do del della ter"
    " ten".split()
)
# Title words: "President Clinton" introduces Clinton, "Mr. Clinton" does not.
ROLE_TITLES = frozenset(
    "President Vice Prime Minister Secretary Chancellor King Queen Prince Princess Pope Senator"
    " Sen. Rep. Representative Gov. Governor Gen. General Adm. Admiral Col. Colonel Lt. Capt."
    " Captain Commander Cmdr. Cmndr. Sgt. Maj. Judge Justice Chief Mayor Ambassador Speaker"
    " Chairman Chairwoman Director Premier Sheikh Ayatollah Archbishop Bishop Cardinal Rabbi"
    " Attorney Coach Officer Detective Inspector"
    " Agent Deputy Leader Commissioner Foreign Defense Interior Finance Russian American"
    " U.S. British French Chinese Israeli Palestinian Ukrainian Hungarian Former Acting".split()
)
#: Titles that only a person carries (not "Russian", "Foreign", "U.S.").
PERSON_TITLES = frozenset(
    "President Secretary Chancellor King Queen Prince Princess Pope Senator Sen. Rep."
    " Representative Gov. Governor Gen. General Adm. Admiral Col. Colonel Lt. Capt. Captain"
    " Commander Cmdr. Cmndr. Sgt. Maj. Judge Justice Mayor Ambassador Speaker Chairman"
    " Chairwoman Premier Sheikh Ayatollah Archbishop Bishop Cardinal Attorney Coach Officer"
    " Detective Inspector Agent Commissioner".split()
)

#: Last words of organisations' names, never a person's surname.
INSTITUTIONS = frozenset(
    "Department Commission Committee Agency Administration Hospital Corps Council Court"
    " Association University Institute Office Service Ministry Board Bureau Center Centre"
    " Foundation Party Union Company Corp Inc Group Times Post News Press Agency Network"
    " Organization Program Project Fund Bank Society Club League Conference House Senate"
    " Congress Army Navy Police Internet Web Net God Jr Sr Jr. Sr. II III".split()
)
# "President Boris Yeltsin Saturday signed ...", "... said Sunday.": days are no surnames.
WEEKDAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
CALENDAR = WEEKDAYS | frozenset(
    "January February March April May June July August September October November December".split()
)

HONORIFICS = frozenset(
    "Mr. Mrs. Ms. Miss Dr. Mme. Messrs. Mr Mrs Ms Dr Prof. Professor Rev. Father Sister".split()
)
NOT_NAMES = frozenset(
    "The A An In On At By For From With And But Or If When While As After Before Since Until"
    " This That These Those It He She They We I You His Her Their Its Our My Your There Here"
    " Also However Meanwhile Monday Tuesday Wednesday Thursday Friday Saturday Sunday January"
    " February March April May June July August September October November December Jan Feb"
    " Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Today Yesterday Tomorrow Last Next Earlier"
    " Later Some Many Most All Several Both Each Every No Not One Two Three Four Five Six"
    " Seven Eight Nine Ten According Under Over About Among Between Despite Although Though"
    " Because Police Officials Authorities Witnesses Experts Analysts Scientists Researchers"
    " Residents Doctors Critics Supporters Opponents Democrats Republicans Americans".split()
)


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def is_cap(token: str) -> bool:
    return bool(NAME_TOKEN.fullmatch(token.rstrip(".")) or re.fullmatch(r"[A-Z]\.", token))


@dataclass(frozen=True, slots=True)
class Run:
    """A run of capitalised tokens and the tokens either side of it."""

    words: tuple[str, ...]
    before: str
    after: str
    possessive: bool = False  # the last word was written "Locke's"


def name_runs(text: str) -> list[Run]:
    """Runs of capitalised tokens (initials and particles such as "bin" allowed inside)."""
    toks = tokens(text)
    runs: list[Run] = []
    current: list[str] = []
    start = 0

    def close(end: int, possessive: bool = False) -> None:
        if current:
            before = toks[start - 1] if start else ""
            after = toks[end] if end < len(toks) else ""
            runs.append(Run(tuple(current), before, after, possessive))

    for i, token in enumerate(toks):
        bare = possessive_free(token)
        if is_cap(bare) or bare in ROLE_TITLES or bare in HONORIFICS:
            if not current:
                start = i
            current.append(bare)
            if bare != token:  # a possessive ends the name
                close(i + 1, possessive=True)
                current = []
            continue
        if current and token in NAME_PARTICLES:
            current.append(token)
            continue
        close(i)
        current = []
    close(len(toks))
    return runs


def introductions(text: str) -> tuple[set[str], set[str]]:
    """``(introduced, mentioned)``: names given with a first name or a role title (full name
    and surname), and single capitalised words (places, organisations, lone surnames)."""
    full: set[str] = set()
    single: set[str] = set()
    for run in name_runs(text):
        words = [t for t in run.words if t not in NAME_PARTICLES]
        while words and words[0] in NOT_NAMES:
            words = words[1:]
        # "offered by Microsoft Friday night", "said Clinton Tuesday": a weekday ends no name.
        while words and words[-1] in WEEKDAYS:
            words = words[:-1]
        people = [t for t in words if t not in ROLE_TITLES and t not in HONORIFICS]
        if not people:
            continue
        if len(people) >= 2 or any(t in ROLE_TITLES for t in words):
            full.add(" ".join(people))
            full.add(people[-1])
            # A two-word name may be written surname first ("Cheung Tze-keung", "Zhang
            # Zhongqi", "Doje Cering"): either word alone needs the full name before it.
            if (
                len(people) == 2
                and len(words) == 2
                and people[-1].rstrip(".") not in INSTITUTIONS
                and people[0] not in INSTITUTIONS
            ):
                full.add(people[0])
        elif len(words) == 1:
            single.add(words[0])
    return full, single


def possessive_free(token: str) -> str:
    """The word without a possessive or a sentence's full stop ("Locke's", "Locke.")."""
    if token.endswith(("'s", "’s")):
        return token[:-2]
    if (
        token.endswith(".")
        and len(token) > 4
        and token not in ROLE_TITLES
        and token not in HONORIFICS
        and "." not in token[:-1]
    ):
        return token[:-1]
    return token


#: Words before a surname that are no given name: descriptions capitalised at a sentence's
#: start ("Suspect Hargov, 37") and parts of titles the title lists do not hold ("Majority
#: Leader Lott", "Secretary of State Albright", "District Attorney Smith").
NOT_GIVEN = frozenset(
    "Suspect Suspects Defendant Defendants Victim Witness State Majority Minority Leader Whip"
    " District Attorney Counsel Independent Solicitor Sheriff Congressman Congresswoman Lord"
    " Emperor Sheik Pfc. Secretary-General Mrs Mr Ms Dr".split()
)
#: What follows a surname and is no part of it ("John F. Kennedy Jr.").
SUFFIXES = frozenset("Jr Jr. Sr Sr. II III IV".split())
#: A phrase opening with these is a place or a time, not a person ("In Atlanta, a
#: 31-year-old", "On Monday, a 45-year-old", "Early Monday, a 45-year-old").
PLACE_OR_TIME = frozenset(
    "in on at near outside inside early late last next this that after before during since"
    " until from across".split()
)
_EDGE = "\"'“”‘’`()[],;:"


def person(text: str) -> tuple[str, str] | None:
    """The person a short phrase names, case folded: ``(given, surname)``, given ``""`` for
    a surname alone. The surname is the last word (suffixes such as "Jr." dropped), the given
    name the first word before it that is no title, initial or description: "Aaron James
    McKinney" -> ``("aaron", "mckinney")``, "Suspect Hargov" -> ``("", "hargov")``, "House
    Speaker Newt Gingrich" -> ``("newt", "gingrich")``, "Rodney King" -> ``("rodney",
    "king")``, "Shaquille O'Neal" -> ``("shaquille", "o'neal")``. ``None`` when the phrase
    names no one: it opens with a place or a time ("On Monday", "In Atlanta"), or holds only
    titles and common words ("The President", "But")."""
    first = text.split(maxsplit=1)[0].strip(_EDGE) if text.strip() else ""
    if first.casefold() in PLACE_OR_TIME:
        return None
    # The name is the capitalised words at the end ("The two, Udi Hargov" -> "Udi Hargov").
    last = text.rstrip().rstrip(",").rsplit(",", 1)[-1]
    tail = [possessive_free(w.strip(_EDGE)) for w in last.split()]
    start = len(tail)
    while (
        start
        and (
            tail[start - 1][:1].isupper()  # "Osama bin Laden": a particle inside a name
            or (start > 1 and tail[start - 1] in NAME_PARTICLES and tail[start - 2][:1].isupper())
        )
    ):
        start -= 1
    words = [w for w in tail[start:] if w and w not in NAME_PARTICLES]
    while words and words[0] in NOT_NAMES:
        words = words[1:]
    while words and (words[-1] in SUFFIXES or words[-1] in CALENDAR):
        words = words[:-1]
    if not words or not words[-1][:1].isupper() or len(words[-1].rstrip(".")) < 2:
        return None
    surname, before = words[-1], words[:-1]
    if surname in HONORIFICS or surname in INSTITUTIONS or surname in NOT_NAMES:
        return None
    if surname in ROLE_TITLES and not before:
        return None  # "President" alone; "Rodney King" keeps its surname
    given = next(
        (
            w
            for w in before
            if w not in ROLE_TITLES
            and w not in HONORIFICS
            and w not in NOT_GIVEN
            and w not in INSTITUTIONS
            and len(w.rstrip(".")) > 1  # "W." is an initial
        ),
        "",
    )
    return given.casefold(), surname.casefold()


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’-]+")


def lower_case_words(texts: Iterable[str]) -> set[str]:
    """The words the texts write in lower case: a capitalised one of them opening a sentence
    ("New Microsoft filings", "Identifies McKinney") need not be a name."""
    return {w for text in texts for w in _LOWER_WORD.findall(text)}


def given_names(texts: Iterable[str]) -> dict[str, set[str]]:
    """Per surname (case folded), the given names the texts write before it ("Newt
    Gingrich", "Marianne Gingrich" -> ``{"gingrich": {"newt", "marianne"}}``). Initials,
    titles, middle names and words that open sentences ("But Rudolph") are no given names,
    nor, in an untitled name that opens a sentence, a word the texts also write in lower
    case (a headline's "Witness Identifies McKinney"; "President Bill Clinton" keeps Bill).
    """
    texts = list(texts)
    lower = lower_case_words(texts)
    out: dict[str, set[str]] = {}
    for text in texts:
        for run in name_runs(text):
            named = person(" ".join(run.words))
            if named is None or not named[0]:
                continue
            titled = any(w in ROLE_TITLES or w in HONORIFICS for w in run.words)
            if not run.before and not titled and named[0] in lower:
                continue
            out.setdefault(named[1], set()).add(named[0])
    return out
