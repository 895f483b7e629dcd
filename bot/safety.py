"""The safety layer's interface: every text is checked before any dialogue sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.care.taxonomy import Level
from dialogues.texts import Context


@dataclass(frozen=True)
class SafetyVerdict:
    level: Level | None = None  # urgent, crisis or check (bot/care/taxonomy.py); None: nothing to answer
    reason: str = ""  # a category name for tests and metrics, never the text
    # False for a question only the model raises, below the point calibrated on answers typed inside the
    # exercises (people there describe hard moments by design): the conversation does not ask it mid-exercise.
    in_exercise: bool = True

    @property
    def shows_lines(self) -> bool:
        """Any level shows the crisis lines: the check question carries them too."""
        return self.level is not None

    @property
    def takeover(self) -> bool:
        """The writer is taken to be at risk: the lines at once and the exercise paused."""
        return self.level in ("urgent", "crisis")


class SafetyCheck(Protocol):
    def check(self, text: str) -> SafetyVerdict: ...

    def resources(self, country: str | None, ctx: Context, level: Level = "crisis") -> str: ...

    def lines(self, country: str | None, ctx: Context) -> str:
        """The crisis lines alone, with no word about the person (for a group)."""
        ...
