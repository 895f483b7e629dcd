"""The command menu Telegram shows next to the text field, in French, in English and by default."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot.commands import REGISTRY
from bot.transports.telegram.transport import reason
from dialogues.loader import Library
from dialogues.texts import Context, Locale

log = logging.getLogger(__name__)

MENU = tuple(spec for spec in REGISTRY if spec.menu and spec.only in (None, "telegram"))


def commands(library: Library, locale: Locale) -> list[BotCommand]:
    context = Context(locale=locale)
    return [BotCommand(s.short or s.name, library.text(f"command_{s.name}").render(context)) for s in MENU]


async def publish_menu(bot: Bot, library: Library, default_locale: Locale) -> None:
    """Best effort: without a menu the commands still work when typed."""
    try:
        for locale in ("fr", "en"):
            await bot.set_my_commands(commands(library, locale), language_code=locale)
        await bot.set_my_commands(commands(library, default_locale))
    except TelegramError as exc:
        log.warning("could not publish the command menu: %s", reason(exc))
