"""Split the writers' raw files into the corpus's train / dev / test, once.

    python tools/split_corpus.py RAW_DIR [crisis|identifiers|readings]

Each raw file is one writer's work in one language (crisis_fr_w1.jsonl ... ident_wC.jsonl). The split is by
writer: writer 48 (crisis) and writer C (identifiers) wrote the test split, blind to the rules, the model and
the other writers' files; nobody tuned anything on them. Once a test split's figures have been read and reported,
its writer joins training and a new writer writes the next one (crisis: w3, w8, w11, w14, w15, w16, w18, w19,
w20, w21, w22, w23, w25, w26, w27, w28, w29, w30, w31, w34, w35, w36, w39, w40, w41, w42, w44, w46; identifiers: wB). Writers 32, 33, 37, 38, 43, 45, 47, 49 and 50, briefed the same
way, went to training straight away. The other writers' messages go to dev when the SHA-1 of their text falls
in one bucket of five, to train otherwise. A message whose folded text also appears in the test split is dropped
from train and dev, so the test split shares no message with them.

Readings (readings_r1.jsonl, readings_r2.jsonl: answers to "rate 0-10" and "what time?", both languages in
one file) are copied whole: writer r1 is train, writer r2 is test, no dev. Nothing is dropped from train for
being in the test: short answers ("7", "19h") are bound to recur, and a train file with holes would tell
whoever reads it which answers the test holds.
"""

from __future__ import annotations

import hashlib
import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_WRITERS = {"crisis": "w48", "identifiers": "wC", "readings": "r2"}
WHOLE = {"readings"}  # copied as written: no dev split, nothing dropped (see above)


def folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def regression_sentences() -> list[dict[str, object]]:
    """tests/data/: the sentences the first rules were written from (writer w0), for training only."""
    found: list[dict[str, object]] = []
    for name, label in (("crisis", "crisis"), ("clinical", "none")):
        for lang in ("fr", "en"):
            path = ROOT / "tests" / "data" / f"{name}_{lang}.txt"
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    found.append({"text": line.strip(), "lang": lang, "writer": "w0", "label": label})
    return found


def split(raw: Path, kind: str, pattern: str) -> None:
    rows: dict[str, list[dict[str, object]]] = {"train": [], "dev": [], "test": []}
    for path in sorted(raw.glob(pattern)):
        parts = path.stem.split("_")
        writer = parts[-1]
        lang = parts[1] if kind == "crisis" else None
        for row in read(path):
            text = str(row["text"]).strip()
            if not text:
                continue
            entry: dict[str, object] = {"text": text, "lang": lang or row["lang"], "writer": writer}
            entry.update({k: v for k, v in row.items() if k not in ("text", "lang")})
            if writer == TEST_WRITERS[kind]:
                rows["test"].append(entry)
            elif kind in WHOLE:
                rows["train"].append(entry)
            else:
                bucket = int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 5
                rows["dev" if bucket == 0 else "train"].append(entry)
    if kind == "crisis":
        rows["train"].extend(regression_sentences())
    test_texts = {folded(str(r["text"])) for r in rows["test"]}
    for name in () if kind in WHOLE else ("train", "dev"):
        seen: set[str] = set()
        kept = []
        for row in rows[name]:
            key = folded(str(row["text"]))
            if key in test_texts or key in seen:
                continue
            seen.add(key)
            kept.append(row)
        rows[name] = kept
    out = ROOT / "corpus" / kind
    out.mkdir(parents=True, exist_ok=True)
    for name, items in rows.items():
        if kind in WHOLE and name == "dev":
            continue
        lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in items]
        (out / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{kind}/{name}: {len(items)}")


def main() -> int:
    raw = Path(sys.argv[1])
    only = sys.argv[2] if len(sys.argv) > 2 else None  # crisis, identifiers or readings: that corpus alone
    if only in (None, "crisis"):
        split(raw, "crisis", "crisis_*_w*.jsonl")
    if only in (None, "identifiers"):
        split(raw, "identifiers", "ident_w*.jsonl")
    if only in (None, "readings"):
        split(raw, "readings", "readings_r*.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
