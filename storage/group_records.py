"""Supervision groups as the application sees them (storage/groups.py reads and writes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class GroupRecord:
    id: str
    platform: str
    chat_key: str
    locale: str
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgendaItem:
    id: str
    group_id: str
    user_key: str
    text: str
    name: str | None  # None: anonymous
    created_at: datetime
    posted_at: datetime | None = None


@dataclass
class RoundAnswer:
    group_id: str
    session_id: str
    round: str
    user_key: str
    score: int | None
    word: str | None
    at: datetime


@dataclass
class GroupView:
    """One group as the core sees it: what is needed to answer any message or timer about it."""

    group: GroupRecord
    members: set[str] = field(default_factory=set)
    agenda: list[AgendaItem] = field(default_factory=list)
    answers: list[RoundAnswer] = field(default_factory=list)


@dataclass
class GroupChanges:
    groups: dict[str, GroupRecord] = field(default_factory=dict)  # upserted whole
    new_groups: set[str] = field(default_factory=set)
    members_added: list[tuple[str, str, datetime]] = field(default_factory=list)
    members_removed: list[tuple[str, str]] = field(default_factory=list)  # their agenda items and answers go too
    agenda_new: list[AgendaItem] = field(default_factory=list)
    agenda_posted: list[tuple[str, datetime]] = field(default_factory=list)
    agenda_cleared: list[str] = field(default_factory=list)  # groups whose posted items go (the session ended)
    answers: list[RoundAnswer] = field(default_factory=list)  # one per (group, session, round, member): replaces
    answers_cleared: list[tuple[str, str]] = field(default_factory=list)  # (group, session): the session ended
    timers_set: dict[tuple[str, str], datetime] = field(default_factory=dict)
    timers_cleared: set[tuple[str, str]] = field(default_factory=set)

    def save(self, group: GroupRecord, *, new: bool = False) -> None:
        self.groups[group.id] = group
        if new:
            self.new_groups.add(group.id)

    def set_timer(self, group_id: str, key: str, due: datetime) -> None:
        self.timers_cleared.discard((group_id, key))
        self.timers_set[(group_id, key)] = due

    def clear_timer(self, group_id: str, key: str) -> None:
        self.timers_set.pop((group_id, key), None)
        self.timers_cleared.add((group_id, key))

    def merge(self, other: GroupChanges) -> None:
        self.groups.update(other.groups)
        self.new_groups |= other.new_groups
        self.members_added += other.members_added
        self.members_removed += other.members_removed
        self.agenda_new += other.agenda_new
        self.agenda_posted += other.agenda_posted
        self.agenda_cleared += other.agenda_cleared
        self.answers += other.answers
        self.answers_cleared += other.answers_cleared
        for key in other.timers_cleared:
            self.timers_set.pop(key, None)
        self.timers_cleared |= other.timers_cleared
        for key in other.timers_set:
            self.timers_cleared.discard(key)
        self.timers_set.update(other.timers_set)

    def __bool__(self) -> bool:
        return any(
            (self.groups, self.members_added, self.members_removed, self.agenda_new, self.agenda_posted,
             self.agenda_cleared, self.answers, self.answers_cleared, self.timers_set, self.timers_cleared)
        )  # fmt: skip
