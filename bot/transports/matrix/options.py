"""Matrix settings as the service and the transport read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.retry import DEFAULT_RETRY, RetryPolicy


class MatrixStartError(RuntimeError):
    """Phare cannot serve Matrix with this configuration; the message says what to change."""


@dataclass(frozen=True)
class MatrixOptions:
    homeserver: str
    user: str  # full user id (@phare:example.org) or localpart
    password: str | None = None
    access_token: str | None = None
    device_name: str = "Phare"
    allowed_inviters: tuple[str, ...] = ()  # empty: the bot's own homeserver
    catchup: timedelta = timedelta(hours=24)
    prefix: str = "!phare"
    device_trust: str = "tofu"  # or "all"; see trust.py
    cross_signing: str = "auto"  # or "reset", "off"; see crosssign.py
    encrypt_new_rooms: bool = True
    undecryptable_grace: float = 10.0  # seconds an encrypted message waits for its key before a notice
    sync_timeout_ms: int = 30_000
    timeline_limit: int = 50
    send_concurrency: int = 8
    drain_timeout: float = 10.0
    retry: RetryPolicy = DEFAULT_RETRY  # sync, sends, option reactions alike
