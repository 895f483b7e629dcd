"""The safety layer's interface: every text is checked before any dialogue sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dialogues.texts import Context


@dataclass(frozen=True)
class SafetyVerdict:
    crisis: bool  # the user's own crisis: show resources at once, pause the exercise
    reason: str = ""  # a category name for tests and metrics, never the text


class SafetyCheck(Protocol):
    def check(self, text: str) -> SafetyVerdict: ...

    def resources(self, country: str | None, ctx: Context) -> str: ...
