"""The shape of a dialogue once loaded: immutable steps, checked at load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dialogues.texts import Text

StepKind = Literal["say", "choose", "scale", "text", "pause", "call", "end", "score", "branch"]
STEP_KINDS: tuple[StepKind, ...] = ("say", "choose", "scale", "text", "pause", "call", "end", "score", "branch")
COLLECTIONS = frozenset({"supervision", "letters"})
CHECKIN_KEYS = frozenset(
    {
        "timezone",
        "checkin",
        "checkin_hour",
        "checkin_days",
        "checkin_pause_until",
        "weekly",
        "weekly_day",
        "weekly_hour",
        "letter_reminder",
    }
)
PROFILE_KEYS = frozenset({"language", "address", "country", "consent"}) | CHECKIN_KEYS
ACTIONS = frozenset(
    {"forget", "export", "history", "exercises", "resume", "supervision_notes", "letters", "checkin_reflection",
     "supervision_save", "agenda_save",
     "checkin_status"}
)  # fmt: skip


@dataclass(frozen=True)
class EffectSpec:
    """An effect written in a dialogue file: a profile setting or an application action."""

    set: str | None = None
    value: str | None = None
    action: str | None = None


@dataclass(frozen=True)
class Option:
    id: str
    label: Text
    next: str
    effects: tuple[EffectSpec, ...] = ()
    locale: str | None = None  # shown in this language only (e.g. the French form of address); None: always


@dataclass(frozen=True)
class Branch:
    lo: int
    hi: int
    next: str


@dataclass(frozen=True)
class Facet:
    """One subscale of a score step: the mean of its items, reversed (lo + hi - x) for negative facets."""

    name: str
    items: tuple[str, ...]
    reverse: bool = False


@dataclass(frozen=True)
class Case:
    """A branch step's case: go to `next` when the named value (or prev_ variable) is known."""

    known: str
    next: str


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    say: Text | None = None
    help: Text | None = None
    next: str | None = None
    effects: tuple[EffectSpec, ...] = ()
    # say
    continue_label: Text | None = None
    # choose
    options: tuple[Option, ...] = ()
    save: str | None = None
    # scale
    min: int = 0
    max: int = 10
    measure: str | None = None
    branches: tuple[Branch, ...] = ()
    # text
    max_length: int = 1000
    optional: bool = False
    collect: str | None = None  # also keep the text in a private list (supervision, letters)
    validate: str | None = None  # hour, timezone, date, days: normalised (dialogues/validators.py) or re-asked
    # score
    facets: tuple[Facet, ...] = ()
    # branch
    cases: tuple[Case, ...] = ()
    # pause
    seconds: int = 0
    done: Text | None = None
    # call
    dialogue: str | None = None
    # end
    outcome: Literal["completed", "incomplete"] = "completed"
    offer: tuple[str, ...] = ()

    def targets(self) -> list[str]:
        """Every step this one can lead to, for validation and graphs."""
        found = [o.next for o in self.options] + [b.next for b in self.branches] + [c.next for c in self.cases]
        if self.next is not None:
            found.append(self.next)
        return found

    def waits(self) -> bool:
        if self.kind == "say":
            return self.continue_label is not None
        return self.kind in ("choose", "scale", "text", "pause")

    def next_for(self, number: int) -> str:
        for branch in self.branches:
            if branch.lo <= number <= branch.hi:
                return branch.next
        assert self.next is not None, "validated at load: scale has branches covering its range or a next"
        return self.next


@dataclass(frozen=True)
class Dialogue:
    id: str
    version: int
    title: Text
    summary: Text
    start: str
    steps: dict[str, Step]
    listed: bool = True
    source: str = field(default="", compare=False)

    def step(self, step_id: str) -> Step:
        return self.steps[step_id]
