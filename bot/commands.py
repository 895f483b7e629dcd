"""Reading commands the way each platform writes them: /cmd, /cmd@botname, !phare cmd."""

from __future__ import annotations

from dataclasses import dataclass

ALIASES = {"break": "compassion_break", "pause": "compassion_break", "aide": "help", "annuler": "cancel"}
APP_COMMANDS = (
    "start", "help", "exercises", "history", "export", "forget", "settings", "cancel", "resume", "about",
    "supervision_notes", "letters", "checkin",
)  # fmt: skip


@dataclass(frozen=True)
class Command:
    name: str
    payload: str


def parse_command(text: str, bot_username: str | None = None) -> Command | None:
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, payload = stripped[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    name = name.lower()
    return Command(ALIASES.get(name, name), payload.strip())
