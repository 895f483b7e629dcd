"""Stopping in bounded time: a part of the process that does not stop within its budget is left behind, and the
log says where it was waiting, so a stop never hangs until the supervisor's SIGKILL (which would lose the marks
of replies already sent) and the next person to look knows which await did not return."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from types import CoroutineType

log = logging.getLogger(__name__)

STOP_WITHIN = 20.0  # seconds; shorter than systemd's TimeoutStopSec and a container's stop grace period


async def bounded(what: str, step: Awaitable[None], within: float = STOP_WITHIN) -> bool:
    """Await `step` for at most `within` seconds; past that, log where the process waits, cancel it and go on.
    Whether it stopped in time."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=within)
    if done:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error
        return True
    log.error("%s did not stop within %.0f s; going on without it. Waiting at: %s", what, within, waiting_at())
    task.cancel()
    return False


def waiting_at() -> str:
    """Where each unfinished task of the loop is suspended: task names and code locations, never data."""
    places = []
    for task in asyncio.all_tasks():
        if task.done() or task is asyncio.current_task():
            continue
        chain = []
        coro: object = task.get_coro()
        while isinstance(coro, CoroutineType) and coro.cr_frame is not None:
            frame = coro.cr_frame
            chain.append(f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}")
            coro = coro.cr_await
        places.append(f"{task.get_name()} [{' > '.join(chain) or '?'}]")
    return "; ".join(sorted(places)) or "nothing"
