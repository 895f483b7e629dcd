"""`phare run`: every configured transport in one process."""

from __future__ import annotations

import logging

from bot.config import Settings

log = logging.getLogger(__name__)


async def run_all(settings: Settings) -> int:
    transports = []
    if settings.telegram_token is not None:
        transports.append("telegram")
    if not transports:
        log.error("no transport configured: set PHARE_TELEGRAM_TOKEN, or use `phare console`")
        return 2
    log.error("the %s transport is not available in this build yet", ", ".join(transports))
    return 2
