"""Matrix events as platform-neutral Incoming messages; what Phare must not answer is dropped here.

Pure functions of an event's content and the room's membership at that event, so they are tested
without a homeserver. Message ids are event ids: a batch read twice (after a crash, before the sync
token was saved) reaches the writer with the same ids, and the writer drops what it already processed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.commands import ALIASES, APP_COMMANDS, parse_command
from bot.commands import GROUP_COMMANDS as _REGISTRY_GROUP_COMMANDS
from bot.messages import InputKind

# Answered in the group itself (the writer agrees, see _group): help and about, and the supervision group's own
# commands (settings, the session, the guided pause), which the core answers in the room or sends in private.
GROUP_COMMANDS = frozenset({"help", "about"}) | _REGISTRY_GROUP_COMMANDS
_REPLY_FALLBACK = re.compile(r"\A(?:> [^\n]*\n)+\n", re.MULTILINE)
_MSGTYPE_KIND: dict[str, InputKind] = {
    "m.text": "text",
    "m.emote": "text",
    "m.image": "photo",
    "m.audio": "voice",
    "m.file": "document",
    "m.location": "location",
    "m.video": "other",
}


def inviter_allowed(inviter: str | None, patterns: Iterable[str]) -> bool:
    """`@alice:example.org`, `*:example.org` (anyone on that server) or `example.org`; `*` admits all."""
    if not inviter:
        return False
    for raw in patterns:
        pattern = raw.strip()
        if not pattern:
            continue
        if not pattern.startswith("@") and ":" not in pattern and pattern != "*":
            pattern = f"*:{pattern}"  # a bare server name
        if fnmatch.fnmatchcase(inviter, pattern):
            return True
    return False


def server_of(user_id: str) -> str:
    return user_id.partition(":")[2]


@dataclass(frozen=True)
class Read:
    """What an m.room.message says, before the writer sees it."""

    text: str | None
    kind: InputKind
    edited: bool = False  # an edit's new text: read by the safety check, never taken as an answer


def read_message(content: dict[str, Any]) -> Read | None:
    """Text (without a reply's quoted fallback) or a media kind; None for what Phare does not read:
    notices (other bots: two bots must never answer each other) and unknown message types. An edit
    (m.replace) is read as its new text, marked edited."""
    msgtype = content.get("msgtype")
    relates = content.get("m.relates_to") or {}
    if msgtype == "m.notice":
        return None
    if relates.get("rel_type") == "m.replace":
        new = content.get("m.new_content")
        if not isinstance(new, dict) or new.get("msgtype") not in ("m.text", "m.emote"):
            return None
        body = new.get("body")
        return Read(body, "text", edited=True) if isinstance(body, str) else None
    kind = _MSGTYPE_KIND.get(str(msgtype))
    if kind is None:
        return None
    body = content.get("body")
    text = body if isinstance(body, str) else None
    if kind == "text":
        if text is not None and "m.in_reply_to" in relates:
            text = _REPLY_FALLBACK.sub("", text, count=1)
        return Read(text, kind)
    # A media caption is read like text (by the safety check above all); a bare file name is not a caption.
    filename = content.get("filename")
    caption = text if isinstance(filename, str) and text and text != filename else None
    return Read(caption, kind)


def membership_change(content: dict[str, Any], previous: str | None, members_after: int) -> InputKind | None:
    """A member event in a room as a group's "joined" or "left", or None: only in a group (more than Phare and
    one person: a direct chat's membership is not a group's), and only a real change (a new display name is
    not a join; an invite declined is not a departure). `members_after` counts joined and invited members,
    Phare included, once the event is applied."""
    membership = content.get("membership")
    if membership == "join" and previous != "join":
        return "joined" if members_after > 2 else None
    if membership in ("leave", "ban") and previous not in ("leave", "ban", "invite"):
        # Before they left there were members_after + 1: a group, unless it was Phare and this person.
        return "left" if members_after + 1 > 2 else None
    return None


def known_commands(dialogue_ids: Iterable[str]) -> frozenset[str]:
    return frozenset(APP_COMMANDS) | frozenset(ALIASES) | frozenset(dialogue_ids)


@dataclass(frozen=True)
class Addressing:
    bot_id: str
    display_name: str | None
    prefix: str
    commands: frozenset[str]

    def mentioned(self, content: dict[str, Any]) -> bool:
        mentions = content.get("m.mentions")
        if isinstance(mentions, dict) and self.bot_id in (mentions.get("user_ids") or []):
            return True
        if f"matrix.to/#/{self.bot_id}" in str(content.get("formatted_body", "")):
            return True
        body = str(content.get("body", ""))
        return self.bot_id in body or self._leading_name(body) is not None

    def _leading_name(self, body: str) -> str | None:
        stripped = body.lstrip()
        for name in (self.display_name, self.bot_id.partition(":")[0].lstrip("@")):
            if name and stripped.lower().startswith(name.lower()):
                rest = stripped[len(name) :]
                if rest[:1] in (":", ",", " ", ""):
                    return rest.lstrip(":, ")
        return None

    def words(self, text: str, *, mentioned: bool = False) -> str:
        """What the person wrote to Phare, without the prefix or the mention: what the safety check reads."""
        stripped = text.strip()
        prefix = self.prefix.lower()
        lowered = stripped.lower()
        if prefix and (lowered == prefix or lowered.startswith(prefix + " ")):
            return stripped[len(prefix) :].strip()
        return self._strip_mention(stripped) if mentioned else stripped

    def command(self, text: str, *, private: bool, mentioned: bool = False) -> str | None:
        """The text for the writer: `!phare break` → `/break`, `!phare` followed by anything that is not a
        command → `/help`. In a group, None unless the message is for Phare (its prefix or a mention):
        ordinary chatter is never read."""
        stripped = text.strip()
        lowered = stripped.lower()
        prefix = self.prefix.lower()
        if prefix and (lowered == prefix or lowered.startswith(prefix + " ")):
            rest = stripped[len(prefix) :].strip().lstrip("/!")
            head = rest.split(maxsplit=1)[0].lower() if rest else ""
            return f"/{rest}" if head in self.commands else "/help"
        if not private and not mentioned:
            return None
        if mentioned:
            stripped = self._strip_mention(stripped)
            if not stripped:
                return "/help"
        if stripped.startswith("/"):
            return stripped
        word = stripped.lstrip("!").split(maxsplit=1)[0].lower() if stripped.lstrip("!") else ""
        if stripped.startswith("!") and word in self.commands:
            return "/" + stripped.lstrip("!")  # Element keeps /commands for itself; !break works as well
        if mentioned:
            return "/" + stripped if word in self.commands else "/help"
        return stripped

    def _strip_mention(self, text: str) -> str:
        rest = self._leading_name(text)
        if rest is not None:
            return rest.strip()
        return text.replace(self.bot_id, "").strip().lstrip(":, ").strip()


def personal(command_text: str) -> bool:
    """A group command whose answer belongs in private (everything but help, about and a bare start)."""
    command = parse_command(command_text)
    if command is None:
        return False
    return not (command.name in GROUP_COMMANDS or (command.name == "start" and not command.payload))


def private_command(command_text: str, dialogue_ids: Iterable[str]) -> str:
    """What Phare does in the direct chat it opens for a personal command from a group: an exercise
    goes through /start (so a newcomer is onboarded first, then the exercise begins), others as asked."""
    command = parse_command(command_text)
    if command is not None and command.name in set(dialogue_ids):
        return f"/start {command.name}"
    return command_text
