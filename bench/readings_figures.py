"""How well Phare reads ratings (0-10) and hours, on a split of corpus/readings/ (the test split unless told).

Run from the repository root:  .venv/bin/python bench/readings_figures.py [--split test|train]

Each answer goes through what the engine does with it, with the engine's own functions:
- a rating (a `scale` step from 0 to 10): `read_numbers` on the stripped text, then `scale_problem`, the
  decision `Engine._answer_scale` takes: the one number is taken, or Phare says there are two numbers, or
  several, or that the number is out of range, or asks again;
- an hour (a `text` step validated as `hour`, as in /checkin): `validate("hour", …)`, i.e. `parse_hour`.
  (The engine's fallback, where a typed digit that is no valid answer picks a suggestion, never applies to
  hours: "1" to "4" are hours themselves.)

An answer is read right when Phare does what its `expected` says (corpus/BRIEF-readings.md): ratings, the one
value (before rounding: 5.5 is read 5.5), "two" when Phare says there are two numbers, "out_of_range" when it
says the number is out of range, "none" when it asks again; hours, the time "HH:MM", and for "two" or "none"
no time accepted. For each language and kind: the share read right, then a breakdown by expected type and the
kinds of misses. Only counts and kinds are printed, never a message. The last line is
`readings_accuracy_min=<float>`, the lowest of the four language × kind figures.

The test split was written by a writer who saw neither the code nor the training answers
(corpus/README.md); nothing was tuned on it. Use --split train while working on the readers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogues.engine import scale_problem  # noqa: E402 — the path is set just above
from dialogues.numbers import read_numbers  # noqa: E402
from dialogues.validators import validate  # noqa: E402

CORPUS = ROOT / "corpus" / "readings"
TODAY = date(2027, 3, 20)  # hours do not depend on it; validate() takes one
SAID = {
    "scale_two_numbers": "two",
    "scale_out_of_range": "out_of_range",
    "scale_reprompt": "none",
    "scale_several_numbers": "several",
}


def read(split: str) -> list[dict[str, Any]]:
    path = CORPUS / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.3f}" if whole else "0/0"


def rating_outcome(text: str) -> float | str:
    """The number Phare takes from an answer to "from 0 to 10?", or what it says instead."""
    found = read_numbers(text.strip())
    problem = scale_problem(found, 0, 10)
    return found[0] if problem is None else SAID[problem]


def hour_outcome(text: str, lang: str) -> str | None:
    """The time Phare accepts from an answer to "at what time?", or None when it asks again."""
    typed = text.strip()
    found = validate("hour", typed, today=TODAY, locale=lang) if typed else None
    return found.value if found is not None else None


def expected_type(kind: str, expected: object) -> str:
    if isinstance(expected, str) and expected in ("two", "none", "out_of_range"):
        return expected
    return "value" if kind == "rating" else "time"


def outcome_type(kind: str, outcome: object) -> str:
    if kind == "hour":
        return "not accepted" if outcome is None else "time"
    return str(outcome) if isinstance(outcome, str) else "value"


def right(kind: str, expected: object, outcome: object) -> bool:
    if kind == "hour":
        return outcome is None if expected in ("two", "none") else outcome == expected
    if isinstance(expected, int | float) and isinstance(outcome, float):
        return abs(outcome - float(expected)) < 1e-9
    return outcome == expected


def report(rows: list[dict[str, Any]], lang: str, kind: str) -> float:
    chosen = [r for r in rows if r["lang"] == lang and r["kind"] == kind]
    by_type: dict[str, list[int]] = {}
    misses: Counter[str] = Counter()
    for row in chosen:
        outcome = rating_outcome(row["text"]) if kind == "rating" else hour_outcome(row["text"], lang)
        wanted = expected_type(kind, row["expected"])
        ok = right(kind, row["expected"], outcome)
        counts = by_type.setdefault(wanted, [0, 0])
        counts[0] += ok
        counts[1] += 1
        if not ok:
            got = outcome_type(kind, outcome)
            misses[f"{wanted} read as {'another ' + got if got == wanted else got}"] += 1
    correct = sum(c[0] for c in by_type.values())
    print(f"{lang} {kind}: read as expected {share(correct, len(chosen))}")
    print(f"{lang} {kind} by expected type: " + ", ".join(f"{t} {a}/{b}" for t, (a, b) in sorted(by_type.items())))
    if misses:
        print(f"{lang} {kind} misses: {dict(sorted(misses.items()))}")
    return correct / len(chosen) if chosen else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test", choices=("test", "train"))
    args = parser.parse_args()
    rows = read(args.split)
    print(f"split: {args.split} ({len(rows)} answers; writers {sorted({r['writer'] for r in rows})})")
    figures = [report(rows, lang, kind) for lang in ("fr", "en") for kind in ("rating", "hour")]
    print(f"readings_accuracy_min={min(figures):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
