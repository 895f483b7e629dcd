"""Content checks a clinician's reviewer would otherwise do by eye: length, French typography, address forms."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dialogues.loader import Library
from dialogues.model import Dialogue
from dialogues.texts import Text

MAX_MESSAGE = 600
_BAD_SPACE = re.compile(r"(?<=\S) (?=[;:!?»])|« ")
_NO_SPACE = re.compile(r"(?<=[A-Za-zÀ-ÿ\)])[;!?](?=\s|$)|(?<=[A-Za-zÀ-ÿ])[:»](?=\s|$)")
_TU_WORDS = re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE)


def _texts(dialogue: Dialogue) -> Iterator[tuple[str, Text]]:
    yield "title", dialogue.title
    yield "summary", dialogue.summary
    for step in dialogue.steps.values():
        for name, text in (("say", step.say), ("help", step.help), ("continue", step.continue_label),
                           ("done", step.done)):  # fmt: skip
            if text is not None:
                yield f"step {step.id} {name}", text
        for option in step.options:
            yield f"step {step.id} option {option.id}", option.label


def lint_text(where: str, text: Text, *, plural: bool = False) -> list[str]:
    problems = []
    for key, value in text.variants().items():
        if len(value) > MAX_MESSAGE:
            problems.append(f"{where} [{key}]: {len(value)} characters, over {MAX_MESSAGE}")
        if key.startswith("fr"):
            if _BAD_SPACE.search(value):
                problems.append(f"{where} [{key}]: use a non-breaking space before ; : ! ? » and after «")
            if _NO_SPACE.search(value):
                problems.append(f"{where} [{key}]: French puts a non-breaking space before ; : ! ?")
    if text.shared_fr and not plural and _TU_WORDS.search(text.fr_vous):
        problems.append(f"{where}: the French says vous but has no tu form (give fr_vous and fr_tu)")
    if text.fr_tu != text.fr_vous and _TU_WORDS.search(text.fr_tu):
        problems.append(f"{where} [fr_tu]: says vous/votre in the tu form")
    return problems


def lint_library(library: Library) -> list[str]:
    problems: list[str] = []
    for dialogue in library.dialogues.values():
        plural = dialogue.id in library.plural
        for where, text in _texts(dialogue):
            problems.extend(f"{dialogue.source}: {p}" for p in lint_text(where, text, plural=plural))
    for key, text in library.catalog.items():
        problems.extend(f"catalog: {p}" for p in lint_text(key, text, plural=key in library.plural))
    return problems
