"""Crisis detector figures: recall and false alarms per language on the test sentences, and speed.

Run from the repository root:  .venv/bin/python bench/crisis_figures.py
Prints one line per language, the time per message, and as the last line `crisis_recall_min=<float>` (the lower
of the two recalls; 1.0 is required). Only counts and rule names are printed, never a sentence.
"""

from __future__ import annotations

import sys
import timeit
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.crisis import CrisisDetector  # noqa: E402 — the path is set just above

DATA = ROOT / "tests" / "data"
ROUNDS, REPEATS = 20, 7  # the best of several repeats: the machine may be busy with other work
# What most messages look like: answers inside an exercise, which mention no death at all.
EVERYDAY = [
    "Je suis épuisée après une journée difficile avec ma patiente, elle a beaucoup pleuré.",
    "I had a long day and my supervisor asked me to rewrite the report again.",
    "Un collègue qui me renvoie sans cesse des dossiers.",
    "Je fais de mon mieux avec ce que j'ai.",
    "4/10",
    "ok",
    "Tu as le droit de dire non.",
    "My patient didn't show up and I feel guilty about it.",
]


def sentences(name: str) -> list[str]:
    lines = (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def main() -> int:
    detector = CrisisDetector.load()
    recalls: list[float] = []
    everything: list[str] = []
    for lang in ("fr", "en"):
        crisis, clinical = sentences(f"crisis_{lang}"), sentences(f"clinical_{lang}")
        everything += crisis + clinical
        caught = sum(detector.check(line).crisis for line in crisis)
        flagged = sum(detector.check(line).crisis for line in clinical)
        reasons = Counter(detector.check(line).reason for line in crisis if detector.check(line).crisis)
        recall = caught / len(crisis)
        recalls.append(recall)
        print(
            f"{lang}: recall {caught}/{len(crisis)} = {recall:.3f}; "
            f"false alarms {flagged}/{len(clinical)} = {flagged / len(clinical):.3f}; "
            f"reasons {dict(sorted(reasons.items()))}"
        )
    for group, lines in (("everyday", EVERYDAY), ("suicide-related", everything)):
        for line in lines:
            detector.check(line)  # a running bot has these words cached already

        def run(lines: list[str] = lines) -> None:
            for line in lines:
                detector.check(line)

        best = min(timeit.repeat(run, number=ROUNDS, repeat=REPEATS))
        print(f"speed, {group} sentences: {best / (ROUNDS * len(lines)) * 1e6:.1f} µs per message")
    print(f"crisis_recall_min={min(recalls):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
