"""Compare sentence splitters that need no downloads: blingfire, pysbd, syntok (+ newsfuse's).

Usage::

    python bench/splitters.py [--eval-dir ../shared/eval] [--duc-docs 200] \
        [--out bench/results/splitters.json]

Measures, per splitter and input mode:

* speed in sentences per second over the example corpus and a sample of DUC documents;
* span fidelity: every span lies in the text, spans do not overlap, ``text[start:end]`` is the
  sentence the splitter returned (pysbd and blingfire return text; we compare it), and no
  non-space character is left outside every span;
* error counts on real text: breaks at hard-wrapped line ends (a single newline inside a
  sentence), breaks after a title (Mr., Dr., Sen. ...), sentences starting in lower case,
  breaks inside a number, and over-long sentences (missed breaks);
* accuracy on hand-labelled tricky snippets written for this benchmark.

Input modes: ``raw`` splits the whole document text as is; ``unwrap`` first cuts paragraphs at
blank lines and replaces the single newlines inside a paragraph by spaces (same length, so
spans stay exact) -- what an ingest stage can do before any splitter.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    EXAMPLES,
    RESULTS,
    load_datasets,
    machine_info,
    markdown_table,
    write_json,
)

_LOGGER = logging.getLogger(__name__)

# A splitter returns (start, end, reported sentence text or None) triples.
RawSpans = list[tuple[int, int, str | None]]
Splitter = Callable[[str], RawSpans]


# --- the splitters --------------------------------------------------------------------------


def _blingfire() -> Splitter:
    import blingfire

    def split(text: str) -> RawSpans:
        if not text.strip():
            return []
        sentences, offsets = blingfire.text_to_sentences_and_offsets(text)
        return [
            (int(a), int(b), s)
            for (a, b), s in zip(offsets, sentences.split("\n"), strict=False)
        ]

    return split


def _pysbd() -> Splitter:
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)

    def split(text: str) -> RawSpans:
        if not text.strip():
            return []
        return [(span.start, span.end, span.sent) for span in segmenter.segment(text)]

    return split


def _syntok() -> Splitter:
    from syntok import segmenter

    def split(text: str) -> RawSpans:
        out: RawSpans = []
        for paragraph in segmenter.analyze(text):
            for sentence in paragraph:
                if sentence:
                    last = sentence[-1]
                    out.append((sentence[0].offset, last.offset + len(last.value), None))
        return out

    return split


def _newsfuse() -> Splitter | None:
    try:
        from newsfuse.ingest import split_sentences
    except Exception:  # noqa: BLE001 - the module is optional here
        return None

    def split(text: str) -> RawSpans:
        return [(a, b, None) for a, b in split_sentences(text)]

    return split


_TITLE_END = re.compile(
    r"(?:^|[\s(\"“])(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|Prof|St|Rev|Adm|Maj|Cmdr"
    r"|Supt|Gens|Sens|Reps)\.$"
)
_NAME_START = re.compile(r"^[A-Z]")
# Wire copy opens quotes with two backticks; blingfire does not break before them.
_BACKTICK_OPEN = re.compile(r"[.!?]['\"”’]*\s+(?=``[A-Z0-9])")


def fixed(split: Splitter) -> Splitter:
    """``split`` plus two repairs: no break after a title (Dr., Sen. ...) before a name, and a
    break before a ````quote`` that opens a new sentence."""

    def run(text: str) -> RawSpans:
        merged: list[list[int]] = []
        for start, end, _ in split(text):
            if merged and _TITLE_END.search(text[merged[-1][0] : merged[-1][1]].rstrip()) and (
                _NAME_START.match(text[start:end].lstrip())
            ):
                merged[-1][1] = end
            else:
                merged.append([start, end])
        out: RawSpans = []
        for start, end in merged:
            cut = start
            for m in _BACKTICK_OPEN.finditer(text, start, end):
                out.append((cut, m.start() + len(m.group().rstrip()), None))
                cut = m.end()
            out.append((cut, end, None))
        return out

    return run


def available_splitters() -> dict[str, Splitter]:
    out = {"blingfire": _blingfire(), "pysbd": _pysbd(), "syntok": _syntok()}
    out["blingfire+fixes"] = fixed(out["blingfire"])
    newsfuse = _newsfuse()
    if newsfuse is not None:
        out["newsfuse.ingest"] = newsfuse
    return out


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def unwrap_mode(split: Splitter) -> Splitter:
    """Split paragraph by paragraph with the single newlines inside a paragraph made spaces."""

    def run(text: str) -> RawSpans:
        out: RawSpans = []
        start = 0
        for match in [*_BLANK_LINE.finditer(text), None]:
            end = match.start() if match else len(text)
            paragraph = text[start:end].replace("\n", " ")
            for a, b, reported in split(paragraph):
                out.append((start + a, start + b, reported))
            if match:
                start = match.end()
        return out

    return run


# --- measurements ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split())


def fidelity(text: str, spans: RawSpans) -> dict[str, int]:
    """Counts of spans that are out of range, overlap, disagree with their text; lost chars."""
    bad_range = overlaps = text_mismatch = 0
    covered = bytearray(len(text))
    previous_end = 0
    for start, end, reported in spans:
        if not 0 <= start <= end <= len(text):
            bad_range += 1
            continue
        if start < previous_end:
            overlaps += 1
        previous_end = max(previous_end, end)
        covered[start:end] = b"\1" * (end - start)
        if reported is not None and _norm(text[start:end]) != _norm(reported):
            text_mismatch += 1
    lost = sum(1 for i, ch in enumerate(text) if not covered[i] and not ch.isspace())
    return {
        "spans": len(spans),
        "bad_range": bad_range,
        "overlaps": overlaps,
        "text_mismatch": text_mismatch,
        "lost_chars": lost,
    }


_TITLES = re.compile(
    r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Capt|Prof|St|Rev|Adm|Maj|Gens?)\.$"
)
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_LOWER_START = re.compile(r"^[\"'“‘(\[]*[a-z]")


def error_counts(text: str, spans: RawSpans) -> dict[str, int]:
    """Suspicious boundaries in real text (each is almost always a splitting error)."""
    counts = {"wrap_breaks": 0, "title_breaks": 0, "lowercase_starts": 0, "number_breaks": 0,
              "long_sentences": 0}
    clean = []
    for start, end, _ in spans:
        if not 0 <= start < end <= len(text):
            continue
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            clean.append((start, end))
    for i, (start, end) in enumerate(clean):
        sentence = text[start:end].strip()
        if len(sentence.split()) > 80:
            counts["long_sentences"] += 1
        if i + 1 == len(clean):
            continue
        following = text[clean[i + 1][0] : clean[i + 1][1]].lstrip()
        gap = text[end : clean[i + 1][0]]
        if not gap.strip() and "\n" in gap and gap.count("\n") == 1 and not _TERMINAL.search(
            sentence
        ) and _LOWER_START.match(following):
            counts["wrap_breaks"] += 1
        if _TITLES.search(sentence):
            counts["title_breaks"] += 1
        if _LOWER_START.match(following):
            counts["lowercase_starts"] += 1
        if re.search(r"\d\.$", sentence) and following[:1].isdigit() and not gap:
            counts["number_breaks"] += 1
    return counts


# --- hand-labelled snippets -----------------------------------------------------------------
# Written for this benchmark (not taken from any corpus). Each entry: text, expected sentences.

SNIPPETS: list[tuple[str, list[str]]] = [
    ("Mr. Smith arrived at 9 a.m. on Monday. He left an hour later.",
     ["Mr. Smith arrived at 9 a.m. on Monday.", "He left an hour later."]),
    ("The U.S. economy grew 2.5 percent last quarter. Economists had expected 2.1 percent.",
     ["The U.S. economy grew 2.5 percent last quarter.", "Economists had expected 2.1 percent."]),
    ("The summit will be held in Washington, D.C. next month. Officials confirmed it on Friday.",
     ["The summit will be held in Washington, D.C. next month.",
      "Officials confirmed it on Friday."]),
    ("She moved to the U.S. Last year she became a citizen.",
     ["She moved to the U.S.", "Last year she became a citizen."]),
    ("The vote is set for Oct. 21. Lawmakers expect it to pass.",
     ["The vote is set for Oct. 21.", "Lawmakers expect it to pass."]),
    ("The vote was held on Oct. 21 in the capital. It passed easily.",
     ["The vote was held on Oct. 21 in the capital.", "It passed easily."]),
    ("Dr. Jane Roe, a professor at St. Mary's College, disagreed. \"This is wrong,\" she said.",
     ["Dr. Jane Roe, a professor at St. Mary's College, disagreed.",
      "\"This is wrong,\" she said."]),
    ("\"We will not give up,\" he told reporters. \"Never.\"",
     ["\"We will not give up,\" he told reporters.", "\"Never.\""]),
    ("“Is this the end?” she asked. Nobody answered.",
     ["“Is this the end?” she asked.", "Nobody answered."]),
    ("He said: “The talks are over.” Then he walked out.",
     ["He said: “The talks are over.”", "Then he walked out."]),
    ("The minister said the talks\nwould resume next week in\nGeneva. A date has not been set.",
     ["The minister said the talks\nwould resume next week in\nGeneva.",
      "A date has not been set."]),
    ("Officials from both countries met in\nBudapest on Thursday. The meeting lasted three hours.",
     ["Officials from both countries met in\nBudapest on Thursday.",
      "The meeting lasted three hours."]),
    ("The deal was signed by Mr.\nJones and his partner. It takes effect in May.",
     ["The deal was signed by Mr.\nJones and his partner.", "It takes effect in May."]),
    ("Prices rose 3.7% in March. The central bank held rates at 4.25 percent.",
     ["Prices rose 3.7% in March.", "The central bank held rates at 4.25 percent."]),
    ("The company earned $1.2 billion, or 85 cents a share. Revenue was $14.3 billion.",
     ["The company earned $1.2 billion, or 85 cents a share.", "Revenue was $14.3 billion."]),
    ("Version 2.0 of the software was released. It fixes 12 bugs.",
     ["Version 2.0 of the software was released.", "It fixes 12 bugs."]),
    ("The novel by J. R. R. Tolkien sold millions of copies. It was later filmed.",
     ["The novel by J. R. R. Tolkien sold millions of copies.", "It was later filmed."]),
    ("The firm, Acme Corp., said profits fell. Its shares dropped.",
     ["The firm, Acme Corp., said profits fell.", "Its shares dropped."]),
    ("He works for Acme Inc. The company is based in Ohio.",
     ["He works for Acme Inc.", "The company is based in Ohio."]),
    ("Visit example.com for details. The site was updated on Tuesday.",
     ["Visit example.com for details.", "The site was updated on Tuesday."]),
    ("Talks collapsed... Both sides blamed each other.",
     ["Talks collapsed...", "Both sides blamed each other."]),
    ("Wait! Did you hear that? It came from the basement.",
     ["Wait!", "Did you hear that?", "It came from the basement."]),
    ("No. 10 Downing Street issued a statement. It was brief.",
     ["No. 10 Downing Street issued a statement.", "It was brief."]),
    ("The meeting (which began at 10 a.m.) ended without a deal. Aides said little.",
     ["The meeting (which began at 10 a.m.) ended without a deal.", "Aides said little."]),
    ("Gen. Mark Milley and Sen. John Doe spoke on Tuesday. Rep. Ann Lee did not.",
     ["Gen. Mark Milley and Sen. John Doe spoke on Tuesday.", "Rep. Ann Lee did not."]),
    ("Trump cancels summit\n\nThe president said the meeting was off.",
     ["Trump cancels summit", "The president said the meeting was off."]),
    ("The U.N. Security Council met on Monday. Russia vetoed the resolution.",
     ["The U.N. Security Council met on Monday.", "Russia vetoed the resolution."]),
    ("Temperatures reached 41.5 degrees in Seville on Aug. 3. Officials issued warnings.",
     ["Temperatures reached 41.5 degrees in Seville on Aug. 3.", "Officials issued warnings."]),
    ("The score was 2-1. Fans celebrated in the streets.",
     ["The score was 2-1.", "Fans celebrated in the streets."]),
    ("He was born in 1950. In 1975 he moved to Paris.",
     ["He was born in 1950.", "In 1975 he moved to Paris."]),
    ("The plan, according to one official, is 'dead.' Others were more hopeful.",
     ["The plan, according to one official, is 'dead.'", "Others were more hopeful."]),
    ("Prime Minister Viktor Orban called the meeting \"great news.\" The Kremlin agreed.",
     ["Prime Minister Viktor Orban called the meeting \"great news.\"", "The Kremlin agreed."]),
    ("We need them too... so I don't know what we can do.",
     ["We need them too... so I don't know what we can do."]),
    ("Some items, e.g. fuel and food, cost more. Others, i.e. services, cost less.",
     ["Some items, e.g. fuel and food, cost more.", "Others, i.e. services, cost less."]),
    ("At 5 p.m. Friday the deadline passed. No deal was reached.",
     ["At 5 p.m. Friday the deadline passed.", "No deal was reached."]),
    ("Ukraine's envoy to the U.S., Olena Petrenko, criticised the strikes. Moscow denied them.",
     ["Ukraine's envoy to the U.S., Olena Petrenko, criticised the strikes.",
      "Moscow denied them."]),
    ("Orban wrote: \"Peace requires\npatience and work.\" He did not elaborate.",
     ["Orban wrote: \"Peace requires\npatience and work.\"", "He did not elaborate."]),
    ("It happened in Jan. 2024. Nobody noticed.",
     ["It happened in Jan. 2024.", "Nobody noticed."]),
    ("Mrs. Thatcher met Mr. Reagan in 1981. They spoke for an hour.",
     ["Mrs. Thatcher met Mr. Reagan in 1981.", "They spoke for an hour."]),
    ("The ship sailed at 10.30 on Tuesday. It reached port at dawn.",
     ["The ship sailed at 10.30 on Tuesday.", "It reached port at dawn."]),
    ("Washington, D.C., and St. Louis, Mo., reported record heat on Sunday.",
     ["Washington, D.C., and St. Louis, Mo., reported record heat on Sunday."]),
    ("He asked, “Why now?” and left the room.",
     ["He asked, “Why now?” and left the room."]),
    ("Shares of Apple Inc. rose 2%. Microsoft Corp. fell.",
     ["Shares of Apple Inc. rose 2%.", "Microsoft Corp. fell."]),
    ("The talks ended.\nA new round starts on Monday.",
     ["The talks ended.", "A new round starts on Monday."]),
]


def _starts(text: str, sentences: Sequence[str]) -> set[int]:
    """Start offsets of every sentence but the first (the boundaries)."""
    out = set()
    cursor = 0
    for i, sentence in enumerate(sentences):
        pos = text.find(sentence, cursor)
        if pos < 0:
            raise ValueError(f"snippet sentence not found: {sentence!r}")
        if i:
            out.add(pos)
        cursor = pos + len(sentence)
    return out


def snippet_scores(split: Splitter) -> dict[str, Any]:
    exact = 0
    true_pos = predicted = expected_total = 0
    failures = []
    for text, expected in SNIPPETS:
        spans = [(a, b) for a, b, _ in split(text) if 0 <= a < b <= len(text)]
        got = [_norm(text[a:b]) for a, b in spans]
        gold = _starts(text, expected)
        pred = set()
        for a, _ in spans[1:]:
            while a < len(text) and text[a].isspace():
                a += 1
            pred.add(a)
        true_pos += len(gold & pred)
        predicted += len(pred)
        expected_total += len(gold)
        if got == [_norm(s) for s in expected]:
            exact += 1
        else:
            failures.append({"text": text, "got": got})
    precision = true_pos / predicted if predicted else 1.0
    recall = true_pos / expected_total if expected_total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "snippets": len(SNIPPETS),
        "exact": exact,
        "accuracy": exact / len(SNIPPETS),
        "boundary_precision": precision,
        "boundary_recall": recall,
        "boundary_f1": f1,
        "failures": failures,
    }


def corpus(eval_dir: Path | None, duc_docs: int) -> list[tuple[str, str]]:
    """``(name, text)``: the example files, then up to ``duc_docs`` DUC 2006 documents."""
    docs = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.txt"))]
    if eval_dir is not None and duc_docs > 0:
        clusters = load_datasets(eval_dir, ["duc2006"])["duc2006"]
        sample = [d for c in clusters for d in c.documents[:5]][:duc_docs]
        docs += [(d.name, d.text) for d in sample]
    return docs


def measure(
    name: str, split: Splitter, docs: Sequence[tuple[str, str]], repeats: int = 3
) -> dict[str, Any]:
    runs = []
    sentences = 0
    for _ in range(repeats):
        started = time.perf_counter()
        sentences = sum(len(split(text)) for _, text in docs)
        runs.append(time.perf_counter() - started)
    seconds = min(runs)
    fid: dict[str, int] = {}
    errors: dict[str, int] = {}
    hard_wrapped: dict[str, int] = {}
    for doc_name, text in docs:
        spans = split(text)
        for key, value in fidelity(text, spans).items():
            fid[key] = fid.get(key, 0) + value
        for key, value in error_counts(text, spans).items():
            errors[key] = errors.get(key, 0) + value
            if doc_name.startswith("003"):
                hard_wrapped[key] = hard_wrapped.get(key, 0) + value
    return {
        "splitter": name,
        "documents": len(docs),
        "sentences": sentences,
        "seconds": seconds,
        "sentences_per_second": sentences / seconds if seconds else None,
        "fidelity": fid,
        "errors": errors,
        "errors_example_003": hard_wrapped,
        "snippets": snippet_scores(split),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", default=None, help="shared/eval (adds DUC documents)")
    parser.add_argument("--duc-docs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "splitters.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    eval_dir = Path(args.eval_dir) if args.eval_dir else None
    docs = corpus(eval_dir, args.duc_docs)
    results = []
    for name, split in available_splitters().items():
        for mode, runner in (("raw", split), ("unwrap", unwrap_mode(split))):
            _LOGGER.info("measuring %s (%s)", name, mode)
            results.append({"mode": mode, **measure(name, runner, docs, args.repeats)})

    headers = ["splitter", "mode", "sent/s", "bad spans", "lost chars", "wrap breaks (003)",
               "title breaks", "lowercase starts", "number breaks", ">80 words",
               "snippets exact", "boundary P", "boundary R"]
    rows = []
    for r in results:
        fid, err, snip = r["fidelity"], r["errors"], r["snippets"]
        rows.append([
            r["splitter"], r["mode"], round(r["sentences_per_second"] or 0),
            fid["bad_range"] + fid["overlaps"] + fid["text_mismatch"], fid["lost_chars"],
            f"{err['wrap_breaks']} ({r['errors_example_003'].get('wrap_breaks', 0)})",
            err["title_breaks"], err["lowercase_starts"], err["number_breaks"],
            err["long_sentences"], f"{snip['exact']}/{snip['snippets']}",
            snip["boundary_precision"], snip["boundary_recall"],
        ])
    print(markdown_table(headers, rows))
    print(f"\ncorpus: {len(docs)} documents ({sum(len(t) for _, t in docs)} chars), "
          f"{len(SNIPPETS)} hand-labelled snippets")
    best = max(results, key=lambda r: (r["snippets"]["accuracy"],
                                       -statistics.fmean([r["errors"]["wrap_breaks"],
                                                          r["errors"]["title_breaks"]])))
    print(f"best on the snippets: {best['splitter']} ({best['mode']})")
    path = write_json(args.out, {"machine": machine_info(), "results": results,
                                 "command": " ".join(["python", "bench/splitters.py",
                                                      *(argv or sys.argv[1:])])})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
