"""The Dispatcher on its own: who is served first, in what order, and what it remembers."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.messages import Delivery, Outgoing
from bot.outbox import Dispatcher
from bot.retry import RetryPolicy
from bot.transports.base import DeliveryError, Transport
from tests.harness import record_sleeps

INTERACTIVE, SCHEDULED = 0, 1


class SlowPlatform(Transport):
    """Takes a moment per message, like a real API, and fails on demand; records what arrived, in order."""

    platform = "test"

    def __init__(self, *, delay: float = 0.001, failure_rate: float = 0.0, seed: int = 1) -> None:
        self.delay = delay
        self.failure_rate = failure_rate
        self.random = random.Random(seed)
        self.arrived: list[Delivery] = []

    async def deliver(self, delivery: Delivery) -> None:
        await asyncio.sleep(self.delay)
        if self.random.random() < self.failure_rate:
            raise DeliveryError("503", retry_after=0.0)
        self.arrived.append(delivery)


class Marks:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def __call__(self, ids: tuple[str, ...], blocked: tuple[str, ...]) -> None:
        self.sent.extend(ids)


def delivery(number: int, chat: str, priority: int) -> Delivery:
    return Delivery(f"{number:08d}", "test", chat, Outgoing(f"message {number}"), priority=priority)


async def test_a_reply_to_a_person_passes_a_fan_out_of_thousands_of_check_ins() -> None:
    platform = SlowPlatform(delay=0.002)
    dispatcher = Dispatcher(platform, Marks(), concurrency=4)
    await dispatcher.start()
    dispatcher.enqueue([delivery(n, f"chat-{n}", SCHEDULED) for n in range(3000)])
    await asyncio.sleep(0.02)
    reply = delivery(99_999, "person-in-crisis", INTERACTIVE)
    dispatcher.enqueue([reply])
    await dispatcher.drain()
    position = platform.arrived.index(reply)
    assert position < 60, f"the reply waited behind {position} check-ins"
    assert len(platform.arrived) == 3001
    await dispatcher.stop()


async def test_each_chat_keeps_its_order_through_failures_and_interleaving() -> None:
    platform = SlowPlatform(delay=0.0005, failure_rate=0.3)
    dispatcher = Dispatcher(platform, Marks(), concurrency=8, retry=RetryPolicy(base=0.001))
    await dispatcher.start()
    rng = random.Random(7)
    numbers = iter(range(10_000))
    for _ in range(20):  # messages arrive in waves while earlier ones are still being sent
        wave = [delivery(next(numbers), f"chat-{rng.randrange(12)}", rng.choice((0, 1))) for _ in range(25)]
        dispatcher.enqueue(wave)
        await asyncio.sleep(0.003)
    await dispatcher.drain()
    by_chat: dict[str, list[str]] = {}
    for arrived in platform.arrived:
        by_chat.setdefault(arrived.chat_key, []).append(arrived.id)
    assert sum(len(ids) for ids in by_chat.values()) == 500, "every message arrived exactly once"
    for chat, ids in by_chat.items():
        assert ids == sorted(ids), f"{chat} received its messages out of order"
    await dispatcher.stop()


async def test_interactive_chats_take_turns_instead_of_one_chat_holding_a_worker() -> None:
    platform = SlowPlatform(delay=0.001)
    dispatcher = Dispatcher(platform, Marks(), concurrency=1)
    await dispatcher.start()
    dispatcher.enqueue([delivery(n, "talkative", INTERACTIVE) for n in range(10)])
    dispatcher.enqueue([delivery(100, "quiet", INTERACTIVE)])
    await dispatcher.drain()
    quiet = [d.chat_key for d in platform.arrived].index("quiet")
    assert quiet <= 2, "the quiet chat waited for the whole talkative queue"
    await dispatcher.stop()


async def test_ids_already_offered_are_not_sent_twice_and_are_forgotten_once_marked() -> None:
    platform, marks = SlowPlatform(delay=0.0), Marks()
    dispatcher = Dispatcher(platform, marks, concurrency=2)
    await dispatcher.start()
    batch = [delivery(n, f"chat-{n % 3}", INTERACTIVE) for n in range(30)]
    dispatcher.enqueue(batch)
    dispatcher.enqueue(batch[:10])  # a backlog read again while the same messages are queued
    await dispatcher.drain()
    assert [d.id for d in platform.arrived if d.chat_key == "chat-0"] == [d.id for d in batch if d.chat_key == "chat-0"]
    assert sorted(marks.sent) == sorted(d.id for d in batch)
    assert not dispatcher._known, "a long-running process must not keep every id it ever sent"
    await dispatcher.stop()


class Flaky(Transport):
    """Fails a given number of times (with the server's wait, if given), then delivers."""

    platform = "test"

    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.tries = 0

    async def deliver(self, delivery: Delivery) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise DeliveryError("503", retry_after=self.retry_after)


async def waits_of(transport: Flaky, retry: RetryPolicy, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits = record_sleeps(monkeypatch)
    await Dispatcher(transport, Marks(), retry=retry)._send_one(delivery(1, "chat", INTERACTIVE))
    monkeypatch.undo()
    return waits


async def test_a_failing_send_backs_off_by_the_policy_then_is_set_aside_and_tried_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    retry = RetryPolicy(base=1, max_delay=4, jitter=0, max_attempts=3)
    waits = await waits_of(Flaky(failures=5), retry, monkeypatch)
    # three attempts (1, 2, 4 s after them), a pause at the cap, then a fresh count: 1, 2 s, and it goes
    assert waits == [1, 2, 4, 4, 1, 2]


async def test_the_platforms_retry_after_is_waited_as_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = await waits_of(Flaky(failures=2, retry_after=7.0), RetryPolicy(jitter=0), monkeypatch)
    assert waits == [7.0, 7.0]


async def test_a_transport_that_reads_no_escapes_gets_the_text_without_them() -> None:
    """A person's asterisks are escaped in the text (dialogues/markup.py); a transport that does not read the
    escapes gets them taken out, so it never shows a backslash."""
    texts = {False: "", True: ""}
    for reads in texts:
        platform = SlowPlatform()
        platform.reads_escapes = reads  # type: ignore[misc]
        dispatcher = Dispatcher(platform, Marks())
        await dispatcher.start()
        dispatcher.enqueue([Delivery("00000001", "test", "chat", Outgoing(r"*Vos lettres* : \*a\* \\o/"))])
        await dispatcher.drain()
        await dispatcher.stop()
        texts[reads] = platform.arrived[0].message.text
    assert texts == {False: r"*Vos lettres* : *a* \o/", True: r"*Vos lettres* : \*a\* \\o/"}
