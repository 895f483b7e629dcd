"""Crisis check and identifier guard figures on a split of the corpus (the test split unless told otherwise).

Run from the repository root:  .venv/bin/python bench/crisis_figures.py [--split test|dev|train]

For each language: recall (the lines shown, at any level) on messages whose writer is at risk, per category and
for urgent messages; on clinicians' and everyday messages, how often Phare takes over (urgent or crisis) and how
often it asks "is this about you?"; the same for the rules alone, the model alone, and both together. Then the
identifier guard (held when it should be, false holds), and the time per message (p50, p99, max).
Only counts and category names are printed, never a message. The last line is `crisis_recall_min=<float>`, the
lower of the two languages' combined recall on the split.

The test split was written by writers who saw neither the rules, the model nor the other writers' messages
(corpus/README.md); nothing was tuned on it. Use --split dev while working on the rules or the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.care.detector import CrisisDetector, Layers  # noqa: E402 — the path is set just above
from bot.care.identifiers import identifying_details  # noqa: E402
from bot.safety import SafetyVerdict  # noqa: E402

CORPUS = ROOT / "corpus"


def read(kind: str, split: str) -> list[dict[str, Any]]:
    path = CORPUS / kind / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.3f}" if whole else "0/0"


def report_crisis(rows: list[dict[str, Any]], layers: list[Layers], lang: str) -> float:
    chosen = [(r, layer) for r, layer in zip(rows, layers, strict=True) if r["lang"] == lang]
    at_risk = [(r, layer) for r, layer in chosen if r["label"] == "crisis"]
    unsure = [(r, layer) for r, layer in chosen if r["label"] == "ambiguous"]
    calm = [(r, layer) for r, layer in chosen if r["label"] == "none"]
    combined_recall = 0.0
    for name in ("rules", "model", "combined"):

        def verdict(layer: Layers, name: str = name) -> SafetyVerdict:
            return getattr(layer, name)  # type: ignore[no-any-return]

        shown = sum(verdict(layer).shows_lines for _, layer in at_risk)
        urgent = [(r, layer) for r, layer in at_risk if r.get("urgent")]
        urgent_first = sum(verdict(layer).level == "urgent" for _, layer in urgent)
        takeovers = sum(verdict(layer).takeover for _, layer in calm)
        checks = sum(verdict(layer).level == "check" for _, layer in calm)
        asked = sum(verdict(layer).shows_lines for _, layer in unsure)
        print(
            f"{lang} {name:>8}: recall {share(shown, len(at_risk))}; urgent answered urgent "
            f"{share(urgent_first, len(urgent))}; ambiguous shown {share(asked, len(unsure))}; "
            f"on clinical/everyday: takeover {share(takeovers, len(calm))}, check {share(checks, len(calm))}"
        )
        if name == "combined":
            combined_recall = shown / len(at_risk) if at_risk else 1.0
            missed: Counter[str] = Counter(str(r.get("category")) for r, layer in at_risk if not layer.combined.level)
            by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for r, layer in at_risk:
                counts = by_category[str(r.get("category"))]
                counts[0] += layer.combined.shows_lines
                counts[1] += 1
            print(
                f"{lang} recall by category: " + ", ".join(f"{c} {a}/{b}" for c, (a, b) in sorted(by_category.items()))
            )
            if missed:
                print(f"{lang} missed by category: {dict(sorted(missed.items()))}")
            alarms: Counter[str] = Counter(
                f"{r.get('category')}:{layer.combined.level}" for r, layer in calm if layer.combined.level
            )
            if alarms:
                print(f"{lang} clinical/everyday answered: {dict(sorted(alarms.items()))}")
    return combined_recall


def report_identifiers(split: str) -> None:
    rows = read("identifiers", split)
    for lang in ("fr", "en"):
        chosen = [r for r in rows if r["lang"] == lang]
        held = [bool(identifying_details(r["text"])) for r in chosen]
        positives = [h for r, h in zip(chosen, held, strict=True) if r["label"] == "identifying"]
        negatives = [h for r, h in zip(chosen, held, strict=True) if r["label"] == "clean"]
        missed: Counter[str] = Counter(
            str(r["kind"]) for r, h in zip(chosen, held, strict=True) if r["label"] == "identifying" and not h
        )
        false: Counter[str] = Counter(
            str(r["kind"]) for r, h in zip(chosen, held, strict=True) if r["label"] == "clean" and h
        )
        print(
            f"{lang} identifiers: held {share(sum(positives), len(positives))}; "
            f"false holds {share(sum(negatives), len(negatives))}"
        )
        if missed:
            print(f"{lang} identifiers missed by kind: {dict(sorted(missed.items()))}")
        if false:
            print(f"{lang} identifiers false holds by kind: {dict(sorted(false.items()))}")


def timing(detector: CrisisDetector, texts: list[str]) -> None:
    for text in texts:
        detector.check(text)  # a running bot has these words cached already
    samples: list[float] = []
    for _ in range(3):
        for text in texts:
            start = time.perf_counter()
            detector.check(text)
            samples.append(time.perf_counter() - start)
    samples.sort()

    def at(q: float) -> float:
        return samples[min(len(samples) - 1, int(q * len(samples)))] * 1e3

    print(f"time per message: p50 {at(0.5):.3f} ms, p99 {at(0.99):.3f} ms, max {samples[-1] * 1e3:.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test", choices=("test", "dev", "train"))
    args = parser.parse_args()
    detector = CrisisDetector.load()
    rows = read("crisis", args.split)
    layers = [detector.layers(r["text"]) for r in rows]
    print(f"split: {args.split} ({len(rows)} messages; writers {sorted({r['writer'] for r in rows})})")
    recalls = [report_crisis(rows, layers, lang) for lang in ("fr", "en")]
    report_identifiers(args.split)
    timing(detector, [r["text"] for r in rows])
    print(f"crisis_recall_min={min(recalls):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
