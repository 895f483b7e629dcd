"""Two `phare run` processes on one PostgreSQL database and one Matrix account, against a real Synapse: only one
syncs as the bot's device (two would ratchet its Olm sessions apart); a reply another process commits for a
Matrix user is sent by that one; SIGKILL it, and the other takes the device over within seconds. Every message,
before and after the kill, is answered exactly once."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from nio import MegolmEvent

from bot.app import build
from bot.config import Settings
from bot.core.jobs import private_chat
from bot.messages import Delivery, Incoming, Outgoing
from bot.ownership import Lease, asyncpg_url
from bot.transports.matrix import epoch
from bot.transports.matrix.epoch import take_over
from storage.crypto import Cipher, generate_key
from tests.matrix_server import SERVER_NAME, Synapse
from tests.test_matrix import Person, _name, synapse, wait_until
from tests.test_replicas import ROOT, Replica

__all__ = ["synapse"]  # the session's homeserver fixture, shared with tests/test_matrix.py

TAKEOVER = 0.5  # PHARE_TAKEOVER_INTERVAL
HERE = "MatrixService: syncing here"
ELSEWHERE = "MatrixService: syncing owned by another replica (phare "


def environment(synapse: Synapse, pg_url: str, user: str, password: str, data_dir: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        PHARE_DATABASE_URL=pg_url,
        PHARE_SECRET_KEY=generate_key(),
        PHARE_MATRIX_HOMESERVER=synapse.url,
        PHARE_MATRIX_USER=user,
        PHARE_MATRIX_PASSWORD=password,
        PHARE_MATRIX_ALLOWED_INVITERS=f"*:{SERVER_NAME}",
        PHARE_OPERATOR_CONTACT="Dr Test (test@example.org)",
        PHARE_TAKEOVER_INTERVAL=str(TAKEOVER),
        PHARE_RETRY_BASE="0.1",
        PHARE_RETRY_MAX="1",
    )
    return env


def replicas_sharing(tmp_path: Path, env: dict[str, str]) -> list[Replica]:
    """Two replicas with one data directory, where the device's session and crypto store live (as the compose
    file's volume gives them)."""
    shared = tmp_path / "data"
    shared.mkdir()
    replicas = [Replica("a", tmp_path, env), Replica("b", tmp_path, env)]
    for replica in replicas:
        replica.env["PHARE_DATA_DIR"] = str(shared)
    return replicas


def answered(person: Person, room_id: str, bot: str) -> list[str]:
    """The bot's messages in the room, each event once (a resend with the same transaction id is one event)."""
    seen: dict[str, str] = {}
    for event in person.from_bot(room_id, bot):
        if event.source.get("type") == "m.room.message":
            seen.setdefault(event.event_id, str(event.source["content"].get("body", "")))
    return list(seen.values())


async def settled(person: Person, room_id: str, bot: str, at_least: int, quiet: float = 1.5) -> list[str]:
    """The bot's messages once at least `at_least` came and nothing more came for `quiet` seconds."""
    await wait_until(lambda: len(answered(person, room_id, bot)) >= at_least, "Phare's messages", timeout=30)
    count = -1
    while count != len(answered(person, room_id, bot)):
        count = len(answered(person, room_id, bot))
        await asyncio.sleep(quiet)
    return answered(person, room_id, bot)


async def commit_elsewhere(pg_url: str, secret: str, user: str, data_dir: Path) -> None:
    """What a replica without the device does for a Matrix user (a check-in, a timer): commit a reply. Here a
    third process's writer takes a message of theirs, as if it came from anywhere."""
    settings = Settings(data_dir=data_dir, database_url=pg_url, secret_key=secret)
    phare = await build(settings, migrate=False)
    try:
        await phare.writer.submit(
            Incoming(
                platform="matrix", user_key=user, chat_key=private_chat(user), message_id=f"elsewhere-{_name('m')}",
                received_at=datetime.now(UTC), text="/about",
            )
        )  # fmt: skip
    finally:
        await phare.close()


async def cut_lock_session(pg_url: str, pid: int) -> None:
    """End a replica's lock session from the server's side, as a network failure or a database restart would."""
    conn = await asyncpg.connect(asyncpg_url(pg_url))
    try:
        name = f"phare {socket.gethostname()} pid {pid}"[:63]
        query = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1"
        assert await conn.fetchval(query, name) == 1
    finally:
        await conn.close()


async def wait_for_body(replica: Replica, text: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while text not in (body := (await replica.readyz())[1]):
        assert time.monotonic() < deadline, f"{replica.name}: {body!r}\n{replica.tail()}"
        await asyncio.sleep(0.1)


async def test_one_replica_holds_the_matrix_device_and_the_other_takes_over_when_it_dies(
    synapse: Synapse, pg_url: str, tmp_path: Path
) -> None:
    account = synapse.register(_name("phare"))
    bot = account.user_id
    env = environment(synapse, pg_url, bot, account.password, tmp_path / "data")
    replicas = replicas_sharing(tmp_path, env)
    people: list[Person] = []
    try:
        await replicas[0].start()
        await replicas[0].wait_ready()  # the first one migrates, signs the device in and cross-signs it
        await replicas[1].start()
        bodies = [await r.wait_ready() for r in replicas]
        owners = [r for r, body in zip(replicas, bodies, strict=True) if HERE in body]
        assert len(owners) == 1, bodies
        owner = owners[0]
        survivor = next(r for r in replicas if r is not owner)
        deadline = time.monotonic() + 5  # which replica holds it is asked again at each try to take over
        while not (ELSEWHERE in (other := (await survivor.readyz())[1]) and f"pid {owner.pid})" in other):
            assert time.monotonic() < deadline, other
            await asyncio.sleep(TAKEOVER)

        # Before the kill: a direct chat, Phare's greeting, one answer; then a reply committed by another process.
        alice = await Person.create(synapse, tmp_path / "people", "alice")
        people.append(alice)
        room = await alice.dm(bot, encrypted=True)
        greeting = len(await settled(alice, room, bot, 1))
        await alice.send(room, "1")
        answer = len(await settled(alice, room, bot, greeting + 1)) - greeting
        await commit_elsewhere(pg_url, env["PHARE_SECRET_KEY"], alice.user_id, tmp_path / "elsewhere")
        before = await settled(alice, room, bot, greeting + answer + 1)
        assert any("Phare" in text for text in before[greeting + answer :]), "the reply committed elsewhere"

        # The owner's session with the database is cut, the process lives on: it lets the device go and waits,
        # and the other one takes the device over. That one is then killed, and the first takes the device back.
        await cut_lock_session(pg_url, owner.pid)
        await wait_for_body(survivor, HERE)
        await wait_for_body(owner, f"{ELSEWHERE}{socket.gethostname()} pid {survivor.pid})")
        owner, survivor = survivor, owner

        assert owner.process is not None
        owner.process.send_signal(signal.SIGKILL)
        await owner.process.wait()
        killed = time.monotonic()
        while HERE not in (await survivor.readyz())[1]:
            assert time.monotonic() - killed < 20, f"no takeover within 20 s:\n{survivor.tail()}"
            await asyncio.sleep(0.1)

        # After the kill: another person, the same greeting and answer, from the device the survivor took over.
        bob = await Person.create(synapse, tmp_path / "people", "bob")
        people.append(bob)
        bob_room = await bob.dm(bot, encrypted=True)
        assert len(await settled(bob, bob_room, bot, greeting)) == greeting
        await bob.send(bob_room, "1")
        assert len(await settled(bob, bob_room, bot, greeting + answer, quiet=2.0)) == greeting + answer
        assert answered(alice, room, bot) == before, "a message before the kill was answered again"
        assert not [e for e in bob.from_bot(bob_room, bot) if isinstance(e, MegolmEvent)], "undecryptable"

        # A replica with a data directory of its own (another machine's) waits, and when the device is free
        # it is refused it: it would sign in a second device, which people's clients were never told to trust.
        stranger = Replica("c", tmp_path, env)
        replicas.append(stranger)
        await stranger.start()
        assert ELSEWHERE in await stranger.wait_ready()
        await survivor.stop()
        assert survivor.process is not None and survivor.process.returncode == 0, survivor.tail()
        deadline = time.monotonic() + 15
        while "MatrixService refused the device" not in (status := await stranger.readyz())[1]:
            assert time.monotonic() < deadline, f"{status}\n{stranger.tail()}"
            await asyncio.sleep(0.2)
        assert status[0] == 503 and "will not take the device over" in stranger.tail()
        assert not (stranger.data_dir / "matrix" / "session.json").exists()
    finally:
        for person in people:
            await person.close()
        for replica in replicas:
            await replica.stop()


async def test_the_device_is_taken_over_only_from_the_directory_it_was_last_used_from(
    pg_url: str, tmp_path: Path
) -> None:
    from storage.db import Database

    database = Database(pg_url)
    await database.migrate()
    await database.dispose()
    shared, other = tmp_path / "shared" / "matrix", tmp_path / "other-machine" / "matrix"
    shared.mkdir(parents=True)
    other.mkdir(parents=True)

    async def owns(directory: Path) -> bool:
        lease = Lease(pg_url, "matrix @phare:example.org on https://matrix.example.org", every=0.1)
        try:
            await asyncio.wait_for(lease.acquire(), 5)
            return await take_over(directory, lease)
        finally:
            await lease.release()

    assert await owns(shared)  # the first owner ever: its directory is the device's from now on
    assert await owns(shared)  # any replica that shares it
    assert not await owns(other)  # another machine's directory: it would sign in a second device
    old = tmp_path / "old-copy"
    shutil.copytree(shared, old)
    assert await owns(shared)
    assert not await owns(old)  # a copy made before the last takeover: its keys are spent
    # A crash between the file and the database: the file holds both epochs, and is still the device's.
    marks = epoch.read(shared / epoch.EPOCH_FILE)
    epoch.write(shared / epoch.EPOCH_FILE, epoch.Marks(marks.current, "never-recorded"))
    assert await owns(shared)
    assert epoch.read(shared / epoch.EPOCH_FILE).next is None
    assert (shared / epoch.EPOCH_FILE).stat().st_mode & 0o777 == 0o600

    # `phare doctor` says so before the day a replica has to take the device over.
    from bot.doctor import Report, check_matrix_directory

    database = Database(pg_url)
    try:
        for data_dir, fine in ((shared.parent, True), (other.parent, False)):
            settings = Settings(
                data_dir=data_dir, database_url=pg_url, secret_key=generate_key(),
                matrix_homeserver="https://matrix.example.org", matrix_user="@phare:example.org", matrix_password="x",
            )  # fmt: skip
            report = Report()
            await check_matrix_directory(report, settings, database)
            assert (len(report.fine), len(report.problems)) == ((1, 0) if fine else (0, 1)), report
    finally:
        await database.dispose()


class _Writer:
    """What the service asks of the writer here: replies other replicas queued, and the commit listener."""

    library = None

    def __init__(self, others: list[Delivery]) -> None:
        self.others = others
        self.listeners: list[Callable[[list[Delivery]], object]] = []

    def on_commit(self, listener: Callable[[list[Delivery]], object]) -> None:
        self.listeners.append(listener)

    async def adopt(self, platform: str, *, mine_too: bool = False) -> list[Delivery]:
        others, self.others = self.others, []
        return others


class _Dispatcher:
    def __init__(self) -> None:
        self.queued: list[str] = []

    def enqueue(self, deliveries: list[Delivery]) -> None:
        self.queued.extend(d.id for d in deliveries)


def _delivery(outbox_id: str, platform: str = "matrix") -> Delivery:
    return Delivery(id=outbox_id, platform=platform, chat_key=private_chat("@alice:example.org"), message=Outgoing("…"))


async def test_the_owner_sends_a_reply_committed_elsewhere_before_a_later_one_of_its_own(tmp_path: Path) -> None:
    from bot.transports.matrix import MatrixOptions, MatrixService

    writer = _Writer([_delivery("0001-elsewhere")])
    options = MatrixOptions(homeserver="http://127.0.0.1:1", user="@phare:example.org", password="x")
    lease = Lease("postgresql://nobody@127.0.0.1:1/none", "matrix test")  # shared; never asked here
    service = MatrixService(writer, options, tmp_path, Cipher([generate_key()]), lease=lease, adopt_every=60)  # type: ignore[arg-type]
    service.writer.on_commit(service._committed)

    service._committed([_delivery("0002-here")])  # not the owner: nothing is kept, the owner adopts it
    assert service._held == []

    dispatcher = _Dispatcher()
    service.dispatcher = dispatcher  # type: ignore[assignment]
    service._committed([_delivery("0003-here"), _delivery("0004-tg", platform="telegram")])
    feeding = asyncio.create_task(service._feed(service.dispatcher))  # type: ignore[arg-type]
    try:
        await wait_until(lambda: bool(dispatcher.queued), "the first hand-over", timeout=5)
    finally:
        feeding.cancel()
        await asyncio.gather(feeding, return_exceptions=True)
    assert dispatcher.queued == ["0001-elsewhere", "0003-here"]
