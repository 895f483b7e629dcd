"""Supervision groups on Matrix, end to end: a real Synapse, Phare's Matrix service with the real writer and the
check-in scheduler on a clock the tests move, and three people (an admin who created the room, Alice and Bob) on
their own matrix-nio clients with E2EE. Every assertion is about what someone's client received.

The same behaviour without a platform is in tests/test_supervision_core.py. One Phare and three onboarded people
are shared by the module (each test opens its own group room); the clock starts every test on Monday 30 November
2026, 09:00 UTC (10:00 in Paris), the day before a Tuesday 18:30 session.

With PHARE_TRANSCRIPT_OUT set, test_supervision_whole_session_transcript writes what everyone saw, in order, to
that path.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from nio import RoomCreateResponse, RoomGetStateEventResponse, RoomPutStateResponse

from bot.app import build, make_cipher
from bot.config import Settings
from bot.scheduler import CheckinScheduler
from bot.transports.matrix import MatrixService
from tests.harness import FakeClock
from tests.matrix_server import Synapse
from tests.test_matrix import (
    ENCRYPTION,
    OPERATOR,
    Bot,
    Chat,
    Person,
    World,
    _fast_directory,
    has_joined,
    synapse,
    wait_until,
)

__all__ = ["synapse"]  # the session's homeserver, shared with test_matrix.py

pytestmark = pytest.mark.asyncio(loop_scope="module")

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ROOM_NAME = "Intervision Lyon"
NEXT_SESSION = "mardi 1er décembre à 18h30"
_ROOMS = itertools.count(1)  # each test's room has its own name: people belong to several groups


def spaced(text: str) -> str:
    """French typography's narrow and no-break spaces (before ":", "?", "»") as plain spaces, for the asserts."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@dataclass
class Member:
    role: str  # "admin", "alice", "bob": how the transcript names them
    person: Person
    dm: Chat  # their direct chat with Phare

    @property
    def user_id(self) -> str:
        return self.person.user_id


@dataclass
class Cast:
    """Phare (on a fake clock) and three people, each onboarded in a direct chat with it."""

    world: World
    bot: Bot
    clock: FakeClock
    admin: Member
    alice: Member
    bob: Member

    @property
    def members(self) -> tuple[Member, Member, Member]:
        return self.admin, self.alice, self.bob


async def start_on(bot: Bot, clock: FakeClock) -> None:
    """Bot.start, with the writer on `clock` (the scheduler reads the writer's clock too)."""
    settings = Settings(data_dir=bot.data_dir, operator_contact=OPERATOR, database_url=None)  # type: ignore[call-arg]
    bot.phare = await build(settings, clock=clock)
    bot.service = MatrixService(bot.phare.writer, bot.options, bot.data_dir, make_cipher(settings, bot.phare.db))
    await bot.service.start()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cast(synapse: Synapse, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cast]:
    directory = _fast_directory(tmp_path_factory)
    world = World(synapse, directory)
    clock = FakeClock(MONDAY)
    try:
        bot = await world.bot(start=False)
        await start_on(bot, clock)
        people = [await world.person(role) for role in ("admin", "alice", "bob")]
        chats = [await world.chat(bot, person, encrypted=True) for person in people]
        await asyncio.gather(*(chat.onboard() for chat in chats))
        members = [Member(role, p, c) for role, p, c in zip(("admin", "alice", "bob"), people, chats, strict=True)]
        yield Cast(world, bot, clock, *members)
    finally:
        await world.close()
        if str(directory).startswith("/dev/shm/"):
            shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Scene:
    """One test's group room, and everything Phare posted in it and in the three direct chats since the test
    began, in order, as a transcript (people named by their role, rooms by what they are)."""

    cast: Cast
    name: str = ROOM_NAME  # the room's name: the group's title in private
    room: str = ""
    session_open: bool = False
    gone: set[str] = field(default_factory=set)  # roles who left the room
    lines: list[str] = field(default_factory=list)
    seen: dict[tuple[str, str], int] = field(default_factory=dict)  # (observer, room) → Phare's messages read
    scheduler: CheckinScheduler | None = None

    @property
    def bot(self) -> Bot:
        return self.cast.bot

    @property
    def clock(self) -> FakeClock:
        return self.cast.clock

    def begin(self) -> None:
        for member in self.cast.members:
            self.new(member, member.dm.room_id)

    # --- the group room -------------------------------------------------------------------------------------

    async def open_room(self, *others: Member, encrypted: bool = True) -> str:
        """The admin creates the room with Phare in it, then invites the others (who join)."""
        admin = self.cast.admin.person
        created = await admin.client.room_create(
            name=self.name, invite=[self.bot.user_id], initial_state=[ENCRYPTION] if encrypted else []
        )
        assert isinstance(created, RoomCreateResponse), created
        self.room = str(created.room_id)
        await wait_until(has_joined(admin, self.room, self.bot.user_id), "Phare to join the group")
        await self.join(*others)
        return self.room

    async def join(self, *others: Member) -> None:
        admin = self.cast.admin.person
        for member in others:
            await admin.client.room_invite(self.room, member.user_id)
        await wait_until(has_joined(admin, self.room, *(m.user_id for m in others)), "everyone to join")
        for member in others:
            await wait_until(has_joined(member.person, self.room, self.bot.user_id), f"{member.role} to be in")
            self.lines.append(f"({member.role} joins the room)")
        await self.settle()

    async def leave(self, member: Member) -> None:
        await member.person.client.room_leave(self.room)
        self.gone.add(member.role)
        self.lines.append(f"({member.role} leaves the room)")
        assert self.bot.service is not None and self.bot.service.client is not None
        client = self.bot.service.client
        await wait_until(lambda: member.user_id not in client.rooms[self.room].users, "Phare to see them leave")
        await self.settle()

    async def promote(self, member: Member, level: int = 50) -> None:
        admin = self.cast.admin.person
        levels = await admin.client.room_get_state_event(self.room, "m.room.power_levels")
        assert isinstance(levels, RoomGetStateEventResponse), levels
        content = dict(levels.content)
        content["users"] = {**content.get("users", {}), member.user_id: level}
        put = await admin.client.room_put_state(self.room, "m.room.power_levels", content)
        assert isinstance(put, RoomPutStateResponse), put
        assert self.bot.service is not None and self.bot.service.client is not None
        client = self.bot.service.client
        await wait_until(
            lambda: int(client.rooms[self.room].power_levels.get_user_level(member.user_id)) == level, "the levels"
        )

    # --- saying things --------------------------------------------------------------------------------------

    async def in_room(self, member: Member, text: str) -> list[str]:
        """What the room saw after `member` wrote this there."""
        before = self.count(self.cast.admin, self.room)
        await self._say(member, self.room, text, "the room")
        posted = self.room_texts()[before:]
        if any(t.startswith("La séance commence") for t in posted):
            self.session_open = True
        if any(t.startswith("La séance est close") for t in posted):
            self.session_open = False
        return posted

    async def in_private(self, member: Member, text: str) -> list[str]:
        """Phare's replies in this person's direct chat."""
        before = self.count(member, member.dm.room_id)
        await self._say(member, member.dm.room_id, text, f"{member.role}'s DM")
        return self.dm_texts(member)[before:]

    async def choose(self, member: Member, option_id: str) -> list[str]:
        """Type the number of an option shown in the direct chat (or its label when it is the only one)."""
        return await self.in_private(member, self.bot.option_typed(member.dm.room_id, option_id))

    async def _say(self, member: Member, room_id: str, text: str, where: str) -> None:
        self.lines.append(f"{member.role} → {where}: {text}")
        event_id = await member.person.send(room_id, text)
        deadline = asyncio.get_running_loop().time() + 60
        while not await self.bot.processed(event_id):
            assert asyncio.get_running_loop().time() < deadline, "Phare did not process the message in time"
            await asyncio.sleep(0.02)
        await self.settle()

    async def tick(self) -> None:
        """The check-in scheduler claims what is due at the clock's time; Phare posts it."""
        assert self.bot.phare is not None
        if self.scheduler is None:
            self.scheduler = CheckinScheduler(self.bot.phare.writer, rate=None)
        self.lines.append(f"(it is {self.clock.now:%a %d %b %H:%M:%S} UTC)")
        await self.scheduler.drain()
        await self.settle()

    async def at(self, when: datetime) -> None:
        self.clock.now = when
        await self.tick()

    async def later(self, **delta: float) -> None:
        self.clock.advance(**delta)
        await self.tick()

    async def settle(self) -> None:
        """Everything Phare committed is sent and has reached the clients that show it; then the transcript."""
        service = self.bot.service
        assert service is not None and service.transport is not None
        await service.idle()
        transport = service.transport
        for member in self.cast.members:
            rooms = [member.dm.room_id] + ([self.room] if self.room and self.in_room_now(member) else [])
            for room_id in rooms:
                last = transport.last_sent.get(room_id)
                if last is not None:
                    await wait_until(
                        lambda m=member, r=room_id, e=last: any(x.event_id == e for x in m.person.events.get(r, [])),
                        f"{member.role} to receive Phare's messages",
                    )
        if self.room:
            for text in self.new(self.cast.admin, self.room):
                self.lines.append(f"Phare → the room: {text}")
        for member in self.cast.members:
            for text in self.new(member, member.dm.room_id):
                self.lines.append(f"Phare → {member.role}'s DM: {text}")

    def in_room_now(self, member: Member) -> bool:
        return member.role not in self.gone and has_joined(member.person, self.room, member.user_id)()

    # --- reading --------------------------------------------------------------------------------------------

    def count(self, member: Member, room_id: str) -> int:
        return len(member.person.bot_texts(room_id, self.bot.user_id))

    def new(self, member: Member, room_id: str) -> list[str]:
        texts = member.person.bot_texts(room_id, self.bot.user_id)
        key = (member.role, room_id)
        start = self.seen.get(key, len(texts) if key not in self.seen and room_id != self.room else 0)
        self.seen[key] = len(texts)
        return [spaced(t) for t in texts[start:]]

    def room_texts(self, member: Member | None = None) -> list[str]:
        return [spaced(t) for t in (member or self.cast.admin).person.bot_texts(self.room, self.bot.user_id)]

    def dm_texts(self, member: Member) -> list[str]:
        return [spaced(t) for t in member.person.bot_texts(member.dm.room_id, self.bot.user_id)]

    def transcript(self) -> str:
        names = {m.user_id: m.role for m in self.cast.members}
        text = "\n".join(self.lines)
        for user_id, role in names.items():
            text = text.replace(user_id, role)
        return text + "\n"

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.close()


@pytest_asyncio.fixture(loop_scope="module")
async def scene(cast: Cast) -> AsyncIterator[Scene]:
    cast.clock.now = MONDAY
    s = Scene(cast, name=f"{ROOM_NAME} {next(_ROOMS)}")
    s.begin()
    yield s
    if s.session_open:
        # A session left open (a failed test) would take the members' next "!round" answers.
        await s.in_room(cast.admin, "!phare session end")
    s.close()
    print(s.transcript())  # shown with a failure


# --- steps shared by the tests ---------------------------------------------------------------------------------


async def set_up(scene: Scene, *, reminders: str = "both") -> list[str]:
    """The admin sets up weekly Tuesday 18:30 sessions in Paris, in intervision format, from the room; the
    answers are typed in the direct chat, by number or label. What the room saw."""
    admin = scene.cast.admin
    before = len(scene.room_texts())
    posted = await scene.in_room(admin, "!phare supervision")
    assert posted == ["Je vous ai envoyé les réglages en privé."]
    first = scene.dm_texts(admin)[-1]
    assert first.startswith(f"Réglons les séances de {scene.name}. À quelle fréquence")
    await scene.in_private(admin, "Chaque semaine")  # a label
    await scene.in_private(admin, "mardi")  # a label, in lower case
    await scene.in_private(admin, "18h30")
    await scene.in_private(admin, "Paris")
    await scene.choose(admin, reminders)  # a number
    await scene.in_private(admin, "Intervision")
    await scene.choose(admin, "standard")
    done = await scene.choose(admin, "fr")
    assert any(NEXT_SESSION in t for t in done), done
    return scene.room_texts()[before:]


async def agenda_item(scene: Scene, member: Member, topic: str, name: str | None) -> list[str]:
    """`!phare agenda` in the room, then the topic in private, anonymous or under `name`. The DM's replies."""
    pointed = await scene.in_room(member, "!phare agenda")
    assert not any(topic in t for t in pointed)
    await wait_until(lambda: member.person.client.rooms.get(member.dm.room_id) is not None, "the direct chat")
    if scene.dm_texts(member)[-1].startswith("Pour quel groupe"):  # they are in several groups: this one
        await scene.in_private(member, scene.name)
    assert scene.dm_texts(member)[-1].startswith(f"Que souhaitez-vous apporter à {scene.name} ?")
    await scene.in_private(member, topic)
    if name is None:
        return await scene.in_private(member, "Non, anonyme")
    await scene.in_private(member, "Oui, avec un nom")
    return await scene.in_private(member, name)


def mentions_anyone(text: str, cast: Cast) -> bool:
    """Whether a text names one of the people: their Matrix id, its localpart, or their role."""
    for member in cast.members:
        localpart = member.user_id.lstrip("@").partition(":")[0]
        if member.user_id in text or localpart in text:
            return True
    return False


# --- the tests -------------------------------------------------------------------------------------------------


async def test_supervision_setup_by_admin_in_private(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    others_before = {m.role: len(scene.dm_texts(m)) for m in (cast.alice, cast.bob)}
    posted = await set_up(scene)
    # The room saw the pointer, then the calendar, and nothing of the form itself (nor a greeting when Phare
    # joined the named room before the others: nothing personal is posted in a group).
    assert scene.room_texts()[0] == posted[0] == "Je vous ai envoyé les réglages en privé."
    summary = posted[-1]
    assert summary.startswith("Les séances de supervision sont réglées. Prochaine : " + NEXT_SESSION), summary
    assert "intervision entre pairs" in summary
    assert not any("À quelle fréquence" in t or "Quel jour" in t for t in posted)
    assert not mentions_anyone("\n".join(posted), cast)
    # Every member sees the same summary; the admin's private chat has the confirmation.
    for member in (cast.alice, cast.bob):
        await wait_until(lambda m=member: summary in scene.room_texts(m), f"{member.role} to see the summary")
        assert len(scene.dm_texts(member)) == others_before[member.role], "nothing for the others in private"
    assert scene.dm_texts(cast.admin)[-1].startswith("C'est enregistré. Prochaine séance : " + NEXT_SESSION)


async def test_supervision_refused_for_a_non_admin(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    bob_before = len(scene.dm_texts(cast.bob))
    for command in ("!phare supervision", "!phare session start", "!phare pause_groupe"):
        refused = await scene.in_room(cast.bob, command)
        assert len(refused) == 1 and refused[0].startswith("Seuls les admins du groupe"), (command, refused)
    assert len(scene.dm_texts(cast.bob)) == bob_before, "no settings, no session, nothing in Bob's private chat"
    # Alice, made a moderator (power level 50), may.
    await scene.promote(cast.alice)
    assert await scene.in_room(cast.alice, "!phare supervision") == ["Je vous ai envoyé les réglages en privé."]
    assert scene.dm_texts(cast.alice)[-1].startswith(f"Réglons les séances de {scene.name}")
    await scene.in_private(cast.alice, "!cancel")


async def test_supervision_reminder_fires_once(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene, reminders="day")
    before = len(scene.room_texts())
    # The day before Tuesday 18:30 in Paris is Monday 17:30 UTC.
    await scene.at(MONDAY.replace(hour=17, minute=29))
    assert len(scene.room_texts()) == before, "nothing before its time"
    await scene.at(MONDAY.replace(hour=17, minute=31))
    await scene.tick()  # a second tick claims nothing more
    posted = scene.room_texts()[before:]
    reminders = [t for t in posted if t.startswith("Rappel")]
    assert len(reminders) == 1, posted
    assert NEXT_SESSION in reminders[0] and "en privé avec !ordre_du_jour" in reminders[0]
    assert "sans nom ni détail" in reminders[0]  # the confidentiality reminder rides with it
    for member in (cast.alice, cast.bob):
        await wait_until(lambda m=member: reminders[0] in scene.room_texts(m), f"{member.role} to see it")
        assert [t for t in scene.room_texts(member) if t.startswith("Rappel")] == reminders


async def test_supervision_anonymous_agenda_item_without_a_name(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene)
    saved = await agenda_item(scene, cast.alice, "Un patient qui ne bouge pas depuis des mois", None)
    assert any("sans votre nom" in t for t in saved), saved
    saved = await agenda_item(scene, cast.bob, "Fixer des limites avec une famille envahissante", "Bob")
    assert any("avec le nom indiqué" in t for t in saved), saved
    # Nothing of the topics reached the room while they were written.
    assert not any("bouge pas" in t or "envahissante" in t for t in scene.room_texts())
    posted = await scene.in_room(cast.admin, "!phare session start")
    agenda = next(t for t in posted if t.startswith("Ordre du jour"))
    assert "Un patient qui ne bouge pas depuis des mois — anonyme" in agenda
    assert "Fixer des limites avec une famille envahissante — Bob" in agenda
    assert "sans détail identifiant" in agenda
    assert not mentions_anyone(agenda, cast) and "alice" not in agenda.lower()
    await scene.in_room(cast.admin, "!phare session end")


async def test_supervision_opening_round_shows_only_the_aggregate(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice)
    await set_up(scene)
    await scene.join(cast.bob)  # Bob joins the group: a member, without a word
    assert await scene.in_room(cast.alice, "!phare help")  # Alice was there before: she speaks to Phare once
    posted = await scene.in_room(cast.admin, "!phare session start")
    question = next(t for t in posted if t.startswith("Phase 1/6 — Tour d'ouverture"))
    assert "de 0 à 10" in question and "en privé avec !tour" in question  # the French alias of !round
    answers = ((cast.admin, "!round 7 curieux"), (cast.alice, "!tour 4 fatiguée"), (cast.bob, "!round 6 présent"))
    for member, text in answers:
        noted = await scene.in_private(member, text)
        assert noted and scene.name in noted[-1], noted
    assert not any("fatiguée" in t for t in scene.room_texts()), "nothing shown before the round closes"
    posted = await scene.in_room(cast.admin, "!phare session next")
    result = next(t for t in posted if t.startswith("Le tour de table"))
    assert "3 réponses" in result and "Médiane 6" in result and "de 4 à 7" in result, result
    assert all(word in result for word in ("curieux", "fatiguée", "présent"))
    assert not mentions_anyone(result, cast)
    assert any(t.startswith("Phase 2/6") for t in posted)
    await scene.in_room(cast.admin, "!phare session end")


async def test_supervision_round_below_three_shows_nothing(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice)
    await set_up(scene)
    await scene.join(cast.bob)
    await scene.in_room(cast.alice, "!phare help")
    await scene.in_room(cast.admin, "!phare session start")
    await scene.in_private(cast.alice, "!round 2 épuisée")
    await scene.in_private(cast.bob, "!round 8 bien")
    posted = await scene.in_room(cast.admin, "!phare session next")
    assert any("en dessous de trois je n'affiche rien" in t for t in posted), posted
    shown = "\n".join(posted)
    assert "épuisée" not in shown and "Médiane" not in shown and " 8" not in shown.replace("Phase 2", "")
    await scene.in_room(cast.admin, "!phare session end")


async def test_supervision_phase_timer_advances(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene)
    posted = await scene.in_room(cast.admin, "!phare session start")
    assert any(t.startswith("Phase 1/6 — Tour d'ouverture (10 min)") for t in posted), posted
    await scene.later(minutes=9)
    assert not any(t.startswith("Phase 2/6") for t in scene.room_texts()), "not before its time"
    before = len(scene.room_texts())
    await scene.later(minutes=1, seconds=1)
    assert any(t.startswith("Phase 2/6 — La situation (15 min)") for t in scene.room_texts()[before:])
    paused = await scene.in_room(cast.admin, "!phare session pause")
    assert paused == ["Le minuteur est en pause (il reste 15 min dans cette phase)."], paused
    before = len(scene.room_texts())
    await scene.later(minutes=30)
    assert scene.room_texts()[before:] == [], "paused: the phase does not move"
    resumed = await scene.in_room(cast.admin, "!phare session resume")
    assert resumed == ["Le minuteur repart (il reste 15 min dans cette phase)."], resumed
    moved = await scene.in_room(cast.admin, "!phare session next")
    assert any(t.startswith("Phase 3/6 — Questions de clarification (10 min)") for t in moved), moved
    refused = await scene.in_room(cast.bob, "!phare session end")
    assert len(refused) == 1 and "animateurs" in refused[0]
    await scene.later(minutes=10, seconds=1)
    assert any(t.startswith("Phase 4/6 — Résonances (20 min)") for t in scene.room_texts()[-3:])
    ended = await scene.in_room(cast.admin, "!phare session end")
    assert any(t.startswith("La séance est close.") for t in ended), ended
    before = len(scene.room_texts())
    await scene.later(minutes=30)
    assert scene.room_texts()[before:] == [], "no phase after the end"


async def test_supervision_member_leaves_and_their_items_disappear(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene)
    await agenda_item(scene, cast.alice, "Un sujet que je voulais apporter", "Alice")
    await agenda_item(scene, cast.bob, "Un refus de soin difficile", None)
    await scene.leave(cast.alice)
    await scene.in_room(cast.admin, "!phare session start")
    # Alice left the room: nothing of hers in the agenda, Bob's item still there.
    agenda = next(t for t in scene.room_texts() if t.startswith("Ordre du jour"))
    assert "Un refus de soin difficile — anonyme" in agenda
    assert "Un sujet que je voulais apporter" not in agenda and "Alice" not in agenda
    # Her round answer is not counted either: she is no member any more.
    answered = await scene.in_private(cast.alice, "!round 5 partie")
    assert answered and scene.name not in answered[-1]
    await scene.in_room(cast.admin, "!phare session end")


async def test_supervision_group_pause_steps(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    refused = await scene.in_room(cast.alice, "!phare group_break")
    assert len(refused) == 1 and "animateurs" in refused[0]
    posted = await scene.in_room(cast.admin, "!phare pause_groupe")
    assert len(posted) == 1 and posted[0].startswith("Une pause guidée, pour tout le monde"), posted
    again = await scene.in_room(cast.admin, "!phare group_pause")
    assert again == ["Une pause guidée est déjà en cours."], again
    await scene.later(seconds=30)
    assert scene.room_texts()[-1] == again[0], "each step waits its time"
    await scene.later(seconds=16)
    assert scene.room_texts()[-1].startswith("Remarquez où cela se loge")
    for _ in range(4):
        await scene.later(seconds=61)
    steps = [t for t in scene.room_texts() if not t.startswith(("Seuls", "Une pause guidée est"))]
    assert len(steps) == 5, steps
    assert steps[-1].endswith("Merci pour cette pause partagée.")
    # Nobody was asked anything in private.
    assert not any("pause" in t.lower() for m in cast.members for t in scene.new(m, m.dm.room_id))
    for member in (cast.alice, cast.bob):
        await wait_until(lambda m=member: steps[-1] in scene.room_texts(m), f"{member.role} to see the last step")


async def test_supervision_whole_session_transcript(scene: Scene) -> None:
    cast = scene.cast
    scene.name = ROOM_NAME
    scene.lines.append(f"(Monday 30 November 2026, 09:00 UTC; the admin creates the room “{scene.name}”)")
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene)
    await scene.in_room(cast.bob, "!phare supervision")  # a clear no
    # The day before: the first reminder; then topics come in, in private.
    await scene.at(MONDAY.replace(hour=17, minute=31))
    await agenda_item(scene, cast.alice, "Une patiente qui annule chaque séance au dernier moment", None)
    await agenda_item(scene, cast.bob, "Quand le silence d'un patient m'envahit", "Bob")
    # An hour before: the last reminder, with the agenda.
    await scene.at(MONDAY + timedelta(days=1, hours=7, minutes=31))
    agenda = next(t for t in scene.room_texts() if t.startswith("Ordre du jour"))
    assert "au dernier moment — anonyme" in agenda and "m'envahit — Bob" in agenda
    # The session.
    scene.clock.now = MONDAY + timedelta(days=1, hours=8, minutes=30)
    started = await scene.in_room(cast.admin, "!phare session start")
    assert any(t.startswith("La séance commence.") for t in started)
    for member, text in ((cast.admin, "!round 7 curieux"), (cast.alice, "!round 5 fatiguée"),
                         (cast.bob, "!round 6 présent")):  # fmt: skip
        await scene.in_private(member, text)
    opening = await scene.in_room(cast.admin, "!phare session next")
    assert any("3 réponses" in t and "Médiane 6" in t for t in opening)
    await scene.later(minutes=15, seconds=1)  # the case's 15 minutes are up
    assert any(t.startswith("Phase 3/6") for t in scene.room_texts()[-2:])
    await scene.in_room(cast.admin, "!phare session pause")
    await scene.in_room(cast.admin, "!phare session resume")
    await scene.in_room(cast.admin, "!phare session next")
    await scene.in_room(cast.admin, "!phare session next")
    closing = await scene.in_room(cast.admin, "!phare session next")
    assert any(t.startswith("Phase 6/6 — Tour de clôture") for t in closing), closing
    for member, text in ((cast.admin, "!round 8 écouter"), (cast.alice, "!round 7 marcher un peu"),
                         (cast.bob, "!round 8 une soirée sans écran")):  # fmt: skip
        await scene.in_private(member, text)
    ended = await scene.in_room(cast.admin, "!phare session end")
    result = next(t for t in ended if t.startswith("Le tour de table"))
    assert "3 réponses" in result and "marcher un peu" in result and not mentions_anyone(result, cast)
    assert ended[-1].startswith("La séance est close.")
    transcript = scene.transcript()
    assert not any(m.user_id in transcript for m in cast.members)
    out = os.environ.get("PHARE_TRANSCRIPT_OUT")
    if out:
        Path(out).write_text(transcript, encoding="utf-8")


async def test_supervision_round_question_offers_only_what_a_matrix_room_has(scene: Scene) -> None:
    cast = scene.cast
    await scene.open_room(cast.alice, cast.bob)
    await set_up(scene)
    posted = await scene.in_room(cast.admin, "!phare session start")
    await scene.in_room(cast.admin, "!phare session end")
    question = next(t for t in posted if "de 0 à 10" in t)
    assert "ci-dessous" not in question, question  # no number to tap below it: Matrix groups have no buttons
