"""Jobs the writer hands to the core besides messages, and the names buttons and chats are made of."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Outgoing

START_PREFIX = "start:"  # a button that starts a listed exercise
ACTION_PREFIX = "do:"  # a button that runs an app action
ROUND_PREFIX = ACTION_PREFIX + "round:"  # a score tapped under a supervision round's question, in the group
INTERACTIVE, SCHEDULED = 0, 1  # outbox priorities: replies to people go before check-ins


@dataclass(frozen=True)
class Wake:
    """A paused step's time is up."""

    user_id: str
    run_id: str


@dataclass(frozen=True)
class Expire:
    """A run left untouched for a day is closed."""

    user_id: str
    run_id: str


@dataclass(frozen=True)
class MarkSent:
    """Replies the platform confirmed (deleted from the outbox) and users who blocked the bot."""

    ids: tuple[str, ...]
    blocked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notice:
    """A transport's own message to a chat (Matrix: "I was offline", "I could not read that"): rendered by the
    core in the person's language and sent through the outbox like every reply, at most once per `key`."""

    platform: str
    chat_key: str
    text_key: str
    user_key: str | None
    key: str  # de-duplication: the same notice is queued once


def private_chat(user_key: str) -> str:
    """A chat key meaning "this person's private chat": each transport knows how to reach it."""
    return f"@user:{user_key}"


@dataclass(frozen=True)
class Followup:
    """Replies that come after their step, once ready (a /history chart drawn in another process,
    bot/chart_pool.py): queued for the person like any reply, dropped if they are gone by then."""

    user_id: str
    platform: str
    chat_key: str
    messages: tuple[Outgoing, ...]
