"""Phare on Telegram (python-telegram-bot 22): see service.py for how the parts fit together."""

from bot.transports.telegram.service import TelegramOptions, TelegramService, options_from

__all__ = ["TelegramOptions", "TelegramService", "options_from"]
