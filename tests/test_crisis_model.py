"""The crisis model: the versioned file is what the corpus trains, and the bot reads it as it was trained."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.care.model import MODEL_FILE, CrisisModel, features
from bot.care.rules import CrisisRules

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "crisis"


def rows(split: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_training_again_gives_the_versioned_file_byte_for_byte() -> None:
    pytest.importorskip("sklearn", reason="training needs the dev extra (scikit-learn)")
    from bot.care.train import build

    assert build() == MODEL_FILE.read_bytes(), "retrain with: python -m bot.care.train"


def test_the_bot_reads_a_message_exactly_as_training_did() -> None:
    model = CrisisModel.load()
    rules = CrisisRules.load()
    known = model._table
    for row in rows("dev")[:300]:
        sentences = rules.normalise(str(row["text"]))
        trained = Counter({f: n for f, n in features(sentences).items() if f in known})
        read: Counter[str] = Counter()
        for sentence in sentences:
            read.update(model._sentence(sentence))
        assert read == trained


def test_the_splits_share_no_message_and_the_test_split_has_its_own_writers() -> None:
    texts = {split: {str(r["text"]).casefold() for r in rows(split)} for split in ("train", "dev", "test")}
    assert not texts["test"] & texts["train"] and not texts["test"] & texts["dev"]
    writers = {split: {str(r["writer"]) for r in rows(split)} for split in ("train", "dev", "test")}
    assert writers["test"] == {"w48"} and "w48" not in writers["train"] | writers["dev"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_corpus_has_enough_messages_per_language_and_class(lang: str) -> None:
    everything = rows("train") + rows("dev") + rows("test")
    counts = Counter(str(r["label"]) for r in everything if r["lang"] == lang)
    assert counts["crisis"] >= 600 and counts["none"] >= 600, counts
