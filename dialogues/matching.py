"""Which option a typed answer names: its number, its whole label, or a part of its label that fits no other
option ("safe place" for "A safe place"). Pure functions, shared by every step that shows choices."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dialogues.numbers import fold

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text).replace("’", "'")))


def _contains(label: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(label[i : i + len(part)] == part for i in range(len(label) - len(part) + 1))


def matching_options(typed: str, labels: Sequence[Iterable[str]]) -> list[int]:
    """Indexes of the options a typed answer names; `labels[i]` holds every way option i may be written (its
    label in each language, its id). A whole label wins; otherwise every option whose label contains the typed
    words, in order, as whole words. A part must hold a word of three letters or more: "2" or "a" name nothing.
    One index: that option; several: the answer is ambiguous; none: it names no option."""
    wanted = fold(typed).rstrip(" .!")
    if not wanted:
        return []
    exact = [i for i, names in enumerate(labels) if any(wanted == fold(n) for n in names)]
    if exact:
        return exact[:1]
    part = words(typed)
    if not any(len(w) >= 3 and not w.isdigit() for w in part):
        return []
    return [i for i, names in enumerate(labels) if any(_contains(words(n), part) for n in names)]
