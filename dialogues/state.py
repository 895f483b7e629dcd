"""The saved state of a run: plain data, serialisable to JSON, so a restart continues where it was."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Value = int | float | str
Status = Literal["active", "paused", "ended"]


@dataclass(frozen=True)
class Frame:
    """One dialogue on the call stack: where it is and what it has collected."""

    dialogue_id: str
    version: int
    step_id: str
    values: dict[str, Value] = field(default_factory=dict)

    # Plain constructors rather than dataclasses.replace: these run at every step, replace is slow.
    def at(self, step_id: str) -> Frame:
        return Frame(self.dialogue_id, self.version, step_id, self.values)

    def with_value(self, key: str, value: Value) -> Frame:
        return Frame(self.dialogue_id, self.version, self.step_id, {**self.values, key: value})


@dataclass(frozen=True)
class RunState:
    frames: tuple[Frame, ...]
    seq: int = 0  # bumped at every move: a button carries it, so a stale button is recognised
    status: Status = "active"
    wake_at: datetime | None = None  # due time of a pause step
    outcome: str | None = None

    @property
    def top(self) -> Frame:
        return self.frames[-1]

    @property
    def root(self) -> Frame:
        return self.frames[0]

    def moved(self, frames: tuple[Frame, ...]) -> RunState:
        return RunState(frames, self.seq + 1, self.status, None, self.outcome)

    def with_top(self, frame: Frame) -> RunState:
        """The top frame replaced, the state otherwise as it is (not a move: the seq stays)."""
        return RunState((*self.frames[:-1], frame), self.seq, self.status, self.wake_at, self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return _Saved(
            self,
            frames=[{"d": f.dialogue_id, "v": f.version, "s": f.step_id, "x": dict(f.values)} for f in self.frames],
            seq=self.seq,
            status=self.status,
            wake_at=self.wake_at.isoformat() if self.wake_at else None,
            outcome=self.outcome,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        if type(data) is _Saved:
            return data.state  # saved by this process and never changed since: the state it was made from
        frames = tuple(Frame(f["d"], int(f["v"]), f["s"], dict(f["x"])) for f in data["frames"])
        wake = data.get("wake_at")
        return cls(
            frames=frames,
            seq=int(data["seq"]),
            status=data["status"],
            wake_at=datetime.fromisoformat(wake) if wake else None,
            outcome=data.get("outcome"),
        )


class _Saved(dict[str, Any]):
    """A state as saved, remembering the state it was saved from. Between batches the writer keeps a run's saved
    state in memory (SQLite), and the next message read it back by parsing it again: the state is frozen, and the
    saved dict is never changed in place (a new one replaces it), so the original serves as it is."""

    __slots__ = ("state",)

    def __init__(self, state: RunState, **saved: Any) -> None:
        super().__init__(**saved)
        self.state = state
