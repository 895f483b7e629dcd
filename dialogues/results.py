"""What one engine call returns: the new state, the replies to show and the effects to carry out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialogues.state import RunState


@dataclass(frozen=True)
class Input:
    """One thing the user did: typed text, or tapped an option shown at run step `seq`."""

    text: str | None = None
    option: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class Say:
    """A message for the user. Options and scales carry the run's seq so stale taps are recognised."""

    text: str
    options: tuple[Choice, ...] = ()
    scale: tuple[int, int] | None = None
    seq: int | None = None


@dataclass(frozen=True)
class RecordMeasure:
    name: str
    value: int | float


@dataclass(frozen=True)
class SaveNote:
    key: str
    text: str


@dataclass(frozen=True)
class Collect:
    """Keep a text in one of the user's private lists (things to bring to supervision, letters)."""

    collection: str
    text: str


@dataclass(frozen=True)
class SetProfile:
    key: str
    value: str


@dataclass(frozen=True)
class Action:
    name: str


@dataclass(frozen=True)
class Offer:
    dialogue_ids: tuple[str, ...]


@dataclass(frozen=True)
class Wait:
    until: datetime


@dataclass(frozen=True)
class End:
    outcome: str  # completed, incomplete, cancelled, expired


Effect = RecordMeasure | SaveNote | Collect | SetProfile | Action | Offer | Wait | End


@dataclass(frozen=True)
class Result:
    state: RunState
    replies: tuple[Say, ...]
    effects: tuple[Effect, ...]
    accepted: bool = True  # False: the input was not an answer; the run did not move

    @property
    def ended(self) -> bool:
        return self.state.status == "ended"
