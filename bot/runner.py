"""`phare run`: every configured transport in one process, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings
from bot.health import HealthServer
from bot.scheduler import SchedulerHandle, start_scheduler
from bot.shutdown import bounded
from bot.writer import Writer

if TYPE_CHECKING:
    from bot.app import Phare

log = logging.getLogger(__name__)


class Service(Protocol):
    failed: asyncio.Event

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def tick(writer: Writer) -> None:
    """Continue paused exercises when their time comes, and close abandoned ones."""
    while True:
        wake = None
        try:
            await writer.tick()
            wake = await writer.next_wake()
        except Exception as exc:  # noqa: BLE001 — a failed check is retried; it must not stop the process
            log.error("timer check failed: %s", type(exc).__name__)
        delay = 1.0 if wake is None else max(0.05, min(1.0, (wake - writer.clock()).total_seconds()))
        await asyncio.sleep(delay)


async def run_all(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Serve until `stop` is set (or SIGTERM/SIGINT); 0 on a clean stop, 1 if a transport failed or could not
    start, 2 if the configuration is incomplete."""
    telegram = settings.telegram_token is not None
    matrix = bool(settings.matrix_homeserver)
    if not telegram and not matrix:
        log.error(
            "no transport configured: set PHARE_TELEGRAM_TOKEN or PHARE_MATRIX_HOMESERVER, or use `phare console`"
        )
        return 2
    if settings.telegram_token is not None:
        from bot.transports.telegram.redact import install_redaction

        install_redaction(settings.telegram_token.get_secret_value())  # before anything can log a URL
    try:
        factories = _factories(settings, telegram=telegram, matrix=matrix)
    except (ImportError, ValueError, RuntimeError) as exc:
        log.error("%s", exc)
        return 2

    from bot.app import build

    phare = await build(settings)
    services = [make(phare) for make in factories]
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    started: list[Service] = []
    up: list[Service] = []  # started and connected: what /readyz waits for

    async def not_ready() -> list[str]:
        waiting = [s for s in services if s not in up or s.failed.is_set() or where(s) == ""]
        return [f"{type(s).__name__} {getattr(s, 'problem', None) or 'not connected'}" for s in waiting]

    def connections() -> list[str]:
        return [f"{type(s).__name__}: {where(s)}" for s in services if where(s)]

    health = HealthServer(settings.http_listen, phare.db, not_ready, connections) if settings.http_listen else None
    ticker: asyncio.Task[None] | None = None
    checkins: SchedulerHandle | None = None
    code = 0
    try:
        if health is not None:
            await health.start()
        for service in services:
            started.append(service)  # stopped even if its start fails halfway
            await service.start()
            up.append(service)
        ticker = asyncio.create_task(tick(phare.writer), name="phare-ticker")
        checkins = await start_scheduler(phare.writer, phare.settings)
        waits = [asyncio.create_task(stop.wait()), *(asyncio.create_task(s.failed.wait()) for s in services)]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        if any(s.failed.is_set() for s in services):
            code = 1
        log.info("stopping")
    except Exception as exc:  # noqa: BLE001 — a transport that cannot start (bad token, no network)
        log.critical("could not start: %s", type(exc).__name__)
        code = 1
    finally:
        # Each part gets a bounded time to stop: one that hangs is logged with where it waits and left behind,
        # so the others still stop and the database is closed cleanly.
        if checkins is not None:
            await bounded("the check-in scheduler", checkins.stop())
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        for service in reversed(started):
            try:
                await bounded(type(service).__name__, service.stop())
            except Exception as exc:  # noqa: BLE001 — the others must still stop, and the database close
                log.error("a transport did not stop cleanly: %s", type(exc).__name__)
        for sig in handled:
            loop.remove_signal_handler(sig)
        if health is not None:
            await health.stop()
        await phare.close()
    return code


def where(service: Service) -> str | None:
    """Where a service's connection lives ("polling here", "polling owned by another replica (…)"); "" while
    unsettled; None for a service that does not say."""
    connection = getattr(service, "connection", None)
    if connection is None:
        return None
    return str(connection() or "")


def _factories(settings: Settings, *, telegram: bool, matrix: bool) -> list[Callable[[Phare], Service]]:
    """Check each configured transport's settings before anything starts; import only what is used."""
    factories: list[Callable[[Phare], Service]] = []
    if telegram:
        try:
            from bot.transports.telegram import TelegramService, options_from
        except ImportError:
            raise ImportError("Telegram support is not installed: pip install 'phare[telegram]'") from None
        from bot.ownership import Lease
        from bot.transports.telegram.service import bot_id

        options = options_from(settings)

        def telegram_service(phare: Phare) -> Service:
            shared = phare.db.url if phare.db.is_postgres else None  # with SQLite this is the only process
            lease = Lease(shared, f"telegram bot {bot_id(options.token)}", every=settings.takeover_interval)
            return TelegramService(phare.writer, options, lease=lease)

        factories.append(telegram_service)
    if matrix:
        from bot.ownership import Lease
        from bot.transports.matrix import lease_name, service_for
        from bot.transports.matrix import options_from as matrix_options

        device = lease_name(matrix_options(settings))

        def matrix_service(phare: Phare) -> Service:
            shared = phare.db.url if phare.db.is_postgres else None  # with SQLite this is the only process
            return service_for(phare, settings, lease=Lease(shared, device, every=settings.takeover_interval))

        factories.append(matrix_service)
    return factories
