"""The tables. Free text lives only in *_enc columns, encrypted; numbers and ids stay queryable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy would store, in one step: every step binds several times (processed,
        created, updated, the outbox's), and the generic chain (this type, then SQLite's DATETIME) cost more than
        the rest of their rows. Used only if it writes exactly what that chain writes."""
        chain = super().bind_processor(dialect)
        if dialect.name != "sqlite" or chain is None:
            return chain

        # A batch binds its own time many times over (every mark, reply and run it writes): the last value
        # converted is remembered with its text (the very object, held here, so `is` cannot mistake another).
        last: list[tuple[datetime | None, str | None]] = [(None, None)]

        def as_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            seen, text = last[0]
            if value is seen:
                return text
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database; use aware UTC times")
            text = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            last[0] = (value, text)
            return text

        probes = (datetime(2024, 2, 29, 23, 5, 7, 42, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC))
        return as_text if all(as_text(p) == chain(p) for p in probes) else chain

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("locale", String(8), nullable=False, server_default="fr"),
    Column("address", String(8), nullable=False, server_default="vous"),
    Column("country", String(8)),
    Column("timezone", String(64)),
    Column("consent_version", Integer),
    Column("consent_at", UTCDateTime()),
    Column("onboarded", Boolean, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("settings", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "external_id", name="uq_users_platform_external"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("dialogue_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # active, paused, ended
    Column("state_enc", Text, nullable=False),  # holds collected answers: encrypted
    Column("version", Integer, nullable=False),  # optimistic concurrency
    Column("chat_key", String(128), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("wake_at", UTCDateTime()),
    Index("ix_runs_user_status", "user_id", "status"),
    Index("ix_runs_wake_at", "wake_at"),
    # The writer's tick looks for open runs untouched for 24 h every second; ended runs pile up forever, so
    # the index holds only the open ones. Queries must repeat this condition with the literal (not a bound
    # parameter) so that SQLite and PostgreSQL's generic plans can prove it: see Repository.stale_runs.
    Index(
        "ix_runs_open_updated",
        "updated_at",
        sqlite_where=text("status != 'ended'"),
        postgresql_where=text("status != 'ended'"),
    ),
)

history = Table(
    "history",
    metadata,
    Column("id", String(32), primary_key=True),  # the run's id: one entry per run
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("dialogue_id", String(64), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
    Column("outcome", String(16)),  # completed, incomplete, cancelled, expired; null while running
    Column("measures", JSON, nullable=False, default=dict),
    Column("notes_enc", Text),
    Index("ix_history_user_started", "user_id", "started_at"),
)

processed = Table(
    "processed_messages",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("message_id", String(128), primary_key=True),
    Column("processed_at", UTCDateTime(), nullable=False),
    Index("ix_processed_messages_processed_at", "processed_at"),  # pruning reads only the marks past their time
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(40), primary_key=True),  # time-ordered: sorting by id keeps a chat's order
    # No foreign key: a reply written just before /forget (the goodbye) still goes out, unlinked.
    Column("user_id", String(32)),
    Column("platform", String(16), nullable=False),
    Column("chat_key", String(128), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("payload_enc", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("owner", String(32)),  # the process that queued it; another resends it only once that one is dead
    Index("ix_outbox_platform", "platform", "id"),
)

processes = Table(
    "processes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
)

# The epoch of a one-process connection's files (bot/ownership.py, bot/transports/matrix/epoch.py): the Matrix
# device's store is used only from the directory that recorded the last one.
connection_epochs = Table(
    "connection_epochs",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("epoch", String(32), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

kept_notes = Table(
    "kept_notes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("collection", String(32), nullable=False),  # supervision, letters
    Column("text_enc", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_kept_notes_user", "user_id", "collection"),
)

safety_events = Table(
    "safety_events",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),  # e.g. crisis_resources_shown: never the text
    Column("country", String(8)),
    Column("at", UTCDateTime(), nullable=False),
)


# --- check-ins (issue 6): one row per user schedule; the prompts sent, keyed by the user's local date ---

schedules = Table(
    "schedules",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # daily (the check-in), weekly (the review)
    Column("spec", JSON, nullable=False),  # what next_due was computed from: hour, days, zone, pause, snooze, skip
    Column("next_due", UTCDateTime()),  # when to look at this row next (UTC); null: nothing planned
    Column("local_date", String(10)),  # the user's local date the next prompt belongs to
    Column("round", Integer, nullable=False, server_default="0"),  # 0: the regular prompt; n: the n-th "later"
    Column("lease_owner", String(32)),  # the claim holding the row; a lease past its time counts as none
    Column("lease_until", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "kind", name="uq_schedules_user_kind"),
    Index("ix_schedules_next_due", "next_due"),
)

checkin_prompts = Table(
    "checkin_prompts",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("local_date", String(10), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("sent_at", UTCDateTime(), nullable=False),  # committed to the outbox at
)

scheduler_pacing = Table(
    "scheduler_pacing",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("tokens", Float, nullable=False),  # a token bucket shared by every process: claims per second
    Column("stamp", UTCDateTime(), nullable=False),
)


# --- group supervision (issue 10): a group's settings and session, members, agenda, round answers, timers ---
# Members are kept by their platform id, not a user row: someone who never wrote to Phare in private can still
# answer a round, and /forget removes them by that id.

groups = Table(
    "groups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("chat_key", String(128), nullable=False),
    Column("title", String(256)),  # the group's name as the platform shows it: not personal
    Column("locale", String(8), nullable=False, server_default="fr"),
    Column("settings", JSON, nullable=False, default=dict),  # schedule, reminders, format, durations
    Column("state", JSON, nullable=False, default=dict),  # the session under way, the guided pause
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "chat_key", name="uq_groups_platform_chat"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_key", String(128), primary_key=True),  # the platform's id of the member (same platform)
    Column("joined_at", UTCDateTime(), nullable=False),
    Index("ix_group_members_user_key", "user_key"),
)

agenda_items = Table(
    "agenda_items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("user_key", String(128), nullable=False),
    Column("text_enc", Text, nullable=False),
    Column("name_enc", Text),  # the name to show; null: anonymous
    Column("created_at", UTCDateTime(), nullable=False),
    Column("posted_at", UTCDateTime()),  # posted in the group (kept until the session ends)
    Index("ix_agenda_items_group", "group_id"),
    Index("ix_agenda_items_user_key", "user_key"),
)

round_answers = Table(
    "round_answers",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("session_id", String(32), primary_key=True),
    Column("round", String(16), primary_key=True),  # opening, closing
    Column("user_key", String(128), primary_key=True),
    Column("score", Integer),
    Column("word_enc", Text),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_round_answers_user_key", "user_key"),
)

group_timers = Table(
    "group_timers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(96), nullable=False),  # what it is for: a reminder, a phase's end, a pause's step
    Column("due_at", UTCDateTime(), nullable=False),
    Column("lease_owner", String(32)),  # claimed like check-in schedules: a lease past its time counts as none
    Column("lease_until", UTCDateTime()),
    UniqueConstraint("group_id", "key", name="uq_group_timers_group_key"),
    Index("ix_group_timers_due_at", "due_at"),
)
