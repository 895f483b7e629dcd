"""Stopping never hangs: a part that does not stop in time is left behind, and the log says where it waits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.shutdown import bounded


async def _waits_on(event: asyncio.Event) -> None:
    await event.wait()  # the place the log must name


async def _stuck_stop(event: asyncio.Event) -> None:
    await _waits_on(event)


async def test_a_part_that_hangs_is_left_behind_and_the_log_says_where(caplog: pytest.LogCaptureFixture) -> None:
    never = asyncio.Event()
    with caplog.at_level(logging.ERROR, logger="bot.shutdown"):
        stopped = await bounded("MatrixService", _stuck_stop(never), within=0.2)
    assert not stopped
    message = caplog.records[-1].getMessage()
    assert "MatrixService did not stop within" in message
    assert "test_shutdown.py" in message and "_stuck_stop" not in message.split("Waiting at:")[0]


async def test_a_part_that_stops_in_time_is_waited_for_and_its_error_still_raised() -> None:
    done = []

    async def quick() -> None:
        await asyncio.sleep(0.01)
        done.append(True)

    async def broken() -> None:
        raise RuntimeError("closing failed")

    assert await bounded("quick", quick(), within=5)
    assert done == [True]
    with pytest.raises(RuntimeError):
        await bounded("broken", broken(), within=5)
