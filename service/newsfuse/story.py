"""Story: tell the selected facts the way an editor would — main event first, then in order.

Pure decisions over the request's facts, on top of ``timeline`` (dates) and ``support``
(what states what):

* every document gets a date: its own (caller, front matter, header), or one inferred from
  its text and the dated documents of the cluster (marked as inferred);
* every fact gets the date its event happened (``timeline.fact_date``): the day its text
  gives, else no later than the first article that states it;
* the lead is the salient fact the articles open with, unless a later report overturns it
  ("the summit is called off" after "the summit is planned"): then that report leads;
* after the lead, facts are told in the order their events happened (undated facts where
  their articles put them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from newsfuse.readability import (
    SOURCE_CONTEXT,
    is_debris,
    names_introduced,
    needs_antecedent,
    not_a_statement,
    told_before_in_source,
)
from newsfuse.support import Evidence, SupportScorer
from newsfuse.timeline import fact_date, infer_cluster_dates, stated_date
from newsfuse.types import ParsedDocument, RankedFact, Sentence

#: Two sentences are about the same event when this close and sharing a name.
_SAME_EVENT_COSINE = 0.5
#: A later report overturns the main fact when this close to it and flipping its outcome.
_OVERTURN_COSINE = 0.45
#: A sentence shorter than this reads as a fragment, not a lead.
_MIN_LEAD_WORDS = 8
#: Seen sentences compared with a candidate fact: the most similar ones, if this close.
_SEEN_CANDIDATES = 12
_SEEN_COSINE = 0.45
#: Sentences of earlier articles asked whether they state a fact that gives no day of its own.
_FIRST_REPORT_CANDIDATES = 8
_FIRST_REPORT_COSINE = 0.5
_QUOTE_OPENERS = ('"', "“", "'", "‘", "``", "«")
_WORD = re.compile(r"\w+", re.UNICODE)


def date_documents(
    documents: Sequence[ParsedDocument], sentences: Sequence[Sentence], evidence: Evidence
) -> tuple[list[ParsedDocument], list[bool]]:
    """The documents with a date each where one can be inferred; which dates were inferred."""
    if all(d.date is not None for d in documents) or all(d.date is None for d in documents):
        return list(documents), [False] * len(documents)
    index_of = {(s.doc, s.text): i for i, s in enumerate(sentences)}
    by_text: dict[str, int] = {}
    for (_, text), i in index_of.items():
        by_text.setdefault(text, i)

    def same_event(a: str, b: str) -> bool:
        i, j = by_text.get(a), by_text.get(b)
        if i is None or j is None:
            return False
        close = float(evidence.vectors[i] @ evidence.vectors[j]) >= _SAME_EVENT_COSINE
        return close and bool(evidence.parts[i].names & evidence.parts[j].names)

    inferred = infer_cluster_dates(documents, same_event)
    out, flags = [], []
    for doc, guess in zip(documents, inferred, strict=True):
        if doc.date is None and guess is not None:
            out.append(dataclasses.replace(doc, date=guess.date))
            flags.append(True)
        else:
            out.append(doc)
            flags.append(False)
    return out, flags


def fact_dates(
    ranked: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence | None = None,
    scorer: SupportScorer | None = None,
) -> dict[int, dt.date | None]:
    """The date each fact's event happened, by fact cluster id (``timeline.fact_date``).

    With a scorer, a fact whose members give no day of their own happened no later than the
    earliest article that states it, a member or not: background that a later article
    retells (a death, an arrest months before the trial it reports) is told where it
    happened, not where it was retold.
    """
    out: dict[int, dt.date | None] = {}
    reported = [documents[s.doc].date for s in sentences]  # each sentence's article date
    for fact in ranked:
        told = [(sentences[m].text, reported[m]) for m in fact.cluster.members]
        day = fact_date(told)
        stated = any(stated_date(text, doc_date) for text, doc_date in told)
        if day is not None and not stated and evidence is not None and scorer is not None:
            first = _first_report(fact, day, reported, evidence, scorer)
            day = min(day, first) if first is not None else day
        out[fact.cluster.id] = day
    return out


def _first_report(
    fact: RankedFact,
    before: dt.date,
    reported: Sequence[dt.date | None],
    evidence: Evidence,
    scorer: SupportScorer,
) -> dt.date | None:
    """The earliest date of an article before ``before`` with a sentence stating the fact
    (``reported``: each sentence's article date)."""
    rows = [i for i, day in enumerate(reported) if day is not None and day < before]
    if not rows:
        return None
    rep = fact.cluster.representative
    cosine = evidence.vectors[rows] @ evidence.vectors[rep]
    near = [
        rows[k]
        for k in np.argsort(-cosine)[:_FIRST_REPORT_CANDIDATES]
        if cosine[k] >= _FIRST_REPORT_COSINE
    ]
    if not near:
        return None
    same = scorer.either(evidence, [rep] * len(near), near, at_least=scorer.thresholds.repeat)
    threshold = scorer.thresholds.repeat
    days = [reported[j] for j, p in zip(near, same.tolist(), strict=True) if p >= threshold]
    return min((d for d in days if d is not None), default=None)


def lead_worthy(text: str) -> bool:
    """Whether a sentence can open a summary: a full statement, not a quote or fragment."""
    stripped = text.lstrip()
    if stripped.startswith(_QUOTE_OPENERS):
        return False
    return len(_WORD.findall(text)) >= _MIN_LEAD_WORDS


def article_openings(
    sentences: Sequence[Sentence], skip: Collection[int] = (), per_document: int = 2
) -> dict[int, list[int]]:
    """Per document (those not in ``skip``), its first ``per_document`` showable sentences."""
    out: dict[int, list[int]] = {}
    for k, sentence in enumerate(sentences):
        if sentence.doc in skip or not showable(sentence):
            continue
        opening = out.setdefault(sentence.doc, [])
        if len(opening) < per_document:
            opening.append(k)
    return out


def choose_lead(
    ranked: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence,
    shown: Mapping[int, int] | None = None,
    candidates: int = 10,
    seen: Collection[int] = (),
) -> RankedFact | None:
    """The fact the summary opens with.

    Of the most salient facts, the one the articles open with: news is written with the main
    event first, so the main event is the fact closest, on average over the articles, to an
    article's first two sentences (an article already read, in ``seen``, does not count).
    The most widely repeated fact is often background that every article restates (a
    submarine's crew of 118) rather than what happened. Unless a report dated after every
    report of it overturns it: a fact about the same thing and the same people that calls it
    off, cancels or postpones it (the closest such fact). Quotes and fragments never lead.
    """
    told = shown or {f.cluster.id: f.cluster.representative for f in ranked}
    pool = [
        f
        for f in ranked[:candidates]
        if f.cluster.id in told and lead_worthy(sentences[told[f.cluster.id]].text)
    ]
    if not pool:
        return ranked[0] if ranked else None
    openings = list(article_openings(sentences, skip=set(seen)).values())
    vectors = evidence.vectors

    def opens_with(fact: RankedFact) -> float:
        v = vectors[told[fact.cluster.id]]
        return float(np.mean([float((vectors[rows] @ v).max()) for rows in openings]))

    main = max(pool, key=lambda f: (opens_with(f), f.score)) if openings else pool[0]
    latest = _latest(main, sentences, documents)
    if latest is None:
        return main
    rep = main.cluster.representative
    main_parts = evidence.parts[rep]
    best, best_cosine = None, _OVERTURN_COSINE
    for fact in ranked:
        other = told.get(fact.cluster.id)
        if other is None or fact is main or not lead_worthy(sentences[other].text):
            continue
        first = min(
            (documents[sentences[m].doc].date for m in fact.cluster.members),
            key=lambda d: d or dt.date.min,
        )
        if first is None or first <= latest:
            continue
        parts = evidence.parts[other]
        cosine = float(evidence.vectors[rep] @ evidence.vectors[other])
        # Calling off, cancelling, postponing: not any negation (a later "denied" is news,
        # not necessarily the end of the story).
        flips = parts.outcome_off and not main_parts.outcome_off
        same_actors = bool(parts.names & main_parts.names) or not main_parts.names
        if flips and same_actors and cosine >= best_cosine:
            best, best_cosine = fact, cosine
    if best is not None:
        return best
    return main


def _latest(
    fact: RankedFact, sentences: Sequence[Sentence], documents: Sequence[ParsedDocument]
) -> dt.date | None:
    dates = [documents[sentences[m].doc].date for m in fact.cluster.members]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def order(
    facts: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    dates: Mapping[int, dt.date | None],
    lead: RankedFact | None = None,
) -> list[RankedFact]:
    """Reading order: the lead, then by the date of each event, then by article position.

    Undated facts follow the dated one their article tells just before them (so a story
    without any dates keeps its articles' order).
    """
    rest = [f for f in facts if f is not lead]

    def position(fact: RankedFact) -> tuple[int, int]:
        first = min((sentences[m] for m in fact.cluster.members), key=lambda s: (s.index, s.doc))
        return first.index, first.doc

    dated = sorted(
        (f for f in rest if dates.get(f.cluster.id) is not None),
        key=lambda f: (dates[f.cluster.id], *position(f)),
    )
    undated = sorted((f for f in rest if dates.get(f.cluster.id) is None), key=position)
    merged: list[RankedFact] = []
    pending = list(undated)
    for fact in dated:
        while pending and position(pending[0]) < position(fact):
            merged.append(pending.pop(0))
        merged.append(fact)
    merged.extend(pending)
    return ([lead] if lead is not None and lead in facts else []) + merged


def seen_documents(documents: Sequence[ParsedDocument], seen_ids: set[str]) -> set[int]:
    """Indices of the documents the reader has already seen."""
    return {i for i, d in enumerate(documents) if d.document.id in seen_ids}


def told_by_seen(
    fact: RankedFact,
    sentences: Sequence[Sentence],
    seen: set[int],
    evidence: Evidence,
    scorer: SupportScorer,
) -> bool:
    """Whether the reader already knows a fact: a seen document tells it or states its claim.

    Strict on purpose: an update summary may retell what the reader knows in new words, as
    editors do to set up what is new; the looser test of a repeat inside one summary
    (``rank.select``) left out too much (docs/bench.md, "Update summaries").
    """
    if any(sentences[m].doc in seen for m in fact.cluster.members):
        return True
    rows = [i for i, s in enumerate(sentences) if s.doc in seen]
    if not rows:
        return False
    rep = fact.cluster.representative
    cosine = evidence.vectors[rows] @ evidence.vectors[rep]
    near = [rows[k] for k in np.argsort(-cosine)[:_SEEN_CANDIDATES] if cosine[k] >= _SEEN_COSINE]
    if not near:
        return False
    support = scorer.support(evidence, [rep] * len(near), near)
    return bool(support.max() >= scorer.thresholds.cite)


def showable(sentence: Sentence) -> bool:
    """Whether a sentence may ever be shown: not unfit, not debris, and a statement."""
    return not (sentence.unfit or is_debris(sentence.text) or not_a_statement(sentence.text))


def fit_to_show(
    sentence: Sentence,
    introduced: frozenset[str],
    surnames: frozenset[str],
    earlier: Sequence[str] = (),
) -> bool:
    """Whether a sentence may be shown where ``introduced`` is what the summary has told.

    ``earlier`` are the sentences before it in its own document: "the samples" is refused
    when they introduced the samples and the summary has not.
    """
    if not showable(sentence):
        return False
    if needs_antecedent(sentence.text, introduced, surnames=surnames) is not None:
        return False
    return told_before_in_source(sentence.text, earlier, introduced) is None


def _earlier_in_source(sentences: Sequence[Sentence]) -> Callable[[int], list[str]]:
    """For a sentence (by position), the sentences before it in its document."""
    by_doc: dict[int, dict[int, str]] = {}
    for s in sentences:
        by_doc.setdefault(s.doc, {})[s.index] = s.text

    def earlier(m: int) -> list[str]:
        s = sentences[m]
        texts = by_doc[s.doc]
        return [texts[k] for k in range(max(0, s.index - SOURCE_CONTEXT), s.index) if k in texts]

    return earlier


def _standalone_reason(reason: str | None) -> bool:
    """A reason that the summary's earlier sentences can lift (a surname given in full)."""
    return reason is None or reason.startswith("surname alone")


def shown_members(
    ranked: Sequence[RankedFact], sentences: Sequence[Sentence], surnames: frozenset[str]
) -> dict[int, int]:
    """Per fact: the member sentence to tell it with (the representative when it can be).

    Members that are debris or unfit (a list item, inside a quotation) never show, nor
    members whose opening needs an antecedent no earlier sentence can give (a pronoun, a
    connective, "the move"); a lone surname is left to ``place_openers``. Facts with no such
    member are left out of the map: they cannot be told.
    """
    out: dict[int, int] = {}
    for fact in ranked:
        members = [fact.cluster.representative] + sorted(
            (m for m in fact.cluster.members if m != fact.cluster.representative),
            key=lambda m: (sentences[m].index, sentences[m].doc),
        )
        for m in members:
            s = sentences[m]
            if not showable(s):
                continue
            if _standalone_reason(needs_antecedent(s.text, surnames=surnames)):
                out[fact.cluster.id] = m
                break
    return out


def place_openers(
    facts: Sequence[RankedFact],
    shown: Mapping[int, int],
    sentences: Sequence[Sentence],
    surnames: frozenset[str],
) -> tuple[list[RankedFact], list[int]]:
    """The facts in order with the sentence to show each, checked in context.

    A sentence whose lone surname no earlier sentence introduced, or that names with "the"
    what its source introduced just before ("the samples") and the summary has not, is
    swapped for a member of its fact that reads well there, or left out.
    """
    kept: list[RankedFact] = []
    chosen: list[int] = []
    texts: list[str] = []
    earlier = _earlier_in_source(sentences)
    for fact in facts:
        introduced = names_introduced(texts)
        options = [shown.get(fact.cluster.id, fact.cluster.representative)] + [
            m for m in fact.cluster.members if m != shown.get(fact.cluster.id)
        ]
        pick = next(
            (m for m in options if fit_to_show(sentences[m], introduced, surnames, earlier(m))),
            None,
        )
        if pick is None:
            continue
        kept.append(fact)
        chosen.append(pick)
        texts.append(sentences[pick].text)
    return kept, chosen
