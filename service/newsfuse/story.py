"""Story: tell the selected facts the way an editor would — main event first, then in order.

Pure decisions over the request's facts, on top of ``timeline`` (dates) and ``support``
(what states what):

* every document gets a date: its own (caller, front matter, header), or one inferred from
  its text and the dated documents of the cluster (marked as inferred);
* every fact gets the date its event happened (``timeline.fact_date``);
* the lead is the most widely reported fact, unless a later report overturns it ("the
  summit is called off" after "the summit is planned"): then that report leads;
* after the lead, facts are told in the order their events happened (undated facts where
  their articles put them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence

import numpy as np

from newsfuse.support import Evidence, SupportScorer
from newsfuse.timeline import fact_date, infer_cluster_dates
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
_QUOTE_OPENERS = ("\"", "“", "'", "‘", "``", "«")
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
    ranked: Sequence[RankedFact], sentences: Sequence[Sentence], documents: Sequence[ParsedDocument]
) -> dict[int, dt.date | None]:
    """The date each fact's event happened, by fact cluster id."""
    return {
        fact.cluster.id: fact_date(
            (sentences[m].text, documents[sentences[m].doc].date) for m in fact.cluster.members
        )
        for fact in ranked
    }


def lead_worthy(text: str) -> bool:
    """Whether a sentence can open a summary: a full statement, not a quote or fragment."""
    stripped = text.lstrip()
    if stripped.startswith(_QUOTE_OPENERS):
        return False
    return len(_WORD.findall(text)) >= _MIN_LEAD_WORDS


def choose_lead(
    ranked: Sequence[RankedFact],
    sentences: Sequence[Sentence],
    documents: Sequence[ParsedDocument],
    evidence: Evidence,
    candidates: int = 10,
) -> RankedFact | None:
    """The fact the summary opens with.

    The most widely reported of the most salient facts (independent sources, then salience),
    unless a report dated after every report of it overturns it: a fact about the same thing
    and the same people that calls it off, cancels or postpones it. Quotes and fragments
    never lead.
    """
    pool = [f for f in ranked[:candidates] if lead_worthy(sentences[f.cluster.representative].text)]
    if not pool:
        return ranked[0] if ranked else None
    main = max(pool, key=lambda f: (f.support, f.score))
    latest = _latest(main, sentences, documents)
    if latest is None:
        return main
    rep = main.cluster.representative
    main_parts = evidence.parts[rep]
    for fact in ranked:
        other = fact.cluster.representative
        if fact is main or not lead_worthy(sentences[other].text):
            continue
        first = min(
            (documents[sentences[m].doc].date for m in fact.cluster.members),
            key=lambda d: d or dt.date.min,
        )
        if first is None or first <= latest:
            continue
        parts = evidence.parts[other]
        close = float(evidence.vectors[rep] @ evidence.vectors[other]) >= _OVERTURN_COSINE
        # Calling off, cancelling, postponing: not any negation (a later "denied" is news,
        # not necessarily the end of the story).
        flips = parts.called_off and not main_parts.called_off
        same_actors = bool(parts.names & main_parts.names) or not main_parts.names
        if close and flips and same_actors:
            return fact
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
    """Whether the reader already knows a fact: a seen document tells it or states its claim."""
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
