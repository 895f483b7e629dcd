"""Plain records the application works with; the repository turns them into rows and back."""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def new_id() -> str:
    return uuid.uuid4().hex


_counter = itertools.count()
_process_tag = os.urandom(3).hex()


def ordered_id() -> str:
    """Sorts by creation time, then by order within this process: an outbox read by id keeps chat order."""
    return f"{time.time_ns() // 1000:016x}{_process_tag}{next(_counter) % 16**10:010x}"


@dataclass
class UserRecord:
    id: str
    platform: str
    external_id: str
    locale: str
    address: str
    created_at: datetime
    country: str | None = None
    timezone: str | None = None
    consent_version: int | None = None
    consent_at: datetime | None = None
    onboarded: bool = False
    active: bool = True
    settings: dict[str, Any] = field(default_factory=dict)

    def clone(self) -> UserRecord:
        """A shallow copy (faster than dataclasses.replace, which matters once per message)."""
        twin = object.__new__(UserRecord)
        twin.__dict__.update(self.__dict__)
        return twin

    @property
    def consented(self) -> bool:
        return self.consent_version is not None


def user_from_row(row: Any) -> UserRecord:
    """A users row as read (the repository and the check-in claimer read users alike)."""
    return UserRecord(
        id=row["id"],
        platform=row["platform"],
        external_id=row["external_id"],
        locale=row["locale"],
        address=row["address"],
        created_at=row["created_at"],
        country=row["country"],
        timezone=row["timezone"],
        consent_version=row["consent_version"],
        consent_at=row["consent_at"],
        onboarded=bool(row["onboarded"]),
        active=bool(row["active"]),
        settings=dict(row["settings"] or {}),
    )


@dataclass
class RunRecord:
    id: str
    user_id: str
    dialogue_id: str
    status: str
    state: dict[str, Any]
    version: int  # as stored: an update writes version + 1 where the row still has this one
    chat_key: str
    started_at: datetime
    updated_at: datetime
    wake_at: datetime | None = None

    def clone(self) -> RunRecord:
        twin = object.__new__(RunRecord)
        twin.__dict__.update(self.__dict__)
        return twin


@dataclass
class HistoryRecord:
    id: str
    user_id: str
    dialogue_id: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: str | None = None
    measures: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class OutboxRecord:
    id: str
    user_id: str | None
    platform: str
    chat_key: str
    priority: int
    payload: dict[str, Any]
    created_at: datetime
    owner: str | None = None


@dataclass
class KeptNote:
    id: str
    user_id: str
    collection: str
    text: str
    created_at: datetime


@dataclass
class Changes:
    """Everything one batch of messages changes, written in one transaction."""

    users_new: dict[str, UserRecord] = field(default_factory=dict)
    users_dirty: dict[str, UserRecord] = field(default_factory=dict)
    runs_new: dict[str, RunRecord] = field(default_factory=dict)
    runs_dirty: dict[str, RunRecord] = field(default_factory=dict)
    history_new: dict[str, HistoryRecord] = field(default_factory=dict)
    history_dirty: dict[str, HistoryRecord] = field(default_factory=dict)
    outbox_new: list[OutboxRecord] = field(default_factory=list)
    outbox_sent: list[str] = field(default_factory=list)  # ids of replies confirmed sent: their rows go
    processed_new: list[tuple[str, str, datetime]] = field(default_factory=list)
    safety_new: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    kept_new: list[KeptNote] = field(default_factory=list)
    forgotten: set[str] = field(default_factory=set)

    # A record created earlier in the same batch is still an insert, with its latest content.
    def user(self, record: UserRecord) -> None:
        (self.users_new if record.id in self.users_new else self.users_dirty)[record.id] = record

    def run(self, record: RunRecord) -> None:
        (self.runs_new if record.id in self.runs_new else self.runs_dirty)[record.id] = record

    def entry(self, record: HistoryRecord) -> None:
        (self.history_new if record.id in self.history_new else self.history_dirty)[record.id] = record

    def forget(self, user_id: str) -> None:
        self.forgotten.add(user_id)
        self.users_new.pop(user_id, None)
        self.users_dirty.pop(user_id, None)
        for table in (self.runs_new, self.runs_dirty, self.history_new, self.history_dirty):
            for key in [k for k, v in table.items() if v.user_id == user_id]:
                del table[key]
        for reply in self.outbox_new:
            if reply.user_id == user_id:
                reply.user_id = None  # still delivered, no longer linked to anyone
        self.safety_new = [s for s in self.safety_new if s[0] != user_id]
        self.kept_new = [k for k in self.kept_new if k.user_id != user_id]
