"""Phare on Matrix, end to end: matrix-nio with E2EE against a real Synapse, the real writer on SQLite.

The people are matrix-nio clients too (with their own crypto stores), so what is checked is what a
person's client receives: notices, reactions, decryptable messages, encrypted files.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    Event,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomKickResponse,
    RoomMemberEvent,
    RoomPreset,
    RoomSendResponse,
)
from nio.crypto import decrypt_attachment

from bot.app import Phare, build, make_cipher
from bot.config import Settings
from bot.retry import RetryPolicy
from bot.transports.matrix import MatrixOptions, MatrixService
from bot.transports.matrix.crosssign import bootstrap
from bot.transports.matrix.secrets import SecretFile
from dialogues.state import RunState
from storage.crypto import Cipher, generate_key
from storage.records import UserRecord
from tests.harness import require_services
from tests.matrix_server import SERVER_NAME, Account, Proxy, Synapse, SynapseUnavailable, ensure_synapse

ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
OPERATOR = "Dr Matrix (matrix@example.org)"
# Generous: every wait ends as soon as its condition holds, so only a failing test ever waits this long, and
# a machine busy with other work (two cores taken, say) can be several times slower than an idle one.
TIMEOUT = 60.0


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """One homeserver for the whole module (about 2.5 s to start), or a skip with the reason."""
    try:
        python = ensure_synapse()
        server = Synapse(_fast_directory(tmp_path_factory), python)
        server.start()
    except SynapseUnavailable as exc:
        message = f"no Synapse homeserver for the Matrix tests: {exc}"
        if require_services():
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.stop()
    if str(server.directory).startswith("/dev/shm/"):
        shutil.rmtree(server.directory, ignore_errors=True)


def _fast_directory(factory: pytest.TempPathFactory) -> Path:
    """Memory-backed /dev/shm when there is one, for Synapse's and Phare's SQLite files: every event is
    a commit, and on an ordinary disk each costs 50-150 ms of fsync."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="phare-synapse-", dir=shm))
    return factory.mktemp("synapse")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- a person's Matrix client ------------------------------------------------------------------------------


@dataclass
class Person:
    """One person's Matrix app (matrix-nio with E2EE): writes, reacts, reads what arrives."""

    account: Account
    client: AsyncClient
    events: dict[str, list[Event]] = field(default_factory=dict)
    invites: list[str] = field(default_factory=list)
    auto_join: bool = True
    task: asyncio.Task[None] | None = None
    lag: float = 0.0  # a slow phone: each message it receives takes this long to show (its sync waits too)

    @property
    def user_id(self) -> str:
        return self.account.user_id

    @classmethod
    async def create(cls, synapse: Synapse, directory: Path, prefix: str) -> Person:
        account = synapse.register(_name(prefix))
        store = directory / account.user_id.strip("@").replace(":", "_")
        store.mkdir(parents=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        client = AsyncClient(synapse.url, account.user_id, account.device_id, str(store), config)
        client.restore_login(account.user_id, account.device_id, account.access_token)
        person = cls(account, client)
        client.add_event_callback(person._on_event, Event)
        client.add_event_callback(person._on_invite, InviteMemberEvent)
        await client.keys_upload()
        person.task = asyncio.create_task(client.sync_forever(timeout=3000, full_state=True))
        return person

    async def another_device(self, synapse: Synapse, directory: Path) -> Person:
        """The same account signed in on a second device (a new session its owner has not verified)."""
        store = directory / f"{self.user_id.strip('@').replace(':', '_')}-2"
        store.mkdir(parents=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        client = AsyncClient(synapse.url, self.user_id, store_path=str(store), config=config)
        response = await client.login(self.account.password)
        assert isinstance(response, LoginResponse), response
        account = Account(self.user_id, self.account.password, response.access_token, response.device_id)
        person = Person(account, client, auto_join=False)
        client.add_event_callback(person._on_event, Event)
        await client.keys_upload()
        person.task = asyncio.create_task(client.sync_forever(timeout=3000, full_state=True))
        return person

    async def _on_event(self, room: MatrixRoom, event: Event) -> None:
        if self.lag and event.source.get("type") in ("m.room.message", "m.room.encrypted"):
            await asyncio.sleep(self.lag)
        self.events.setdefault(room.room_id, []).append(event)

    async def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.user_id and event.membership == "invite" and room.room_id not in self.invites:
            self.invites.append(room.room_id)
            if self.auto_join:
                await self.client.join(room.room_id)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.client.close()

    async def dm(self, bot: str, *, encrypted: bool) -> str:
        response = await self.client.room_create(
            is_direct=True,
            invite=[bot],
            preset=RoomPreset.trusted_private_chat,
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        return str(response.room_id)

    async def send(self, room_id: str, text: str) -> str:
        await wait_until(lambda: room_id in self.client.rooms, "the room to be synced")
        response = await self.client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": text}, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def send_content(self, room_id: str, content: dict[str, Any]) -> str:
        await wait_until(lambda: room_id in self.client.rooms, "the room to be synced")
        response = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def edit(self, room_id: str, event_id: str, text: str, *, mentions: list[str] | None = None) -> str:
        """Edit one of their messages as Element does: an m.replace whose m.new_content holds the new text."""
        new: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if mentions is not None:
            new["m.mentions"] = {"user_ids": mentions}
        content = {
            "msgtype": "m.text",
            "body": f"* {text}",
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        }
        if mentions is not None:
            content["m.mentions"] = {"user_ids": mentions}
        return await self.send_content(room_id, content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        response = await self.client.room_send(room_id, "m.reaction", content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    def from_bot(self, room_id: str, bot: str) -> list[Event]:
        return [e for e in self.events.get(room_id, []) if e.sender == bot]

    def bot_messages(self, room_id: str, bot: str) -> list[dict[str, Any]]:
        """The content of every message the bot posted here, in order (decrypted where encrypted)."""
        return [e.source["content"] for e in self.from_bot(room_id, bot) if e.source.get("type") == "m.room.message"]

    def bot_texts(self, room_id: str, bot: str) -> list[str]:
        return [str(c.get("body", "")) for c in self.bot_messages(room_id, bot)]


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def has_joined(person: Person, room_id: str, *user_ids: str) -> Callable[[], bool]:
    """In this person's view of the room, these users have joined (an invited user is in `users` too)."""

    def check() -> bool:
        room = person.client.rooms.get(room_id)
        return room is not None and all(u in room.users and u not in room.invited_users for u in user_ids)

    return check


# --- Phare on Matrix ---------------------------------------------------------------------------------------


@dataclass
class Bot:
    synapse: Synapse
    account: Account
    data_dir: Path
    options: MatrixOptions
    phare: Phare | None = None
    service: MatrixService | None = None

    @property
    def user_id(self) -> str:
        return self.account.user_id

    async def start(self, **changes: Any) -> None:
        if changes:
            self.options = MatrixOptions(**{**self.options.__dict__, **changes})
        settings = Settings(data_dir=self.data_dir, operator_contact=OPERATOR, database_url=None)  # type: ignore[call-arg]
        self.phare = await build(settings)
        self.service = MatrixService(
            self.phare.writer, self.options, self.data_dir, make_cipher(settings, self.phare.db)
        )
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
            self.service = None
        if self.phare is not None:
            await self.phare.close()
            self.phare = None

    async def processed(self, event_id: str) -> bool:
        assert self.phare is not None
        async with self.phare.db.begin() as conn:
            return bool(await self.phare.writer.repo.seen(conn, "matrix", [event_id]))

    async def settle(self, person: Person, room_id: str, event_id: str) -> None:
        """Wait until Phare has handled this event, sent every reply, and the person has received them."""
        deadline = time.monotonic() + TIMEOUT
        while not await self.processed(event_id):
            assert time.monotonic() < deadline, "Phare did not process the event in time"
            await asyncio.sleep(0.02)
        await self.arrived(person, room_id)

    async def arrived(self, person: Person, room_id: str) -> None:
        """Every reply committed so far is sent, and this person's client has received the last one Phare
        sent in the room (each member's client syncs on its own clock: wait for each one read)."""
        assert self.service is not None and self.service.transport is not None
        await self.service.idle()
        last = self.service.transport.last_sent.get(room_id)
        if last is not None:
            await wait_until(lambda: any(e.event_id == last for e in person.events.get(room_id, [])), "the replies")

    async def user_record(self, person: Person) -> UserRecord | None:
        assert self.phare is not None
        async with self.phare.db.begin() as conn:
            found = await self.phare.writer.repo.users_by_key(conn, [("matrix", person.user_id)])
        return found.get(("matrix", person.user_id))

    async def step(self, person: Person) -> str | None:
        assert self.phare is not None
        user = await self.user_record(person)
        if user is None:
            return None
        async with self.phare.db.begin() as conn:
            runs = await self.phare.writer.repo.current_runs(conn, [user.id])
        run = runs.get(user.id)
        return None if run is None else RunState.from_dict(run.state["engine"]).top.step_id

    def shown_options(self, room_id: str) -> list[str]:
        assert self.service is not None and self.service.state is not None
        return [b.id for b in self.service.state.current_buttons(room_id)]

    def option_typed(self, room_id: str, option_id: str) -> str:
        """What a person types to pick an option of the current question: its number, or its label."""
        assert self.service is not None and self.service.state is not None
        buttons = self.service.state.current_buttons(room_id)
        for index, button in enumerate(buttons, start=1):
            if button.id == option_id:
                return button.label if len(buttons) == 1 else str(index)
        raise AssertionError(f"no option {option_id!r}; shown: {[b.id for b in buttons]}")


@dataclass
class Chat:
    """A person and Phare in one room: say something, wait for every reply."""

    bot: Bot
    person: Person
    room_id: str
    seen: int = 0

    async def say(self, text: str) -> list[str]:
        event_id = await self.person.send(self.room_id, text)
        await self.bot.settle(self.person, self.room_id, event_id)
        return self.new()

    async def choose(self, option_id: str) -> list[str]:
        """Type the option's number, or its label when it is the only one (a lone "1" may be an answer)."""
        return await self.say(self.bot.option_typed(self.room_id, option_id))

    def new(self) -> list[str]:
        texts = self.person.bot_texts(self.room_id, self.bot.user_id)
        fresh, self.seen = texts[self.seen :], len(texts)
        return fresh

    async def onboard(self) -> None:
        for option in ("fr", "vous", "continue", "continue", "yes", "fr"):
            await self.choose(option)


@pytest.fixture
async def world(synapse: Synapse, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    directory = _fast_directory(tmp_path_factory)  # Phare's SQLite commits too
    w = World(synapse, directory)
    yield w
    await w.close()
    if str(directory).startswith("/dev/shm/"):
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class World:
    synapse: Synapse
    directory: Path
    people: list[Person] = field(default_factory=list)
    bots: list[Bot] = field(default_factory=list)

    async def person(self, prefix: str = "alice") -> Person:
        person = await Person.create(self.synapse, self.directory / "people", prefix)
        self.people.append(person)
        return person

    async def bot(self, *, start: bool = True, **options: Any) -> Bot:
        account = self.synapse.register(_name("phare"))
        base: dict[str, Any] = {
            "homeserver": self.synapse.url,
            "user": account.user_id,
            "password": account.password,
            "allowed_inviters": (f"*:{SERVER_NAME}",),
            "sync_timeout_ms": 3000,
        }
        bot = Bot(self.synapse, account, self.directory / _name("data"), MatrixOptions(**{**base, **options}))
        self.bots.append(bot)
        if start:
            await bot.start()
        return bot

    async def chat(self, bot: Bot, person: Person, *, encrypted: bool) -> Chat:
        room_id = await person.dm(bot.user_id, encrypted=encrypted)
        chat = Chat(bot, person, room_id)
        # Phare joins and speaks first: the onboarding's first question.
        await wait_until(lambda: len(person.bot_messages(room_id, bot.user_id)) >= 1, "Phare's greeting")
        assert bot.service is not None
        await bot.service.idle()
        return chat

    async def close(self) -> None:
        for bot in self.bots:
            await bot.stop()
        for person in self.people:
            await person.close()


# --- conversations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True], ids=["clear", "e2ee"])
async def test_a_whole_compassion_break_in_a_direct_chat(world: World, encrypted: bool) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=encrypted)
    await chat.onboard()
    await chat.say("/break")
    assert await bot.step(alice) == "situation"
    await chat.choose("patient_stuck")
    await chat.choose("continue")
    replies = await chat.say("4/10")
    assert replies and await bot.step(alice) == "mindfulness"
    await chat.choose("continue")
    await chat.choose("continue")
    while (step := await bot.step(alice)) not in ("intensity_after", None):
        if step == "kind_sentence":
            await chat.say("Je fais de mon mieux avec ce que j'ai.")
        else:
            await chat.choose(bot.shown_options(chat.room_id)[0])
    closing = await chat.say("trois")
    assert await bot.step(alice) is None
    assert "4/10" in "\n".join(closing) and "3/10" in "\n".join(closing)
    history = await chat.say("/history")
    assert "4 → 3" in "\n".join(history)

    messages = alice.bot_messages(chat.room_id, bot.user_id)
    texts = [m for m in messages if m["msgtype"] not in ("m.image", "m.file")]
    # Replies are notices (bots' convention) with HTML; options are a numbered list.
    assert {m["msgtype"] for m in texts} == {"m.notice"}
    assert all(m.get("format") == "org.matrix.custom.html" for m in texts)
    assert any("<ol><li>" in m["formatted_body"] for m in texts)
    # Pictures (the before/after chart) are uploaded encrypted in the encrypted chat.
    for image in (m for m in messages if m["msgtype"] == "m.image"):
        assert ("file" in image and "url" not in image) if encrypted else ("url" in image)
    events = alice.from_bot(chat.room_id, bot.user_id)
    # In the encrypted chat, nothing Phare wrote crossed the homeserver in clear.
    assert all(getattr(e, "decrypted", False) for e in events if e.source.get("type") == "m.room.message") == encrypted


async def test_a_reaction_answers_and_a_reaction_to_an_old_question_changes_nothing(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    question = next(e for e in alice.from_bot(chat.room_id, bot.user_id) if e.source["type"] == "m.room.message")
    # Phare put the shortcuts under its own question.
    await wait_until(
        lambda: {e.source["content"]["m.relates_to"]["key"] for e in alice.from_bot(chat.room_id, bot.user_id)
                 if e.source.get("type") == "m.reaction"} >= {"1️⃣", "2️⃣"},
        "Phare's keycap reactions",
    )  # fmt: skip
    reaction = await alice.react(chat.room_id, question.event_id, "2️⃣")  # English
    await bot.settle(alice, chat.room_id, reaction)
    assert "A few words first" in "\n".join(chat.new())
    user = await bot.user_record(alice)
    assert user is not None and user.locale == "en"
    step = await bot.step(alice)
    # The language question is behind us: tapping 1️⃣ (Français) on it now is a stale button.
    stale = await alice.react(chat.room_id, question.event_id, "1️⃣")
    await bot.settle(alice, chat.room_id, stale)
    assert "earlier question" in "\n".join(chat.new())
    user = await bot.user_record(alice)
    assert user is not None and user.locale == "en" and await bot.step(alice) == step


async def test_typing_the_label_chooses_too(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=False)
    await chat.say("english")
    user = await bot.user_record(alice)
    assert user is not None and user.locale == "en"


# --- invites and rooms ---------------------------------------------------------------------------------------


async def test_an_invite_from_outside_the_allow_list_is_declined(world: World) -> None:
    alice = await world.person()
    mallory = await world.person("mallory")
    bot = await world.bot(allowed_inviters=(alice.user_id,))
    room_id = await mallory.dm(bot.user_id, encrypted=False)

    def declined() -> bool:
        """Phare's own "leave" reached Mallory (Phare missing from her room may only mean she has not synced)."""
        events = mallory.events.get(room_id, [])
        return any(isinstance(e, RoomMemberEvent) and e.state_key == bot.user_id and e.membership == "leave"
                   for e in events)  # fmt: skip

    await wait_until(declined, "the invite to be declined")
    assert not alice.events.get(room_id) and not mallory.bot_messages(room_id, bot.user_id), "Phare said nothing"
    # Someone on the list is welcome.
    await world.chat(bot, alice, encrypted=False)


async def test_a_kicked_bot_invited_again_joins_again(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    # A direct chat where Alice is the room's admin (in a "trusted" one, Phare's power equals hers).
    created = await alice.client.room_create(
        is_direct=True, invite=[bot.user_id], preset=RoomPreset.private_chat, initial_state=[ENCRYPTION]
    )
    assert isinstance(created, RoomCreateResponse), created
    chat = Chat(bot, alice, str(created.room_id))
    await wait_until(lambda: bool(alice.bot_texts(chat.room_id, bot.user_id)), "Phare's greeting")
    await chat.onboard()
    kicked = await alice.client.room_kick(chat.room_id, bot.user_id, reason="oops")
    assert isinstance(kicked, RoomKickResponse), kicked
    await wait_until(lambda: bot.user_id not in alice.client.rooms[chat.room_id].users, "the kick")
    greeted = len(alice.bot_texts(chat.room_id, bot.user_id))
    invited = await alice.client.room_invite(chat.room_id, bot.user_id)
    assert isinstance(invited, RoomInviteResponse), invited
    await wait_until(has_joined(alice, chat.room_id, bot.user_id), "Phare to join again")
    # Back in the room, Phare speaks first again (the menu: Alice is no newcomer), then answers.
    await wait_until(lambda: len(alice.bot_texts(chat.room_id, bot.user_id)) > greeted, "Phare's greeting")
    chat.new()
    assert OPERATOR in "\n".join(await chat.say("/about"))


async def test_an_invite_sent_while_phare_was_stopped_is_accepted_at_start(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    await bot.stop()
    room_id = await alice.dm(bot.user_id, encrypted=True)
    await bot.start()
    await wait_until(has_joined(alice, room_id, bot.user_id), "Phare to join")
    chat = Chat(bot, alice, room_id)
    await wait_until(lambda: bool(alice.bot_texts(room_id, bot.user_id)), "Phare's greeting")
    assert "Bonjour, je suis Phare" in chat.new()[0]


async def test_an_invite_phare_could_not_answer_is_answered_after_a_restart(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join failed and the sync token moved past the invite; a restart still finds the invite."""
    bot = await world.bot()
    alice = await world.person()
    assert bot.service is not None and bot.service.client is not None and bot.service.state is not None
    client, state = bot.service.client, bot.service.state
    tried: list[str] = []

    async def refused(room_id: str) -> Any:
        tried.append(room_id)
        return JoinError("the homeserver refused", "M_FORBIDDEN")

    monkeypatch.setattr(client, "join", refused)
    token = state.sync_token
    room_id = await alice.dm(bot.user_id, encrypted=True)
    await wait_until(lambda: bool(tried) and state.sync_token != token, "a join refused, the token saved")
    await bot.stop()
    monkeypatch.undo()
    await bot.start()
    await wait_until(has_joined(alice, room_id, bot.user_id), "Phare to join after its restart")
    await wait_until(lambda: bool(alice.bot_texts(room_id, bot.user_id)), "Phare's greeting")


async def test_a_join_that_fails_is_retried_with_backoff(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await world.bot(retry=RetryPolicy(base=0.05, max_delay=0.2))
    alice = await world.person()
    assert bot.service is not None and bot.service.client is not None
    client = bot.service.client
    join = client.join
    failures: list[Any] = [aiohttp.ServerDisconnectedError(), JoinError("try later", "M_UNKNOWN")]
    tried: list[str] = []

    async def flaky(room_id: str) -> Any:
        tried.append(room_id)
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, BaseException):
                raise failure
            return failure
        return await join(room_id)

    monkeypatch.setattr(client, "join", flaky)
    room_id = await alice.dm(bot.user_id, encrypted=True)
    await wait_until(has_joined(alice, room_id, bot.user_id), "Phare to join after two failures")
    await wait_until(lambda: bool(alice.bot_texts(room_id, bot.user_id)), "Phare's greeting")
    assert len(tried) == 3 and not failures


async def test_a_group_hears_only_its_commands_and_personal_ones_move_to_a_direct_chat(world: World) -> None:
    bot = await world.bot()
    alice, bob, carol = await world.person("alice"), await world.person("bob"), await world.person("carol")
    carol.lag = 0.3  # her phone is slow: what she sees of the group arrives after what Bob sees
    created = await alice.client.room_create(name="Intervision", invite=[bot.user_id, bob.user_id, carol.user_id])
    assert isinstance(created, RoomCreateResponse)
    room_id = str(created.room_id)
    await wait_until(has_joined(alice, room_id, bot.user_id, bob.user_id, carol.user_id), "everyone to join")
    await alice.send(room_id, "Bonjour à tous, on commence à 18 h ?")
    await bob.send(room_id, "/help")  # Element would not even send this; an ordinary word for Phare here
    asked = await carol.send(room_id, "!phare help")
    await bot.settle(carol, room_id, asked)
    texts = carol.bot_texts(room_id, bot.user_id)
    assert len(texts) == 1 and "discret" in texts[0]

    asked = await bob.send(room_id, "!phare break")
    await bot.settle(bob, room_id, asked)
    await bot.arrived(carol, room_id)
    texts = carol.bot_texts(room_id, bot.user_id)
    assert len(texts) == 2 and "privé" in texts[1]
    # Phare opened a direct chat with Bob itself; the exercise (after onboarding) happens there.
    assert bot.service is not None and bot.service.state is not None
    await wait_until(lambda: bot.service.state.direct_room(bob.user_id) is not None, "a direct chat for Bob")
    direct = bot.service.state.direct_room(bob.user_id)
    assert direct is not None and direct != room_id
    await wait_until(lambda: bool(bob.bot_texts(direct, bot.user_id)), "Phare to write to Bob in private")
    assert "Phare" in bob.bot_texts(direct, bot.user_id)[0]
    assert bob.client.rooms[direct].encrypted
    await bot.arrived(alice, room_id)
    assert len(alice.bot_texts(room_id, bot.user_id)) == 2  # nothing more in the group


async def test_a_direct_chat_that_gains_a_third_member_is_a_group_at_once(world: World) -> None:
    bot = await world.bot()
    alice, bob = await world.person("alice"), await world.person("bob")
    chat = await world.chat(bot, alice, encrypted=True)
    await chat.onboard()
    await alice.client.room_invite(chat.room_id, bob.user_id)
    await wait_until(has_joined(alice, chat.room_id, bob.user_id), "Bob to join")
    await alice.send(chat.room_id, "/history")  # chatter now: nobody asked Phare
    redirected = await chat.say("!phare history")
    assert len(redirected) == 1 and "privé" in redirected[0]
    assert bot.service is not None and bot.service.state is not None
    await wait_until(lambda: bot.service.state.direct_room(alice.user_id) not in (None, chat.room_id), "a new DM")
    direct = bot.service.state.direct_room(alice.user_id)
    assert direct is not None
    await bot.arrived(alice, direct)
    assert "historique" in "\n".join(alice.bot_texts(direct, bot.user_id)).lower(), "the history in private"
    assert not bob.bot_texts(direct, bot.user_id)


async def test_phare_run_serves_matrix(world: World) -> None:
    from bot.runner import run_all

    account = world.synapse.register(_name("phare"))
    alice = await world.person()
    settings = Settings(  # type: ignore[call-arg]
        data_dir=world.directory / _name("run"), database_url=None, operator_contact=OPERATOR,
        matrix_homeserver=world.synapse.url, matrix_user=account.user_id, matrix_password=account.password,
        matrix_allowed_inviters=alice.user_id,
    )  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(run_all(settings, stop=stop))
    try:
        room_id = await alice.dm(account.user_id, encrypted=True)
        await wait_until(lambda: bool(alice.bot_texts(room_id, account.user_id)), "Phare's greeting")
        assert "Bonjour, je suis Phare" in alice.bot_texts(room_id, account.user_id)[0]

        async def say(text: str) -> None:
            seen = len(alice.bot_texts(room_id, account.user_id))
            await alice.send(room_id, text)
            await wait_until(lambda: len(alice.bot_texts(room_id, account.user_id)) > seen, f"an answer to {text!r}")

        # A whole exercise in the encrypted DM through `phare run`: onboarding, then the break by typing.
        for answer in ("1", "1", "ok", "ok", "1", "1", "!break", "2", "ok", "cinq", "ok", "ok", "2", "ok"):
            await say(answer)
        await say("Je fais de mon mieux.")
        await say("4/10")
        await wait_until(
            lambda: any("5/10" in t and "4/10" in t for t in alice.bot_texts(room_id, account.user_id)),
            "the closing before → after",
        )
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 30) == 0


# --- crisis words in a group, and edits ------------------------------------------------------------------------

CRISIS = "je veux mourir"
PERSONAL_OPENING = "Ce que vous écrivez semble très lourd"  # the crisis answer's first words (dialogues/_crisis.yaml)
EDIT_NOTE = "Je ne prends comme réponses que les nouveaux messages"


async def group_with(bot: Bot, creator: Person, *others: Person) -> str:
    """A group room: its creator, the others and Phare, everyone joined."""
    invited = [bot.user_id, *(o.user_id for o in others)]
    created = await creator.client.room_create(name="Intervision", invite=invited)
    assert isinstance(created, RoomCreateResponse)
    room_id = str(created.room_id)
    assert bot.service is not None and bot.service.client is not None
    client = bot.service.client
    await wait_until(lambda: room_id in client.rooms, "Phare to join")
    await wait_until(has_joined(creator, room_id, bot.user_id, *(o.user_id for o in others)), "everyone to join")
    return room_id


def mention(bot: Bot, words: str) -> dict[str, Any]:
    """What Element sends when someone picks Phare in the mention list and writes after its name."""
    name = bot.user_id.partition(":")[0].lstrip("@")
    return {"msgtype": "m.text", "body": f"{name}: {words}", "m.mentions": {"user_ids": [bot.user_id]}}


async def direct_replies(bot: Bot, person: Person) -> tuple[str, list[str]]:
    """The person's direct chat with Phare, once everything Phare sent there has reached them."""
    assert bot.service is not None and bot.service.state is not None
    state = bot.service.state
    await wait_until(lambda: state.direct_room(person.user_id) is not None, "a direct chat")
    direct = state.direct_room(person.user_id)
    assert direct is not None
    await bot.arrived(person, direct)
    return direct, person.bot_texts(direct, bot.user_id)


async def test_crisis_words_mentioning_phare_in_a_group_get_the_lines_in_a_direct_chat_and_nothing_in_the_group(
    world: World,
) -> None:
    bot = await world.bot()
    alice, bob, carol = await world.person("alice"), await world.person("bob"), await world.person("carol")
    room_id = await group_with(bot, alice, bob, carol)
    said = await bob.send_content(room_id, mention(bot, CRISIS))
    await bot.settle(bob, room_id, said)
    direct, private = await direct_replies(bot, bob)
    assert direct != room_id and bob.client.rooms[direct].encrypted
    crisis = [t for t in private if "3114" in t]
    assert len(crisis) == 1 and PERSONAL_OPENING in crisis[0], "the crisis lines, in private, once"
    assert bot.service is not None and bot.service.transport is not None
    assert room_id not in bot.service.transport.last_sent, "Phare posted nothing in the group"
    assert alice.bot_texts(room_id, bot.user_id) == [] and carol.bot_texts(room_id, bot.user_id) == []
    assert not carol.bot_texts(direct, bot.user_id) and carol.user_id not in bob.client.rooms[direct].users


async def test_crisis_words_edited_into_a_group_message_to_phare_get_the_lines_in_private(world: World) -> None:
    bot = await world.bot()
    alice, bob, carol = await world.person("alice"), await world.person("bob"), await world.person("carol")
    room_id = await group_with(bot, alice, bob, carol)
    hello = await bob.send_content(room_id, mention(bot, "bonjour"))
    await bot.settle(bob, room_id, hello)
    # Phare's reply reached Bob; Carol's client syncs on its own clock: wait for it there too.
    await wait_until(lambda: bool(carol.bot_texts(room_id, bot.user_id)), "the group's help at Carol's")
    group = carol.bot_texts(room_id, bot.user_id)
    assert len(group) == 1 and "discret" in group[0], "a mention without a command gets the group's help"
    name = mention(bot, CRISIS)["body"]
    edited = await bob.edit(room_id, hello, name, mentions=[bot.user_id])
    await bot.settle(bob, room_id, edited)
    _, private = await direct_replies(bot, bob)
    assert sum("3114" in t for t in private) == 1 and any(PERSONAL_OPENING in t for t in private)
    assert carol.bot_texts(room_id, bot.user_id) == group, "nothing more in the group"
    calmer = await bob.edit(room_id, hello, mention(bot, "bonsoir")["body"], mentions=[bot.user_id])
    await bot.settle(bob, room_id, calmer)
    assert (await direct_replies(bot, bob))[1] == private, "an ordinary edit gets nothing in private"
    assert carol.bot_texts(room_id, bot.user_id) == group, "nor in the group (it is not a new question for Phare)"


async def test_crisis_check_only_reads_an_edit_in_a_direct_chat_it_never_answers_the_break(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    await chat.onboard()
    asked = await alice.send(chat.room_id, "/break")
    await bot.settle(alice, chat.room_id, asked)
    chat.new()
    assert await bot.step(alice) == "situation"
    first = bot.option_typed(chat.room_id, "patient_stuck")
    edit = await alice.edit(chat.room_id, asked, first)
    await bot.settle(alice, chat.room_id, edit)
    replies = chat.new()
    assert len(replies) == 1 and EDIT_NOTE in replies[0]
    assert await bot.step(alice) == "situation", "the step did not move"
    await chat.say(first)  # sent again as a new message, as the note suggests
    assert await bot.step(alice) == "bring_to_mind", "a new message still answers"


# --- the tests' own waits --------------------------------------------------------------------------------------


async def test_waiting_for_replies_includes_those_committed_but_not_handed_over_yet(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded machine can run a test's "is this message processed?" between the writer's commit and the
    moment it hands the replies to the Dispatcher: the wait must not end before those replies arrive."""
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    chat.new()
    assert bot.phare is not None
    writer = bot.phare.writer
    hand_over = writer._notify

    async def slowly(deliveries: Any) -> None:
        await asyncio.sleep(0.5)  # a busy CPU between the commit and the hand-over, made visible
        await hand_over(deliveries)

    monkeypatch.setattr(writer, "_notify", slowly)
    assert OPERATOR in "\n".join(await chat.say("/about"))


# --- restarts ---------------------------------------------------------------------------------------------


async def test_the_very_first_start_reads_no_history(world: World) -> None:
    """The account was already in a room (and invited to another) before Phare first ran: what was
    written there before is the rooms' history, not messages for Phare."""
    bot = await world.bot(start=False)
    alice = await world.person()
    joined = await alice.dm(bot.user_id, encrypted=False)
    status, _ = world.synapse.request("POST", f"/_matrix/client/v3/join/{joined}", {}, bot.account.access_token)
    assert status == 200
    invited = await alice.dm(bot.user_id, encrypted=True)
    old = [await alice.send(joined, "/about"), await alice.send(invited, "/about")]
    await bot.start()
    assert bot.service is not None
    # The waiting invite is accepted: Phare greets (onboarding) but answers nothing written before.
    await wait_until(lambda: bool(alice.bot_texts(invited, bot.user_id)), "the greeting")
    await bot.service.idle()
    assert [await bot.processed(e) for e in old] == [False, False]
    assert not any(OPERATOR in t for room in (joined, invited) for t in alice.bot_texts(room, bot.user_id))
    new = Chat(bot, alice, joined)
    assert OPERATOR in "\n".join(await new.say("/about"))  # from now on, it listens


async def test_a_restart_answers_nothing_twice_and_loses_nothing(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    about = await chat.say("/about")
    assert sum(OPERATOR in t for t in about) == 1
    assert bot.service is not None and bot.service.client is not None
    device = bot.service.client.device_id
    await bot.stop()
    # Written while Phare is down.
    while_down = [await alice.send(chat.room_id, "/about"), await alice.send(chat.room_id, "/about")]
    await bot.start()
    assert bot.service is not None and bot.service.client is not None
    assert bot.service.client.device_id == device  # same device, same keys: no new session for Alice to trust
    for event_id in while_down:
        await bot.settle(alice, chat.room_id, event_id)
    texts = alice.bot_texts(chat.room_id, bot.user_id)
    # The first /about answered once, the two sent while down once each; the greeting not repeated.
    assert sum(OPERATOR in t for t in texts) == 3
    assert sum(t.startswith("Bonjour, je suis Phare") for t in texts) == 1


async def test_a_signed_out_bot_signs_in_again_on_a_new_cross_signed_device(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    assert bot.service is not None and bot.service.client is not None
    old_device, token = bot.service.client.device_id, bot.service.client.access_token
    await bot.stop()
    status, _ = world.synapse.request("POST", "/_matrix/client/v3/logout", {}, token)  # the device is deleted
    assert status == 200
    await bot.start()
    assert bot.service is not None and bot.service.client is not None and bot.service.cross_signing is not None
    assert bot.service.client.device_id != old_device and bot.service.cross_signing.status == "signed"
    assert OPERATOR in "\n".join(await chat.say("/about"))  # Alice's client reads the new device's messages


async def test_messages_older_than_the_catch_up_window_get_one_offline_notice(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=False)
    chat.new()
    await bot.stop()
    last = ""
    for _ in range(3):
        last = await alice.send(chat.room_id, "/about")
    await asyncio.sleep(1.2)  # not a wait for something to happen: the messages must be over 1 s old
    await bot.start(catchup=timedelta(seconds=1))
    assert bot.service is not None and bot.service.transport is not None
    transport = bot.service.transport
    await wait_until(lambda: chat.room_id in transport.last_sent, "the offline notice")
    notice = transport.last_sent[chat.room_id]
    await wait_until(lambda: any(e.event_id == notice for e in alice.events[chat.room_id]), "the notice to arrive")
    await bot.arrived(alice, chat.room_id)  # and nothing after it
    fresh = chat.new()
    assert len(fresh) == 1 and "hors ligne" in fresh[0]
    assert not await bot.processed(last)


async def test_a_batch_that_could_not_be_stored_is_read_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    chat.new()
    assert bot.phare is not None
    writer = bot.phare.writer
    submit = writer.submit
    failures = [RuntimeError("database unavailable")]

    async def flaky(job: Any) -> None:
        if failures:
            raise failures.pop()
        await submit(job)

    monkeypatch.setattr(writer, "submit", flaky)
    replies = await chat.say("/about")
    assert not failures and sum(OPERATOR in r for r in replies) == 1


async def test_a_limited_sync_is_completed_from_history(world: World) -> None:
    """More messages while down than a sync returns: the rest are read back, none is lost."""
    bot = await world.bot(timeline_limit=2)
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    chat.new()
    await bot.stop()
    sent = [await alice.send(chat.room_id, "/about") for _ in range(5)]
    await bot.start()
    for event_id in sent:
        await bot.settle(alice, chat.room_id, event_id)
    assert sum(OPERATOR in t for t in chat.new()) == 5


async def test_a_network_loss_is_survived_and_nothing_is_lost(world: World, caplog: pytest.LogCaptureFixture) -> None:
    proxy = Proxy(world.synapse.port)
    await proxy.start()
    try:
        bot = await world.bot(homeserver=proxy.url, retry=RetryPolicy(max_delay=0.5))
        alice = await world.person()
        chat = await world.chat(bot, alice, encrypted=True)
        assert OPERATOR in "\n".join(await chat.say("/about"))
        proxy.cut()
        during = [await alice.send(chat.room_id, "/about") for _ in range(2)]
        await wait_until(lambda: "Matrix: sync failed" in caplog.text, "Phare's sync to fail (it backs off)")
        proxy.restore()
        for event_id in during:
            await bot.settle(alice, chat.room_id, event_id)
        assert sum(OPERATOR in t for t in chat.new()) == 2
    finally:
        await proxy.stop()


# --- files, encryption, identity ----------------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True], ids=["clear", "e2ee"])
async def test_export_arrives_as_files(world: World, encrypted: bool) -> None:
    bot = await world.bot()
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=encrypted)
    await chat.onboard()
    await chat.say("/export")
    files = [m for m in alice.bot_messages(chat.room_id, bot.user_id) if m.get("msgtype") == "m.file"]
    assert [f["body"].rsplit(".", 1)[1] for f in files] == ["json", "csv"]
    exported = files[0]
    if encrypted:
        # The media repository only holds ciphertext; the key travelled inside the encrypted event.
        assert "url" not in exported and {"url", "key", "iv", "hashes"} <= set(exported["file"])
        download = await alice.client.download(exported["file"]["url"])
        assert isinstance(download, DownloadResponse)
        assert b"matrix" not in download.body  # ciphertext: not even the platform name is readable
        data = decrypt_attachment(download.body, exported["file"]["key"]["k"],
                                  exported["file"]["hashes"]["sha256"], exported["file"]["iv"])  # fmt: skip
    else:
        assert "file" not in exported
        download = await alice.client.download(exported["url"])
        assert isinstance(download, DownloadResponse)
        data = download.body
        assert any("pas chiffrée" in t for t in alice.bot_texts(chat.room_id, bot.user_id))
    assert json.loads(data)["user"]["platform"] == "matrix"


def _canonical(value: dict[str, Any]) -> bytes:
    stripped = {k: v for k, v in value.items() if k not in ("signatures", "unsigned")}
    return json.dumps(stripped, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _signed_by(value: dict[str, Any], user_id: str, public: str) -> bool:
    """An independent check of an ed25519 signature over canonical JSON (not Phare's own code)."""
    signature = value["signatures"][user_id][f"ed25519:{public}"]
    unpad = lambda text: base64.b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    try:
        Ed25519PublicKey.from_public_bytes(unpad(public)).verify(unpad(signature), _canonical(value))
    except Exception:  # noqa: BLE001
        return False
    return True


async def test_the_bot_device_is_cross_signed_by_its_account(world: World) -> None:
    bot = await world.bot()
    alice = await world.person()
    assert bot.service is not None and bot.service.client is not None
    device = bot.service.client.device_id

    def chain() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        status, keys = world.synapse.request(
            "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bot.user_id: []}}, alice.account.access_token
        )
        assert status == 200
        return (keys["master_keys"][bot.user_id], keys["self_signing_keys"][bot.user_id],
                keys["device_keys"][bot.user_id][device])  # fmt: skip

    master, ssk, device_keys = chain()
    master_public = next(iter(master["keys"].values()))
    ssk_public = next(iter(ssk["keys"].values()))
    assert master["usage"] == ["master"] and ssk["usage"] == ["self_signing"]
    assert _signed_by(ssk, bot.user_id, master_public)
    assert _signed_by(device_keys, bot.user_id, ssk_public)
    # Tampering breaks it: the check above is a real verification.
    assert not _signed_by({**device_keys, "device_id": "FORGED"}, bot.user_id, ssk_public)
    # A restart keeps the identity and the device's signature.
    await bot.stop()
    await bot.start()
    assert bot.service is not None and bot.service.cross_signing is not None
    assert bot.service.cross_signing.status == "already"
    assert chain()[0] == master


async def cross_sign(world: World, person: Any) -> tuple[Any, Callable[[str], Awaitable[Any]]]:
    """The person sets up cross-signing from their first session, as Element does; and a way to sign another of
    their sessions with the same keys (what Element does after the emoji check)."""

    async def as_person(method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return world.synapse.request(method, path, body, person.account.access_token)

    secrets = SecretFile(world.directory / "alice-cross-signing.json", Cipher([generate_key()]))

    def sign(device_id: str) -> Awaitable[Any]:
        return bootstrap(as_person, person.user_id, device_id, secrets, password=person.account.password)

    signed = await sign(person.account.device_id)
    assert signed.status == "signed"
    return signed, sign


async def test_an_unsigned_session_of_a_cross_signing_person_gets_no_keys(world: World) -> None:
    """Trust on first use, with cross-signing respected: Alice cross-signs her phone; a second session
    she never verified (someone else's, perhaps) cannot read what Phare writes to her."""
    bot = await world.bot()
    alice = await world.person()
    await cross_sign(world, alice)
    stranger = await alice.another_device(world.synapse, world.directory / "people")
    world.people.append(stranger)
    chat = await world.chat(bot, alice, encrypted=True)
    assert bot.service is not None and bot.service.client is not None
    client = bot.service.client
    await wait_until(lambda: stranger.account.device_id in client.device_store[alice.user_id], "Phare to see it")
    chat.new()
    await chat.say("/about")
    reply = next(e for e in reversed(alice.from_bot(chat.room_id, bot.user_id)) if e.source["type"] == "m.room.message")
    assert OPERATOR in reply.source["content"]["body"]  # her verified phone reads it
    await wait_until(lambda: any(e.event_id == reply.event_id for e in stranger.events.get(chat.room_id, [])), "sync")
    seen = next(e for e in stranger.events[chat.room_id] if e.event_id == reply.event_id)
    assert isinstance(seen, MegolmEvent)  # the unverified session only has ciphertext
    assert client.device_store[alice.user_id][stranger.account.device_id].blacklisted


async def test_a_session_verified_after_phare_saw_it_reads_the_next_reply_without_a_restart(world: World) -> None:
    """Element's usual flow: sign in on a new phone, then verify it. Phare first sees the phone unverified
    (no keys for it); once Alice cross-signs it, Phare's next reply is readable there, Phare still running."""
    bot = await world.bot()
    alice = await world.person()
    signed, sign = await cross_sign(world, alice)
    chat = await world.chat(bot, alice, encrypted=True)
    phone = await alice.another_device(world.synapse, world.directory / "people")
    world.people.append(phone)
    assert bot.service is not None and bot.service.client is not None
    client = bot.service.client
    await wait_until(lambda: phone.account.device_id in client.device_store[alice.user_id], "Phare to see the phone")

    async def reply_on_phone() -> Event:
        await chat.say("/about")
        mine = alice.from_bot(chat.room_id, bot.user_id)
        sent = next(e for e in reversed(mine) if e.source["type"] == "m.room.message")
        await wait_until(lambda: any(e.event_id == sent.event_id for e in phone.events.get(chat.room_id, [])), "sync")
        return next(e for e in phone.events[chat.room_id] if e.event_id == sent.event_id)

    assert isinstance(await reply_on_phone(), MegolmEvent), "not verified yet: the phone gets no key"
    assert client.device_store[alice.user_id][phone.account.device_id].blacklisted
    # Alice verifies her phone: her self-signing key signs its keys (what Element does after the emoji check).
    verified = await sign(phone.account.device_id)
    assert verified.status == "signed" and verified.master_key == signed.master_key
    seen = await reply_on_phone()
    assert not isinstance(seen, MegolmEvent), "the verified phone reads Phare's next reply"
    assert OPERATOR in seen.source["content"]["body"]
    assert not client.device_store[alice.user_id][phone.account.device_id].blacklisted


async def test_a_message_phare_cannot_decrypt_gets_a_notice(world: World) -> None:
    bot = await world.bot(undecryptable_grace=0.3)
    alice = await world.person()
    chat = await world.chat(bot, alice, encrypted=True)
    chat.new()
    # Alice's client withholds the room key from Phare's device: Phare receives a message it cannot read.
    assert bot.service is not None and bot.service.client is not None
    bot_device = alice.client.device_store[bot.user_id][bot.service.client.device_id]
    alice.client.blacklist_device(bot_device)
    alice.client.olm.outbound_group_sessions.pop(chat.room_id, None)
    unreadable = [await alice.send(chat.room_id, text) for text in ("Est-ce que tu lis ceci ?", "Et ceci ?")]
    await wait_until(lambda: any("pas pu lire" in t for t in alice.bot_texts(chat.room_id, bot.user_id)), "the notice")
    state = bot.service.state
    assert state is not None
    await wait_until(lambda: not state.held(), "Phare to give up waiting for the key")
    await bot.arrived(alice, chat.room_id)
    # One notice for the two messages (one lost key), and neither was taken as an answer.
    assert sum("pas pu lire" in t for t in chat.new()) == 1
    assert [await bot.processed(e) for e in unreadable] == [False, False]


async def test_with_every_logger_at_debug_no_words_and_no_token_are_logged(world: World) -> None:
    words = ["Zéphyrine", "Quetzalcoatl"]
    lines: list[str] = []

    class Everything(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Everything(logging.DEBUG)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        bot = await world.bot()
        alice = await world.person()
        for encrypted in (False, True):
            chat = await world.chat(bot, alice, encrypted=encrypted)
            await chat.say(f"{words[0]} m'a parlé de {words[1]}")
            await chat.say("/about")
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    log = "\n".join(lines)
    assert len(lines) > 50, "the loggers really were capturing"
    for word in words:
        assert word not in log, f"{word!r} reached a log"
    assert bot.service is None or bot.service.client is None or bot.service.client.access_token not in log
    assert bot.account.password not in log and bot.account.access_token[:20] not in log
