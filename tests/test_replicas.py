"""Two `phare run` processes on one PostgreSQL database and one bot: only one polls Telegram (the Bot API double
answers 409 to a second bot polling at once, as Telegram does); SIGKILL it, and the other takes polling over
within seconds. A message sent before the kill and one sent after are each answered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.ownership import Lease, lock_key
from storage.crypto import generate_key
from tests.telegram_double import POLL_CONFLICT, TOKEN, WEBHOOK_CONFLICT, BotApiDouble, TgUser
from tests.test_operations import free_port, get

ROOT = Path(__file__).resolve().parent.parent
TAKEOVER = 0.5  # PHARE_TAKEOVER_INTERVAL: how often the replica that does not poll tries to take over


class Replica:
    def __init__(self, name: str, tmp_path: Path, env: dict[str, str]) -> None:
        self.name = name
        self.data_dir = tmp_path / name
        self.data_dir.mkdir()
        self.port = free_port()
        self.log = tmp_path / f"{name}.log"
        self.env = {**env, "PHARE_DATA_DIR": str(self.data_dir), "PHARE_HTTP_LISTEN": f"127.0.0.1:{self.port}"}
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=self.data_dir, env=self.env,
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def readyz(self) -> tuple[int, str]:
        try:
            return await get(f"http://127.0.0.1:{self.port}/readyz")
        except aiohttp.ClientConnectionError:
            return 0, ""

    async def wait_ready(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = await self.readyz()
            if status == 200:
                return body
            if self.process is not None and self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} never became ready:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


def environment(double: BotApiDouble, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PHARE_DATABASE_URL=pg_url,
        PHARE_SECRET_KEY=generate_key(),
        PHARE_TELEGRAM_TOKEN=TOKEN,
        PHARE_TELEGRAM_BASE_URL=double.base_url,
        PHARE_OPERATOR_CONTACT="Dr Test (test@example.org)",
        PHARE_TAKEOVER_INTERVAL=str(TAKEOVER),
        PHARE_RETRY_BASE="0.1",
        PHARE_RETRY_MAX="1",
        PHARE_TELEGRAM_RATE_OVERALL="10000",
        PHARE_TELEGRAM_RATE_PRIVATE="10000",
        PHARE_TELEGRAM_RATE_GROUP="10000",
    )
    return env


async def test_one_replica_polls_and_the_other_takes_over_when_it_dies(
    double: BotApiDouble, pg_url: str, tmp_path: Path
) -> None:
    env = environment(double, pg_url)
    replicas = [Replica("a", tmp_path, env), Replica("b", tmp_path, env)]
    try:
        await replicas[0].start()
        await replicas[0].wait_ready()  # the first one migrates the database and takes the polling
        await replicas[1].start()
        bodies = [await r.wait_ready() for r in replicas]
        owners = [r for r, body in zip(replicas, bodies, strict=True) if "TelegramService: polling here" in body]
        assert len(owners) == 1, bodies
        owner, survivor = owners[0], next(r for r in replicas if r is not owners[0])
        other = bodies[replicas.index(survivor)]
        assert "TelegramService: polling owned by another replica (phare " in other and f"pid {owner.pid})" in other

        # Both run for a few takeover intervals: never two pollers at once (the double would have said 409).
        await asyncio.sleep(6 * TAKEOVER)
        before = TgUser(301, language_code="fr")
        double.text(before, "/start")
        await double.wait_until(lambda: bool(double.chat(before.id)), timeout=15)
        await asyncio.sleep(1.0)  # the whole onboarding reply is out (and marked sent)
        answer = len(double.chat(before.id))
        assert double.conflicts == 0, "two replicas polled at once"

        polls_before_kill = len(double.calls_to("getUpdates"))
        assert owner.process is not None
        owner.process.send_signal(signal.SIGKILL)
        await owner.process.wait()
        killed = time.monotonic()

        async def survivor_polls() -> bool:
            return "TelegramService: polling here" in (await survivor.readyz())[1]

        while not await survivor_polls():
            assert time.monotonic() - killed < 10, f"no takeover within 10 s:\n{survivor.tail()}"
            await asyncio.sleep(0.1)
        assert time.monotonic() - killed < 5 + 2 * TAKEOVER
        # Ready says "polling here" as soon as the lease is taken; the first poll itself follows a moment later.
        await double.wait_until(lambda: len(double.calls_to("getUpdates")) > polls_before_kill, timeout=5)

        after = TgUser(302, language_code="fr")
        double.text(after, "/start")
        await double.wait_until(lambda: len(double.chat(after.id)) >= answer, timeout=15)
        await asyncio.sleep(2.0)  # anything sent twice would be sent by now
        assert len(double.chat(before.id)) == answer, "the message before the kill was answered again"
        assert len(double.chat(after.id)) == answer, "the message after the kill was not answered exactly once"
        # The dead owner's last long poll still hung open on the server: the takeover's first poll ended it.
        assert double.conflicts <= 1
        await double.wait_confirmed(double.last_update_id)
    finally:
        for replica in replicas:
            await replica.stop()
    assert survivor.process is not None and survivor.process.returncode == 0, survivor.tail()


async def test_the_double_ends_a_poll_when_a_second_one_comes_as_telegram_does(double: BotApiDouble) -> None:
    async with aiohttp.ClientSession() as http:

        async def poll() -> tuple[int, str]:
            async with http.post(f"{double.base_url}{TOKEN}/getUpdates", json={"timeout": 2}) as response:
                return response.status, (await response.json())["description" if response.status != 200 else "ok"]

        first = asyncio.create_task(poll())
        await double.wait_until(lambda: len(double.calls_to("getUpdates")) == 1)
        second = asyncio.create_task(poll())
        assert await first == (409, POLL_CONFLICT)
        assert await second == (200, True) and double.conflicts == 1
        await http.post(f"{double.base_url}{TOKEN}/setWebhook", json={"url": "https://phare.example.org/tg"})
        assert await poll() == (409, WEBHOOK_CONFLICT)


async def test_a_lease_is_owned_by_one_session_and_freed_with_it(pg_url: str) -> None:
    first = Lease(pg_url, "telegram bot 1", every=0.1)
    second = Lease(pg_url, "telegram bot 1", every=0.1)
    other_bot = Lease(pg_url, "telegram bot 2", every=0.1)
    try:
        await asyncio.wait_for(first.acquire(), 5)
        await asyncio.wait_for(other_bot.acquire(), 5)  # another identity, another lock
        waiting = asyncio.create_task(second.acquire())
        await asyncio.sleep(0.5)
        assert not waiting.done() and second.state == "elsewhere"
        assert (
            second.describe().startswith("owned by another replica (phare ")
            and f"pid {os.getpid()})" in second.describe()
        )
        await first.release()
        await asyncio.wait_for(waiting, 5)
        assert second.state == "owned" and second.describe() == "here"
    finally:
        for lease in (first, second, other_bot):
            await lease.release()


async def test_without_postgresql_the_only_process_owns_everything() -> None:
    lease = Lease(None, "telegram bot 1")
    await asyncio.wait_for(lease.acquire(), 1)
    assert lease.state == "owned" and not lease.shared
    assert lock_key("telegram bot 1") == lock_key("telegram bot 1") != lock_key("telegram bot 2")
    assert -(2**63) <= lock_key("matrix @phare:example.org") < 2**63


@pytest.mark.parametrize("url", ["postgresql+asyncpg://u@h/db", "postgresql://u@h/db"])
def test_asyncpg_takes_the_plain_scheme(url: str) -> None:
    from bot.ownership import asyncpg_url

    assert asyncpg_url(url) == "postgresql://u@h/db"
