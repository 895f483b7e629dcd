"""/history's chart is drawn in another process after the commit (bot/chart_pool.py): it never holds up anyone
else's reply, too many waiting charts get a kind "try again", and stopping the writer stops the workers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot import charts
from bot.messages import Outgoing
from tests.harness import App, User, text_of


async def rated_user(app: App) -> User:
    user = User(app)
    await user.onboard()
    await user.break_at_intensity("overload")
    for answer in ("4", "ok", "ok", "1", "ok", "Doucement.", "3"):
        await user.send(answer)
    return user


async def ask(user: User, text: str) -> list[Outgoing]:
    """Send and wait for the committed replies to be sent, but not for charts being drawn."""
    await user.app.writer.submit(user._incoming(text=text))
    await user.app.dispatcher.drain()
    new = user.chat[user.seen :]
    user.seen = len(user.chat)
    return new


def images(user: User) -> int:
    return sum(1 for m in user.chat if m.attachment is not None and m.attachment.kind == "image")


@pytest.fixture
def held_charts(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Charts drawn in a thread that waits until the test lets them go (the order, not the timing, is tested)."""
    release = threading.Event()
    real = charts.render_png

    def held(data: charts.ChartData) -> bytes:
        release.wait(30)
        return real(data)

    monkeypatch.setattr(charts, "render_png", held)
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(app.writer.charts, "_pool", lambda: executor)
    yield release
    release.set()
    executor.shutdown(wait=True)


async def test_a_chart_being_drawn_holds_up_no_one_elses_reply(app: App, held_charts: threading.Event) -> None:
    asker, other = await rated_user(app), await rated_user(app)
    assert "4 → 3" in text_of(await ask(asker, "/history")), "the history's text goes at once"
    (asker_id,) = app.writer.charts._waiting
    assert images(asker) == 0

    assert await ask(other, "/help"), "the other person's reply was committed and sent"
    assert app.writer.charts.waiting(asker_id) and images(asker) == 0, "while the chart is still being drawn"

    held_charts.set()
    await app.settle()
    assert images(asker) == 1 and asker.chat[-1].attachment is not None, "the picture follows the text"


async def test_too_many_charts_waiting_get_a_kind_try_again(app: App, held_charts: threading.Event) -> None:
    app.writer.charts.max_waiting = 1
    first, second = await rated_user(app), await rated_user(app)
    await ask(first, "/history")
    busy = await ask(second, "/history")
    assert "Redemandez /history dans une minute" in text_of(busy)
    assert app.writer.charts.refused == 1
    again = await ask(first, "/history")  # asked twice: the chart already on its way is the one that comes
    assert "Redemandez" not in text_of(again)
    held_charts.set()
    await app.settle()
    assert images(first) == 1 and images(second) == 0


async def test_charts_come_from_a_worker_process_that_stops_with_the_writer(app: App) -> None:
    user = await rated_user(app)
    history = await user.send("/history")  # the harness waits for the chart (real spawned process)
    assert any(m.attachment is not None and m.attachment.kind == "image" for m in history)
    pool = app.writer.charts
    assert pool.running and pool._executor is not None
    workers: list[Any] = list(pool._executor._processes.values())
    assert workers and all(w.is_alive() for w in workers)
    await app.writer.stop()
    assert not pool.running
    for worker in workers:
        worker.join(10)
        assert not worker.is_alive(), "no chart worker outlives the writer"


async def test_the_pool_is_replaced_after_some_charts_so_memory_comes_back(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import chart_pool

    made: list[ThreadPoolExecutor] = []

    def executor(max_workers: int, **_: object) -> ThreadPoolExecutor:  # a thread stands in for a process
        made.append(ThreadPoolExecutor(max_workers=max_workers))
        return made[-1]

    monkeypatch.setattr(chart_pool, "ProcessPoolExecutor", executor)
    app.writer.charts.recycle_after = 2
    users = [await rated_user(app) for _ in range(3)]
    for user in users:
        await user.send("/history")
    assert [images(u) for u in users] == [1, 1, 1]
    await asyncio.gather(*app.writer.charts._closing)  # the retired pool's shutdown, run in a thread
    assert len(made) == 2 and made[0]._shutdown, "the first pool was retired after two charts"
    await app.writer.stop()
    assert all(e._shutdown for e in made) and not app.writer.charts.running
