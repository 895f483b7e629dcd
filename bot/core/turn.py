"""One job's work, on copies: the writer merges it into the batch only if the core finished it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.messages import Outgoing
from storage.group_records import GroupChanges, GroupView
from storage.records import KeptNote, RunRecord, UserRecord


@dataclass
class Turn:
    user: UserRecord
    run: RunRecord | None
    chat_key: str
    platform: str
    replies: list[Outgoing] = field(default_factory=list)
    ended: list[tuple[RunRecord, str]] = field(default_factory=list)
    new_run: bool = False
    forget: bool = False
    safety: list[tuple[str, str | None]] = field(default_factory=list)  # (fact, country): never the words
    kept: list[KeptNote] = field(default_factory=list)
    deferred: dict[int, str] = field(default_factory=dict)  # id(reply) -> what it needs from storage
    store: bool = True  # False: someone Phare keeps nothing about (a refused or unknown person in a group)
    touches_run: bool = True  # False for a group message: the person's open run is not this turn's to change
    views: dict[str, GroupView] = field(default_factory=dict)  # the person's supervision groups, when loaded
    groups: GroupChanges | None = None  # what this turn changes in supervision groups
    also: list[Turn] = field(default_factory=list)  # posts for other chats (a group, after its settings changed)


@dataclass
class Decision:
    """What the core made of one message: the user afterwards, whether they are new, and the turns to merge."""

    user: UserRecord
    turns: list[Turn] = field(default_factory=list)
    new_user: bool = False  # store this user now
    user_changed: bool = False  # a known user changed outside any turn (an invite code admitted them)
    failed: BaseException | None = None  # the core failed on this message; a kind reply was queued instead
