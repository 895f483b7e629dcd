"""Parts of the writer (bot/writer.py) kept apart so that each stays readable: the batch's working set, the
core's settings as transports read them, and the scheduled jobs' work inside a batch (check-ins claimed by
bot/scheduler.py, supervision groups' timers and the groups a batch's messages concern)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.access import Access
from bot.checkin_jobs import Due, GroupDue, handle_due
from bot.commands import parse_command
from bot.core.conversation import Conversation
from bot.core.groups import needs_groups
from bot.core.jobs import private_chat
from bot.core.turn import Turn
from bot.messages import Incoming
from bot.safety import SafetyCheck
from storage.group_records import GroupChanges, GroupView
from storage.groups import GroupStore
from storage.records import Changes, HistoryRecord, RunRecord, UserRecord


@dataclass
class Batch:
    """One batch's working set: the records loaded, the changes to commit, what to count."""

    now: datetime
    deferred: list[tuple[str, str, str]] = field(default_factory=list)  # outbox id, what, user id
    users: dict[str, UserRecord] = field(default_factory=dict)
    by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    runs: dict[str, RunRecord] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    changes: Changes = field(default_factory=Changes)
    exports: dict[str, list[HistoryRecord]] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)  # exercises started, ended: for /metrics, counted at commit
    ended: list[tuple[str, str]] = field(default_factory=list)
    checkins_sent: int = 0
    views: dict[str, GroupView] = field(default_factory=dict)  # supervision groups this batch concerns
    groups: GroupChanges = field(default_factory=GroupChanges)


class CoreSettings:
    core: Conversation

    # What the transports and tests read of the core's settings.
    @property
    def safety(self) -> SafetyCheck | None:
        return self.core.safety.safety

    @safety.setter
    def safety(self, value: SafetyCheck | None) -> None:
        self.core.safety.safety = value

    @property
    def bot_username(self) -> str | None:
        return self.core.bot_username

    @bot_username.setter
    def bot_username(self, value: str | None) -> None:
        self.core.bot_username = value

    @property
    def operator_contacts(self) -> Mapping[str, str]:
        return self.core.speaker.operator_contacts

    @property
    def default_locale(self) -> str:
        return self.core.default_locale

    @property
    def access(self) -> Access:
        return self.core.access

    @access.setter
    def access(self, value: Access) -> None:
        self.core.access = value


class ScheduledWork:
    core: Conversation
    group_store: GroupStore

    def _queue_replies(self, turn: Turn, batch: Batch, *, user_id: str | None) -> None:
        raise NotImplementedError  # the writer's

    # --- supervision groups (bot/core/groups.py) -------------------------------------------------------------

    async def _load_groups(
        self, conn: AsyncConnection, messages: list[Incoming], dues: list[GroupDue], batch: Batch
    ) -> None:
        """The groups this batch's messages and timers concern, locked (PostgreSQL) for the transaction: a
        group's messages, and a private message about the person's groups (/agenda, /round, their dialogues)."""
        chats = [(m.platform, m.chat_key) for m in messages if not m.private]
        by_chat = await self.group_store.ids_by_chat(conn, chats) if chats else {}
        ids = set(by_chat.values())
        # (A group's view is loaded whenever one of its messages is in the batch: Matrix carries "!phare agenda"
        # from a group to the person's private chat in the same batch, and the group message, handled first,
        # makes them a member before the private one looks at their groups.)
        ids.update(d.group_id for d in dues)
        for msg in messages:
            if not msg.private:
                continue
            user_id = batch.by_key.get((msg.platform, msg.user_key))
            run = batch.runs.get(user_id) if user_id is not None else None
            command = parse_command(msg.text, self.core.bot_username) if msg.text else None
            if needs_groups(msg, run, command):
                ids.update(await self.group_store.ids_of_member(conn, msg.platform, msg.user_key))
                if run is not None and run.state.get("group"):
                    ids.add(str(run.state["group"]))
        if ids:
            batch.views.update(await self.group_store.views(conn, sorted(ids), lock=True))

    async def _group_timer(self, conn: AsyncConnection, job: GroupDue, batch: Batch) -> None:
        view = batch.views.get(job.group_id)
        # Deleted under this claim's lease in this transaction: a timer fires once, whoever claimed it.
        if view is None or not await self.group_store.take_timer(conn, job.timer_id, job.lease):
            return
        for turn in self.core.groups.timer(job.key, view, batch.now):
            self._queue_replies(turn, batch, user_id=None)

    # --- check-ins (bot/checkins.py, bot/scheduler.py) ----------------------------------------------------

    async def _load_due_users(self, conn: AsyncConnection, dues: list[Due], batch: Batch) -> None:
        from storage.schedules import users_by_id

        missing = [d.user_id for d in dues if d.user_id not in batch.users]
        for user in await users_by_id(conn, missing, lock=True):
            batch.users[user.id] = user

    async def _scheduled(self, conn: AsyncConnection, dues: list[Due], batch: Batch) -> None:
        """Due check-ins: in this batch's transaction, record each prompt's key, queue it, move its schedule."""
        results = await handle_due(conn, dues, batch.users, batch.runs, batch.now, batch.changes.forgotten)
        for result in results:
            user = result.user
            if result.settings_changed:
                batch.users[user.id] = user
                batch.changes.user(user)
            messages = list(result.messages)
            if result.daily is not None:
                day, round_ = result.daily
                messages.append(self.core.daily_prompt(user, day, round_))
            if messages:
                batch.checkins_sent += 1
                turn = Turn(user=user, run=None, chat_key=private_chat(user.external_id), platform=user.platform)
                turn.replies.extend(messages)
                self._queue_replies(turn, batch, user_id=user.id)
