"""One driver interface over Phare's three transports, so that a scenario is written once and run on each.

- `ConsoleDriver`: `run_console` in this process, its standard input a pipe the test types into and its
  standard output a screen the test reads, as with `printf … | phare console`.
- `TelegramDriver`: python-telegram-bot's real HTTP stack against the Bot API double (tests/telegram_double.py),
  started, stopped and restarted with the helpers of tests/test_telegram.py.
- `MatrixDriver`: matrix-nio with end-to-end encryption against a real Synapse, with the World, Person, Bot
  and Chat of tests/test_matrix.py.

A person's handle gives what that person would notice: the texts Phare sent back (waited for by condition,
never by a fixed sleep) and the files they received; `step()` reads the writer's storage, for the scenario's
own checks. Every wait gives up with an AssertionError after `TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import queue
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TextIO, cast
from urllib.parse import parse_qs, urlparse

import pytest
from nio import DownloadResponse
from nio.crypto import decrypt_attachment

from bot.app import Phare, build
from bot.config import Settings
from bot.messages import Delivery
from bot.transports.console import run_console
from dialogues.state import RunState
from tests.matrix_server import Synapse
from tests.telegram_double import BOT_USERNAME, TOKEN, BotApiDouble, Sent, TgGroup
from tests.test_matrix import OPERATOR as MATRIX_OPERATOR
from tests.test_matrix import Bot, Chat, World, group_with
from tests.test_matrix import Person as MatrixClient
from tests.test_telegram import Env, Phone, make_settings, start_phare

TIMEOUT = 60.0  # generous: waits end when their condition holds; a loaded machine may be several times slower
CONSOLE_OPERATOR = "Dr Console (console@example.org)"
_FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")


# --- the interface ---------------------------------------------------------------------------------------


class Person(Protocol):
    """One person talking to Phare in private, on one platform."""

    greeting: list[str]  # what Phare said first, when the chat opened

    async def say(self, text: str) -> list[str]:
        """Send a text; the texts Phare sent back to this person's private chat, once all have arrived."""
        ...

    async def burst(self, texts: Sequence[str]) -> list[str]:
        """Send several texts without waiting for the replies in between; then every reply, in order."""
        ...

    async def choose(self, option_id: str) -> list[str]:
        """Pick a shown option the platform's way (tap the button, type its number); on a 0–10 scale, the
        number itself."""
        ...

    async def heard(self) -> list[str]:
        """What arrived in private since the last look (after something done elsewhere: a group, a restart)."""
        ...

    async def step(self) -> str | None:
        """The current dialogue step, from the writer's storage (None outside an exercise)."""
        ...

    async def files(self) -> dict[str, bytes]:
        """The files this person received, by name, with the bytes they can open."""
        ...


class Group(Protocol):
    """A group chat with Phare in it: the person's colleagues read everything posted there."""

    async def ask(self, person: Any, command: str) -> list[str]:
        """A command addressed to Phare the platform's way (`/help@bot`, `!phare help`); what Phare posted
        in the group in answer."""
        ...

    async def address(self, person: Any, words: str) -> list[str]:
        """Free words addressed to Phare (a reply to its message, `!phare …`); what Phare posted in the group."""
        ...

    async def follow(self, person: Any) -> list[str]:
        """Do what Phare's pointer to a private chat says; what then arrives in private."""
        ...

    def texts(self) -> list[str]:
        """Everything Phare posted in the group, as the others there see it."""
        ...


class Driver(Protocol):
    name: str
    operator: str  # the contact /about shows
    unsupported: dict[str, str]  # feature ("groups", "rate limits") → why this platform has none

    async def open(self) -> None: ...

    async def close(self) -> None:
        """Stop Phare and everything the driver started; safe to call twice, or before open()."""
        ...

    async def person(self, locale: str | None = "fr") -> Person:
        """Someone opens a private chat with Phare; returns once Phare's greeting has arrived."""
        ...

    async def restart(self) -> None:
        """Stop Phare and start it again on the same data directory."""
        ...

    async def group(self, *members: Any) -> Group:
        """A group with these people (and a colleague who only reads) and Phare."""
        ...

    async def storm(self) -> None:
        """From now on the platform pushes back (429 with a delay to respect)."""
        ...

    def pushed_back(self) -> int:
        """How many times the platform answered 429 so far."""
        ...

    @property
    def secrets(self) -> list[str]:
        """Tokens and passwords of this run that must never reach a log (read before close())."""
        ...

    @property
    def logs(self) -> str:
        """Every log record captured so far (caplog: the fixture's setup and the test's call)."""
        ...


def needs(driver: Driver, feature: str) -> None:
    reason = driver.unsupported.get(feature)
    if reason:
        pytest.skip(f"{driver.name}: {reason}")


# --- shared pieces ---------------------------------------------------------------------------------------


class _Base:
    name = "?"
    unsupported: ClassVar[dict[str, str]] = {}

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    @property
    def logs(self) -> str:
        records = [record for when in ("setup", "call") for record in self._caplog.get_records(when)]
        return "\n".join(_FORMAT.format(record) for record in records)

    async def group(self, *members: Any) -> Group:
        needs(cast(Driver, self), "groups")
        raise NotImplementedError

    async def storm(self) -> None:
        needs(cast(Driver, self), "rate limits")
        raise NotImplementedError

    def pushed_back(self) -> int:
        return 0


async def stored_step(phare: Phare, platform: str, key: str) -> str | None:
    async with phare.db.begin() as conn:
        users = await phare.writer.repo.users_by_key(conn, [(platform, key)])
        user = users.get((platform, key))
        if user is None:
            return None
        runs = await phare.writer.repo.current_runs(conn, [user.id])
    run = runs.get(user.id)
    return None if run is None else RunState.from_dict(run.state["engine"]).top.step_id


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = TIMEOUT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# --- the console -------------------------------------------------------------------------------------------


class _Keyboard:
    """Standard input as a pipe: lines the test types. Each time Phare reads a line it has finished with
    the previous one (run_console sends, commits and prints every reply before reading again), so a read
    is the console's "done" signal."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._loop = loop
        self.reads = 0
        self.changed = asyncio.Event()

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:  # called in an executor thread
        self._loop.call_soon_threadsafe(self._reading)
        return self._lines.get()

    def _reading(self) -> None:
        self.reads += 1
        self.changed.set()

    def type(self, line: str) -> None:
        self._lines.put(line + "\n")

    def end(self) -> None:
        self._lines.put("")  # end of input: Phare exits cleanly


class _Screen:
    """Standard output: each reply is printed in one write ending with a blank line; the echo of a piped
    line ("> …") is not a reply."""

    def __init__(self) -> None:
        self.replies: list[str] = []

    def write(self, text: str) -> int:
        if text.endswith("\n\n"):
            self.replies.append(text[:-2])
        return len(text)

    def flush(self) -> None:
        pass


_NUMBERED = re.compile(r"^  (\d+)\. (.+)$", re.MULTILINE)
_SCALE = re.compile(r"^  \((\d+)–(\d+)\)$", re.MULTILINE)


class ConsoleDriver(_Base):
    name = "console"
    operator = CONSOLE_OPERATOR
    unsupported: ClassVar[dict[str, str]] = {
        "groups": "one person at a terminal: the console has no groups",
        "rate limits": "a terminal never pushes back: the console has no rate limit to storm",
    }

    def __init__(self, directory: Path, caplog: pytest.LogCaptureFixture) -> None:
        super().__init__(caplog)
        self.data_dir = directory / "console"
        self.settings = Settings(  # type: ignore[call-arg]
            data_dir=self.data_dir, operator_contact=CONSOLE_OPERATOR, database_url=None
        )
        self.phare: Phare | None = None
        self.screen = _Screen()
        self.keyboard: _Keyboard | None = None
        self._run: asyncio.Task[None] | None = None
        self._locale: str | None = None
        self._labels: dict[str, str] = {}  # option id → its label, as last shown
        self._person: ConsolePerson | None = None

    async def open(self) -> None:
        self.phare = await build(self.settings)
        self.phare.writer.on_commit(self._shown)

    def _shown(self, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            for button in delivery.message.buttons:
                self._labels[button.id] = button.label

    async def person(self, locale: str | None = "fr") -> ConsolePerson:
        assert self._person is None, "the console has one person, at its terminal"
        self._locale = locale
        await self._start()
        self._person = ConsolePerson(self)
        self._person.greeting = await self._person.heard()
        return self._person

    async def _start(self) -> None:
        """`phare console --lang LOCALE`: it sends /start first, as the command does."""
        assert self.phare is not None
        self.keyboard = _Keyboard(asyncio.get_running_loop())
        self._run = asyncio.create_task(
            run_console(self.phare.writer, stdin=cast(TextIO, self.keyboard), stdout=cast(TextIO, self.screen),
                        export_dir=self.data_dir / "exports", locale=self._locale)
        )  # fmt: skip
        await self._idle(0)

    async def _idle(self, reads: int) -> None:
        """Wait until Phare asks for the line after the `reads`-th: all its replies are on the screen."""
        assert self.keyboard is not None and self._run is not None
        keyboard, run = self.keyboard, self._run
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            keyboard.changed.clear()
            if keyboard.reads > reads:
                return
            if run.done():
                run.result()  # its exception, if it failed
                raise AssertionError("the console stopped before reading the next line")
            if loop.time() > deadline:
                raise AssertionError("the console did not answer in time")
            waiter = asyncio.ensure_future(keyboard.changed.wait())
            await asyncio.wait({waiter, run}, timeout=deadline - loop.time(), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    async def type(self, *lines: str) -> None:
        assert self.keyboard is not None
        reads = self.keyboard.reads
        for line in lines:
            self.keyboard.type(line)
        await self._idle(reads + len(lines) - 1)

    def typed_for(self, option_id: str) -> str:
        """What the person types: the number printed beside the option's label, or on a 0–10 scale the
        number itself."""
        for reply in reversed(self.screen.replies):
            numbered = {label: number for number, label in _NUMBERED.findall(reply)}
            if numbered:
                label = self._labels.get(option_id)
                if label in numbered:
                    return numbered[label]
                raise AssertionError(f"no option {option_id!r} on the screen; the last choices: {list(numbered)}")
            if _SCALE.search(reply):
                if option_id.isdigit():
                    return option_id
                raise AssertionError(f"{option_id!r} asked for, but the screen shows a scale")
        raise AssertionError("no choice on the screen")

    async def _stop(self) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        assert self.keyboard is not None
        self.keyboard.end()
        await asyncio.wait_for(run, TIMEOUT)

    async def restart(self) -> None:
        """End of input (Phare exits), then `phare console` again on the same data directory."""
        assert self.phare is not None
        await self._stop()
        await self.phare.close()
        self.phare = None
        await self.open()
        if self._person is not None:
            await self._start()

    async def close(self) -> None:
        try:
            await self._stop()
        finally:
            phare, self.phare = self.phare, None
            if phare is not None:
                await phare.close()

    @property
    def secrets(self) -> list[str]:
        return []


@dataclass
class ConsolePerson:
    driver: ConsoleDriver
    seen: int = 0
    greeting: list[str] = field(default_factory=list)

    def _fresh(self) -> list[str]:
        replies = self.driver.screen.replies
        fresh, self.seen = replies[self.seen :], len(replies)
        return fresh

    async def say(self, text: str) -> list[str]:
        await self.driver.type(text)
        return self._fresh()

    async def burst(self, texts: Sequence[str]) -> list[str]:
        await self.driver.type(*texts)  # all in the pipe at once
        return self._fresh()

    async def choose(self, option_id: str) -> list[str]:
        return await self.say(self.driver.typed_for(option_id))

    async def heard(self) -> list[str]:
        return self._fresh()

    async def step(self) -> str | None:
        assert self.driver.phare is not None
        return await stored_step(self.driver.phare, "console", "local")

    async def files(self) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for reply in self.driver.screen.replies:
            for line in reply.splitlines():
                if line.startswith("[file] "):
                    path = Path(line.removeprefix("[file] "))
                    found[path.name] = path.read_bytes()
        return found


# --- Telegram ----------------------------------------------------------------------------------------------


def _plain(messages: Sequence[Sent]) -> list[str]:
    """What the Telegram app shows of Phare's HTML: the text (or a file's caption), without the tags."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m.text or m.caption or "")) for m in messages]


class TelegramDriver(_Base):
    name = "telegram"
    unsupported: ClassVar[dict[str, str]] = {}

    def __init__(self, directory: Path, caplog: pytest.LogCaptureFixture) -> None:
        super().__init__(caplog)
        self.data_dir = directory / "telegram"
        self.double = BotApiDouble()
        self.env: Env | None = None
        self.operator = ""
        self._groups = itertools.count(100_001)
        self._started = False

    async def open(self) -> None:
        await self.double.start()
        self._started = True
        settings = make_settings(self.double, self.data_dir)
        self.operator = settings.operator_contact
        phare, service = await start_phare(settings)
        self.env = Env(self.double, self.data_dir, phare, service, settings)

    async def close(self) -> None:
        env, self.env = self.env, None
        try:
            if env is not None:
                await env.stop()
        finally:
            if self._started:
                self._started = False
                await self.double.close()

    async def person(self, locale: str | None = "fr") -> TelegramPerson:
        """They find Phare and press Start: the app sends /start."""
        assert self.env is not None
        phone = self.env.phone(locale)
        return TelegramPerson(self, phone, greeting=_plain(await phone.say("/start")))

    async def restart(self) -> None:
        assert self.env is not None
        await self.env.restart()

    async def group(self, *members: Any) -> TelegramGroup:
        return TelegramGroup(self, TgGroup(-next(self._groups)))

    async def storm(self) -> None:
        self.double.fail("sendMessage", 429, retry_after=1, times=2)

    def pushed_back(self) -> int:
        return sum(call.status == 429 for call in self.double.calls)

    @property
    def secrets(self) -> list[str]:
        return [TOKEN, TOKEN.split(":", 1)[1]]


@dataclass
class TelegramPerson:
    driver: TelegramDriver
    phone: Phone
    greeting: list[str] = field(default_factory=list)

    @property
    def env(self) -> Env:
        assert self.driver.env is not None
        return self.driver.env

    async def say(self, text: str) -> list[str]:
        return _plain(await self.phone.say(text))

    async def burst(self, texts: Sequence[str]) -> list[str]:
        updates = [self.driver.double.text(self.phone.user, text) for text in texts]  # one getUpdates batch
        return _plain(await self.phone._after(updates[-1]))

    async def choose(self, option_id: str) -> list[str]:
        return _plain(await self.phone.tap(option_id))

    async def heard(self) -> list[str]:
        await self.env.service.idle()
        return _plain(self.phone.new())

    async def step(self) -> str | None:
        return await self.env.step(self.phone)

    async def files(self) -> dict[str, bytes]:
        return {m.file_name or "": m.file_data or b"" for m in self.phone.messages if m.method == "sendDocument"}


@dataclass
class TelegramGroup:
    driver: TelegramDriver
    chat: TgGroup
    seen: int = 0

    def _posted(self) -> list[Sent]:
        return self.driver.double.chat(self.chat.id)

    def texts(self) -> list[str]:
        return _plain(self._posted())

    def _fresh(self) -> list[str]:
        posted = self._posted()
        fresh, self.seen = posted[self.seen :], len(posted)
        return _plain(fresh)

    async def _settle(self, update: int) -> list[str]:
        assert self.driver.env is not None
        await self.driver.env.settle(update)
        return self._fresh()

    async def ask(self, person: TelegramPerson, command: str) -> list[str]:
        """Privacy mode: in a group Phare sees the commands addressed to it."""
        return await self._settle(self.driver.double.text(person.phone.user, f"/{command}@{BOT_USERNAME}",
                                                          group=self.chat))  # fmt: skip

    async def address(self, person: TelegramPerson, words: str) -> list[str]:
        """Privacy mode: in a group Phare sees the replies to its own messages."""
        posted = self._posted()
        assert posted, "in a Telegram group Phare hears replies to its own messages: ask it something first"
        return await self._settle(self.driver.double.text(person.phone.user, words, group=self.chat,
                                                          reply_to=posted[-1]))  # fmt: skip

    async def follow(self, person: TelegramPerson) -> list[str]:
        """Tap the pointer's link: Telegram opens the private chat and sends /start with the link's payload."""
        links = [b["url"] for m in reversed(self._posted()) for b in m.buttons if "url" in b]
        assert links, "no link to a private chat in the group"
        url = urlparse(links[0])
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"https://t.me/{BOT_USERNAME}", links[0]
        payload = parse_qs(url.query).get("start", [""])[0]
        return await person.say(f"/start {payload}".strip())


# --- Matrix ------------------------------------------------------------------------------------------------


class MatrixDriver(_Base):
    name = "matrix"
    operator = MATRIX_OPERATOR
    unsupported: ClassVar[dict[str, str]] = {}

    def __init__(self, synapse: Synapse, directory: Path, caplog: pytest.LogCaptureFixture) -> None:
        super().__init__(caplog)
        self.synapse = synapse
        self.world = World(synapse, directory)
        self._bot: Bot | None = None
        self._tokens: set[str] = set()
        self._closed = False

    @property
    def bot(self) -> Bot:
        assert self._bot is not None
        return self._bot

    async def open(self) -> None:
        self._bot = await self.world.bot()
        self._remember_token()

    def _remember_token(self) -> None:
        service = self.bot.service
        assert service is not None and service.client is not None
        self._tokens.add(service.client.access_token)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.world.close()

    async def arrived(self, client: MatrixClient, room_id: str) -> None:
        """Every reply committed so far is sent, and this client has received the last one in the room."""
        await self.bot.arrived(client, room_id)

    async def person(self, locale: str | None = "fr") -> MatrixPerson:
        """They invite Phare to an encrypted direct chat; Phare joins and speaks first. (Matrix clients do
        not tell Phare a language: `locale` is left to the onboarding's question.)"""
        client = await self.world.person()
        chat = await self.world.chat(self.bot, client, encrypted=True)
        await self.arrived(client, chat.room_id)
        return MatrixPerson(self, chat, greeting=chat.new())

    async def restart(self) -> None:
        await self.bot.stop()
        await self.bot.start()
        self._remember_token()

    async def group(self, *members: Any) -> MatrixGroup:
        people = [cast(MatrixPerson, m).chat.person for m in members]
        colleague = await self.world.person("colleague")  # reads the group, never asks Phare anything
        room_id = await group_with(self.bot, people[0], *people[1:], colleague)
        return MatrixGroup(self, room_id, colleague)

    async def storm(self) -> None:
        """Synapse's own rate limiter, tightened for Phare's account (the test server lifts every limit).

        One message a second with no burst: two of the burst's replies less than a second apart are pushed
        back, which holds on a loaded machine too. (At 5 a second after a burst of 2, replies 0.2 s or more
        apart, as when the CPU is busy, were never refused.) The admin API takes whole numbers only."""
        admin = self.synapse.register(f"admin-{uuid.uuid4().hex[:8]}", admin=True)
        status, _ = self.synapse.request(
            "POST", f"/_synapse/admin/v1/users/{self.bot.user_id}/override_ratelimit",
            {"messages_per_second": 1, "burst_count": 1}, admin.access_token,
        )  # fmt: skip
        assert status == 200

    def pushed_back(self) -> int:
        """The Dispatcher logs each 429 it waits out (at INFO)."""
        return self.logs.count("rate limited")

    @property
    def secrets(self) -> list[str]:
        return [self.bot.account.password, self.bot.account.access_token, *self._tokens]


@dataclass
class MatrixPerson:
    driver: MatrixDriver
    chat: Chat
    greeting: list[str] = field(default_factory=list)

    @property
    def room_id(self) -> str:
        return self.chat.room_id

    async def say(self, text: str) -> list[str]:
        return await self.chat.say(text)

    async def burst(self, texts: Sequence[str]) -> list[str]:
        sent = [await self.chat.person.send(self.room_id, text) for text in texts]
        for event_id in sent:
            await self.driver.bot.settle(self.chat.person, self.room_id, event_id)
        return self.chat.new()

    async def choose(self, option_id: str) -> list[str]:
        """Type the option's number (or its label when it is the only one); a 0–10 scale by its number."""
        shown = self.driver.bot.shown_options(self.room_id)
        if option_id in shown:
            return await self.chat.choose(option_id)
        if option_id.isdigit() and not shown:
            return await self.say(option_id)
        raise AssertionError(f"no option {option_id!r}; shown: {shown}")

    async def heard(self) -> list[str]:
        await self.driver.arrived(self.chat.person, self.room_id)
        return self.chat.new()

    async def step(self) -> str | None:
        return await self.driver.bot.step(self.chat.person)

    async def files(self) -> dict[str, bytes]:
        client = self.chat.person.client
        found: dict[str, bytes] = {}
        for message in self.chat.person.bot_messages(self.room_id, self.driver.bot.user_id):
            if message.get("msgtype") != "m.file":
                continue
            encrypted = message.get("file")
            download = await client.download(encrypted["url"] if encrypted else message["url"])
            assert isinstance(download, DownloadResponse), download
            data = download.body
            if encrypted:
                data = decrypt_attachment(data, encrypted["key"]["k"], encrypted["hashes"]["sha256"], encrypted["iv"])
            found[str(message["body"])] = data
        return found


@dataclass
class MatrixGroup:
    driver: MatrixDriver
    room_id: str
    colleague: MatrixClient
    seen: int = 0
    last_event: str = ""

    def texts(self) -> list[str]:
        return self.colleague.bot_texts(self.room_id, self.driver.bot.user_id)

    async def _post(self, person: MatrixPerson, text: str) -> list[str]:
        sender = person.chat.person
        self.last_event = await sender.send(self.room_id, text)
        await self.driver.bot.settle(sender, self.room_id, self.last_event)
        await self.driver.arrived(self.colleague, self.room_id)
        texts = self.texts()
        fresh, self.seen = texts[self.seen :], len(texts)
        return fresh

    async def ask(self, person: MatrixPerson, command: str) -> list[str]:
        return await self._post(person, f"{self.driver.bot.options.prefix} {command}")

    async def address(self, person: MatrixPerson, words: str) -> list[str]:
        return await self._post(person, f"{self.driver.bot.options.prefix} {words}")

    async def follow(self, person: MatrixPerson) -> list[str]:
        """Phare opens the direct chat itself and carries the command there: wait until it has."""
        carried = f"{self.last_event}/private"
        await eventually(lambda: self.driver.bot.processed(carried), "the command carried to the direct chat")
        return await person.heard()
