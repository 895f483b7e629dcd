"""Every command Phare answers, in one registry: its name, its aliases in each language, where it is allowed,
and its description (the catalog text `command_<name>`, dialogues/_commands.yaml). Telegram's menu, Matrix's
`!` commands, the console's help, /help everywhere and the core's dispatch are all derived from it, so a new
command or alias is one line here and one text there.

Reading commands the way each platform writes them: /cmd, /cmd@botname (Telegram), !phare cmd (Matrix, turned
into /cmd by the transport).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Where = Literal["private", "group", "both"]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    fr: tuple[str, ...] = ()  # French aliases
    en: tuple[str, ...] = ()  # English aliases
    where: Where = "private"
    menu: bool = False  # in Telegram's menu next to the text field (kept short, as Telegram advises)
    only: str | None = None  # a platform that alone has it (the console's /quit)
    short: str | None = None  # what menus and English help show instead of a long name (/break)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.fr, *self.en)


REGISTRY: tuple[CommandSpec, ...] = (
    CommandSpec("start", fr=("commencer", "demarrer"), where="both", menu=True),
    CommandSpec("compassion_break", fr=("pause",), en=("break",), menu=True, short="break"),
    CommandSpec("exercises", fr=("exercices",), menu=True),
    CommandSpec("anchor", fr=("ancrage",)),
    CommandSpec("limits", fr=("limites",)),
    CommandSpec("debrief", fr=("retour",)),
    CommandSpec("letter", fr=("lettre",)),
    CommandSpec("letters", fr=("lettres",)),
    CommandSpec("imagery", fr=("imagerie",)),
    CommandSpec("mindful", fr=("pleine_conscience",)),
    CommandSpec("before_session", fr=("avant_seance",)),
    CommandSpec("selfcheck", fr=("autoevaluation",)),
    CommandSpec("critic", fr=("critique",)),
    CommandSpec("supervision_notes", fr=("notes_supervision",)),
    CommandSpec("checkin", fr=("bilan",), menu=True),
    CommandSpec("agenda", fr=("ordre_du_jour",)),  # a topic for a supervision group's next session
    CommandSpec("round", fr=("tour",)),  # an answer to a group's opening or closing round, in private
    CommandSpec("supervision", where="group"),  # a group admin sets up the sessions
    CommandSpec("session", fr=("seance",), where="group"),  # start, next, pause, resume, end
    CommandSpec("group_pause", fr=("pause_groupe",), en=("group_break",), where="group"),  # the guided pause
    CommandSpec("history", fr=("historique",), menu=True),
    CommandSpec("export", fr=("exporter",), menu=True),
    CommandSpec("forget", fr=("oublier", "effacer"), menu=True),
    CommandSpec("settings", fr=("reglages", "parametres"), menu=True),
    CommandSpec("cancel", fr=("annuler",), en=("stop",), menu=True),
    CommandSpec("resume", fr=("reprendre",), menu=True),
    CommandSpec("help", fr=("aide",), where="both", menu=True),
    CommandSpec("about", fr=("apropos", "a_propos"), where="both", menu=True),
    CommandSpec("quit", fr=("quitter",), en=("exit",), only="console"),
    CommandSpec("advance", fr=("avancer",), only="console"),
)
BY_NAME = {spec.name: spec for spec in REGISTRY}
ALIASES = {alias: spec.name for spec in REGISTRY for alias in (*spec.fr, *spec.en)}
APP_COMMANDS = tuple(spec.name for spec in REGISTRY if spec.only is None)
GROUP_COMMANDS = frozenset(spec.name for spec in REGISTRY if spec.where in ("group", "both") and spec.name != "start")


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


def available(platform: str, *, group: bool = False) -> tuple[CommandSpec, ...]:
    """The commands one can use here (a private chat or a group, on this platform), in the registry's order."""
    wanted = ("group", "both") if group else ("private", "both")
    return tuple(s for s in REGISTRY if s.where in wanted and s.only in (None, platform))


def shown_name(spec: CommandSpec, locale: str) -> str:
    """How /help writes a command for a reader of this language: its first alias there, else its name."""
    if locale == "fr" and spec.fr:
        return spec.fr[0]
    return spec.short or spec.name
