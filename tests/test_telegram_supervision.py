"""Supervision groups on Telegram, end to end: python-telegram-bot's real HTTP stack against the Bot API double,
the real writer on a SQLite file, the check-in scheduler ticking on a clock the test moves. Three people: the
facilitator ("admin", an administrator of the group as the double declares it), "alice" and "bob". What is
asserted is what they see: the group's messages and their private chats (the double refuses invalid HTML).

The same behaviour without a platform is in tests/test_supervision_core.py. With PHARE_TRANSCRIPT_OUT set,
test_supervision_whole_session_transcript writes the whole session as people saw it to that path."""

from __future__ import annotations

import asyncio
import html
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import Phare, build
from bot.config import Settings
from bot.scheduler import CheckinScheduler
from bot.transports.telegram import TelegramService, options_from
from bot.transports.telegram.updates import UpdateReader
from tests.harness import FakeClock
from tests.telegram_double import BOT_ID, BOT_USERNAME, TOKEN, BotApiDouble, Sent, TgGroup, TgUser

FAST = {"telegram_rate_overall": 10_000, "telegram_rate_private": 10_000, "telegram_rate_group": 10_000}
GROUP = TgGroup(-100900, title="Intervision Lyon")
# Monday 30 November 2026, 09:00 UTC (10:00 in Paris); the sessions will be on Tuesdays at 18:30, Paris time.
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SESSION = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)


def plain(message: Sent) -> str:
    """What the person reads: the HTML Phare sent, without its tags (French typography's no-break spaces as
    spaces)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", message.text or message.caption or ""))
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@dataclass
class Env:
    double: BotApiDouble
    phare: Phare
    service: TelegramService
    clock: FakeClock
    names: dict[int, str] = field(default_factory=dict)  # Telegram id -> role name, for the transcript
    transcript: list[str] = field(default_factory=list)
    shown: int = 0  # how many of the double's sent messages the transcript has shown

    async def settle(self, *update_ids: int) -> None:
        if update_ids:
            await self.double.wait_confirmed(max(update_ids))
        await asyncio.wait_for(self.service.idle(), 30)
        self._log_sent()

    def _log_sent(self) -> None:
        for message in self.double.sent[self.shown :]:
            where = "group" if message.chat_id == GROUP.id else f"{self.names.get(message.chat_id, '?')} (private)"
            buttons = f"  [{' | '.join(message.labels)}]" if message.buttons else ""
            self.transcript.append(f"Phare → {where}: {plain(message)}{buttons}")
        self.shown = len(self.double.sent)

    def note(self, line: str) -> None:
        self._log_sent()
        self.transcript.append(line)

    async def tick(self) -> int:
        """The check-in scheduler claims what is due now; what it causes is sent."""
        claimed = await CheckinScheduler(self.phare.writer, rate=None).drain()
        await self.settle()
        return claimed

    async def at(self, when: datetime) -> None:
        self.note(f"— {when.astimezone(UTC):%a %d %b %H:%M} UTC —")
        self.clock.now = when
        await self.tick()

    async def later(self, **delta: float) -> None:
        await self.at(self.clock.now + timedelta(**delta))

    def group(self) -> list[Sent]:
        return self.double.chat(GROUP.id)

    def group_texts(self, since: int = 0) -> list[str]:
        return [plain(m) for m in self.group()[since:]]


@dataclass
class Person:
    env: Env
    user: TgUser
    name: str

    @property
    def private(self) -> list[Sent]:
        return self.env.double.chat(self.user.id)

    def private_texts(self) -> list[str]:
        return [plain(m) for m in self.private]

    async def say(self, text: str) -> list[str]:
        """In private; what Phare answered there."""
        before = len(self.private)
        self.env.note(f"{self.name} → Phare (private): {text}")
        await self.env.settle(self.env.double.text(self.user, text))
        return [plain(m) for m in self.private[before:]]

    async def in_group(self, text: str) -> list[str]:
        """In the group; what the group saw after it."""
        before = len(self.env.group())
        self.env.note(f"{self.name} → group: {text}")
        await self.env.settle(self.env.double.text(self.user, text, group=GROUP))
        return self.env.group_texts(before)

    def _data(self, message: Sent, option: str) -> str:
        for button in message.buttons:
            data = str(button.get("callback_data", ""))
            if data.rsplit("|", 1)[-1] == option:
                return data
        raise AssertionError(f"no option {option!r} in {[b.get('callback_data') for b in message.buttons]}")

    async def tap(self, option: str) -> list[str]:
        """A button of the latest question in private."""
        message = next(m for m in reversed(self.private) if m.buttons)
        label = next(b["text"] for b in message.buttons if b.get("callback_data") == self._data(message, option))
        before = len(self.private)
        self.env.note(f"{self.name} → Phare (private): [taps {label}]")
        await self.env.settle(self.env.double.tap(self.user, message, data=self._data(message, option)))
        return [plain(m) for m in self.private[before:]]

    async def tap_in_group(self, message: Sent, score: int) -> list[str]:
        """A score under a round's question in the group; what the group saw after it."""
        before = len(self.env.group())
        self.env.note(f"{self.name} → group: [taps {score}]")
        await self.env.settle(self.env.double.tap(self.user, message, data=self._data(message, f"do:round:{score}")))
        return self.env.group_texts(before)

    async def onboard(self) -> None:
        await self.say("/start")
        for option in ("fr", "vous", "continue", "continue", "yes", "fr"):
            await self.tap(option)

    async def join(self) -> None:
        self.env.note(f"{self.name} joins the group")
        await self.env.settle(*self.env.double.join(self.user, GROUP))

    async def leave(self) -> None:
        self.env.note(f"{self.name} leaves the group")
        await self.env.settle(*self.env.double.leave(self.user, GROUP))


@dataclass
class People:
    env: Env
    admin: Person
    alice: Person
    bob: Person


@pytest.fixture
async def env(double: BotApiDouble, tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, telegram_token=TOKEN, telegram_base_url=double.base_url,
        operator_contact="Dr Test (test@example.org)", **FAST,
    )  # fmt: skip
    clock = FakeClock(MONDAY)
    phare = await build(settings, clock=clock)
    service = TelegramService(phare.writer, replace(options_from(settings), drain_timeout=1.0))
    await service.start()
    yield Env(double, phare, service, clock)
    await service.stop()
    await phare.close()


@pytest.fixture
async def people(env: Env) -> People:
    """The facilitator administers the group; Alice and Bob are not in it yet. All three talked to Phare in private."""
    admin = Person(env, TgUser(3001, first_name="Agnès"), "admin")
    alice = Person(env, TgUser(3002, first_name="Alice"), "alice")
    bob = Person(env, TgUser(3003, first_name="Bob"), "bob")
    env.double.members(GROUP, admins=(admin.user,))
    for person in (admin, alice, bob):
        env.names[person.user.id] = person.name
        await person.onboard()
    env.transcript.clear()
    return People(env, admin, alice, bob)


async def setup(people: People, *, reminders: str = "both") -> None:
    """The facilitator sets up weekly sessions, Tuesdays 18:30 in Paris, intervision; Alice and Bob join."""
    admin = people.admin
    await admin.in_group(f"/supervision@{BOT_USERNAME}")
    for option in ("weekly", "d1"):
        await admin.tap(option)
    await admin.say("18h30")
    await admin.say("Paris")
    for option in (reminders, "intervision", "standard", "fr"):
        await admin.tap(option)
    await people.alice.join()
    await people.bob.join()


def round_question(env: Env) -> Sent:
    return next(m for m in reversed(env.group()) if any("do:round:" in str(b.get("callback_data")) for b in m.buttons))


def answered(env: Env) -> list[str]:
    return [str(c.params["callback_query_id"]) for c in env.double.calls_to("answerCallbackQuery")]


# --- setup ---------------------------------------------------------------------------------------------------------


async def test_supervision_setup_by_admin_in_private(people: People) -> None:
    env, admin = people.env, people.admin
    seen = await admin.in_group(f"/supervision@{BOT_USERNAME}")
    assert seen == ["Je vous ai envoyé les réglages en privé."]
    assert "Réglons les séances de Intervision Lyon" in admin.private_texts()[-1]
    assert [b["text"] for b in admin.private[-1].buttons] == ["Chaque semaine", "Toutes les deux semaines",
                                                                "Une fois par mois"]  # fmt: skip
    for option in ("weekly", "d1"):
        await admin.tap(option)
    assert "À quelle heure" in admin.private_texts()[-1]
    assert "fuseau horaire" in (await admin.say("18h30"))[-1]
    await admin.say("Paris")
    for option in ("both", "intervision", "standard"):
        await admin.tap(option)
    before = len(env.group())
    assert len(env.group()) == before, "nothing in the group until the settings are complete"
    done = await admin.tap("fr")
    assert any("mardi 1er décembre à 18h30" in t for t in done)
    summary = env.group_texts(before)
    assert len(summary) == 1
    assert "Les séances de supervision sont réglées. Prochaine : mardi 1er décembre à 18h30" in summary[0]
    assert "intervision entre pairs" in summary[0]
    assert "Agnès" not in summary[0] and str(admin.user.id) not in summary[0]
    assert not any(m.buttons for m in env.group()), "the form never shows in the group"


async def test_supervision_refused_for_a_non_admin(people: People) -> None:
    env, bob = people.env, people.bob
    env.double.members(GROUP, members=(bob.user,))
    private_before = len(bob.private)
    for command in (f"/supervision@{BOT_USERNAME}", "/session start", "/pause_groupe"):
        seen = await bob.in_group(command)
        assert len(seen) == 1 and seen[0].startswith("Seuls les admins du groupe"), seen
    assert len(bob.private) == private_before, "no settings dialogue for someone who does not administer the group"
    assert [int(c.params["user_id"]) for c in env.double.calls_to("getChatMember")] == [bob.user.id]
    assert (await people.admin.in_group("/supervision"))[-1] == "Je vous ai envoyé les réglages en privé."
    assert "Réglons les séances" in people.admin.private_texts()[-1], "while the group's administrator is let in"


# --- reminders and the agenda ---------------------------------------------------------------------------------------


async def test_supervision_reminder_fires_once(people: People) -> None:
    env = people.env
    await setup(people)
    before = len(env.group())
    await env.at(datetime(2026, 11, 30, 17, 29, tzinfo=UTC))  # 24 h before is 17:30 UTC
    assert env.group_texts(before) == []
    env.clock.now = datetime(2026, 11, 30, 17, 31, tzinfo=UTC)
    first, second = await env.tick(), await env.tick()
    assert (first, second) == (1, 0)
    reminders = [t for t in env.group_texts(before) if t.startswith("Rappel")]
    assert len(reminders) == 1
    assert "Rappel : séance de supervision mardi 1er décembre à 18h30" in reminders[0]
    assert "/ordre_du_jour" in reminders[0] and "sans nom ni détail" in reminders[0]
    assert all(m.chat_id == GROUP.id for m in env.double.sent[-1:])


async def test_supervision_anonymous_agenda_item_without_a_name(people: People) -> None:
    env, alice, bob = people.env, people.alice, people.bob
    await setup(people)
    asked = await alice.say("/agenda")
    assert "Que souhaitez-vous apporter à Intervision Lyon" in asked[-1]
    await alice.say("Un patient qui ne bouge pas depuis des mois, je me sens inutile")
    assert "sans votre nom" in (await alice.tap("anonymous"))[-1]
    await bob.say("/agenda")
    await bob.say("Fixer des limites avec une famille envahissante")
    await bob.tap("named")
    await bob.say("Bob")
    assert env.group_texts()[-1].startswith("Les séances de supervision sont réglées"), "nothing posted meanwhile"
    before = len(env.group())
    await env.at(SESSION)
    await people.admin.in_group("/session start")
    agenda = next(t for t in env.group_texts(before) if t.startswith("Ordre du jour"))
    assert "• Un patient qui ne bouge pas depuis des mois, je me sens inutile — anonyme" in agenda
    assert "• Fixer des limites avec une famille envahissante — Bob" in agenda
    assert "Alice" not in agenda and str(alice.user.id) not in agenda
    assert "sans détail identifiant" in agenda


# --- rounds -------------------------------------------------------------------------------------------------------


async def test_supervision_opening_round_shows_only_the_aggregate(people: People) -> None:
    env, admin, alice, bob = people.env, people.admin, people.alice, people.bob
    await setup(people)
    await env.at(SESSION)
    started = await admin.in_group("/session start")
    assert started[0].startswith("La séance commence.")
    assert "Phase 1/6 — Tour d'ouverture (10 min)" in started[-1] and "Touchez un chiffre" in started[-1]
    question = round_question(env)
    assert question.labels == [str(n) for n in range(11)]
    calls = len(answered(env))
    assert await admin.tap_in_group(question, 7) == [], "a tap posts nothing in the group"
    assert await alice.tap_in_group(question, 9) == []
    assert await alice.tap_in_group(question, 5) == [], "a second tap replaces the first"
    assert len(answered(env)) == calls + 3 and len(set(answered(env))) == len(answered(env)), "each answered once"
    assert not question.keyboard_removed, "the scores stay for the others"
    noted = await alice.say("/round 5 curieuse")
    assert "Intervision Lyon" in noted[-1]
    await bob.say("/round 4 fatigué")
    await admin.say("/round 7 présent")  # three words: fewer would tell the others whose they are
    before = len(env.group())
    await admin.in_group("/session next")
    result = next(t for t in env.group_texts(before) if t.startswith("Le tour de table"))
    assert "3 réponses" in result and "Médiane 5, de 4 à 7." in result
    assert "curieuse" in result and "fatigué" in result and "présent" in result
    for person in (admin, alice, bob):
        assert str(person.user.id) not in result and person.user.first_name not in result
    assert "Phase 2/6 — La situation (15 min)" in env.group_texts()[-1]
    assert question.keyboard_removed, "the round is closed: its scores go"
    before, calls = len(env.group()), len(answered(env))
    assert await bob.tap_in_group(question, 0) == [], "a score of a closed round: answered, nothing posted"
    assert len(answered(env)) == calls + 1
    await env.later(minutes=15, seconds=1)
    assert not any(t.startswith("Le tour de table") for t in env.group_texts(before)), "and nothing recorded"


async def test_supervision_round_below_three_shows_nothing(people: People) -> None:
    env, admin, alice = people.env, people.admin, people.alice
    await setup(people)
    await admin.in_group("/session start")
    await admin.tap_in_group(round_question(env), 3)
    await alice.say("/round 8 bien")
    before = len(env.group())
    await admin.in_group("/session next")
    posts = env.group_texts(before)
    assert any(t.startswith("2 réponse(s) au tour de table : en dessous de trois je n'affiche rien") for t in posts)
    assert not any("bien" in t or "Médiane" in t for t in posts)


# --- the session's time ---------------------------------------------------------------------------------------------


async def test_supervision_phase_timer_advances(people: People) -> None:
    env, admin, bob = people.env, people.admin, people.bob
    await setup(people)
    await env.at(SESSION)
    await admin.in_group("/session start")
    assert "Phase 1/6" in env.group_texts()[-1]
    await env.later(minutes=9)
    assert "Phase 1/6" in env.group_texts()[-1], "not before its time"
    await env.later(minutes=1, seconds=1)
    assert "Phase 2/6 — La situation (15 min)" in env.group_texts()[-1]
    paused = await admin.in_group("/session pause")
    assert paused == ["Le minuteur est en pause (il reste 15 min dans cette phase)."]
    before = len(env.group())
    await env.later(minutes=30)
    assert env.group_texts(before) == [], "paused: the phase does not move"
    assert await admin.in_group("/session resume") == ["Le minuteur repart (il reste 15 min dans cette phase)."]
    await env.later(minutes=15, seconds=1)
    assert "Phase 3/6 — Questions de clarification (10 min)" in env.group_texts()[-1]
    nxt = await admin.in_group("/session next")
    assert "Phase 4/6 — Résonances (20 min)" in nxt[-1]
    assert (await bob.in_group("/session end"))[-1].startswith("Seuls les admins du groupe (les animateurs)")
    ended = await admin.in_group("/session end")
    assert ended[-1].startswith("La séance est close.")
    before = len(env.group())
    await env.later(hours=1)
    assert env.group_texts(before) == [], "no phase after the end"


async def test_supervision_member_leaves_and_their_items_disappear(people: People) -> None:
    env, alice, bob = people.env, people.alice, people.bob
    await setup(people)
    await alice.say("/agenda")
    await alice.say("Un sujet que je voulais apporter")
    await alice.tap("anonymous")
    await bob.say("/agenda")
    await bob.say("Un deuil qui me touche plus que prévu")
    await bob.tap("anonymous")
    await alice.leave()
    assert env.double.status(GROUP, alice.user) == "left"
    assert (await alice.say("/agenda"))[-1].startswith("Je ne connais pas encore votre groupe"), "no longer a member"
    before = len(env.group())
    await people.admin.in_group("/session start")
    posts = "\n".join(env.group_texts(before))
    assert "Un deuil qui me touche plus que prévu — anonyme" in posts
    assert "Un sujet que je voulais apporter" not in posts


async def test_supervision_group_pause_steps(people: People) -> None:
    env, admin, bob = people.env, people.admin, people.bob
    await setup(people)
    refused = await bob.in_group("/pause_groupe")
    assert refused == ["Seuls les admins du groupe (les animateurs) peuvent lancer une pause guidée pour tout "
                       "le monde."]  # fmt: skip
    first = await admin.in_group("/pause_groupe")
    assert len(first) == 1 and first[0].startswith("Une pause guidée, pour tout le monde")
    assert not env.group()[-1].buttons, "no answers asked"
    before = len(env.group())
    await env.later(seconds=30)
    assert env.group_texts(before) == [], "each step waits its time"
    await env.later(seconds=16)
    assert env.group_texts()[-1].startswith("Remarquez où cela se loge")
    for _ in range(4):
        await env.later(seconds=61)
    assert env.group_texts()[-1].endswith("Merci pour cette pause partagée.")
    steps = env.group_texts(before)
    assert len(steps) == 4 and len(set(steps)) == 4, "each step posted once"
    assert all(m.chat_id == GROUP.id for m in env.double.sent[-4:])


# --- one whole session ----------------------------------------------------------------------------------------------


async def test_supervision_whole_session_transcript(people: People) -> None:
    env, admin, alice, bob = people.env, people.admin, people.alice, people.bob
    env.note(f"The group “{GROUP.title}”: admin administers it; alice and bob will join. Clock: Monday 30 Nov 2026.")
    await setup(people)
    await env.at(datetime(2026, 11, 30, 17, 31, tzinfo=UTC))  # the day before
    await alice.say("/agenda")
    await alice.say("Un patient qui ne bouge pas depuis des mois, je me sens inutile")
    await alice.tap("anonymous")
    await bob.say("/agenda")
    await bob.say("Fixer des limites avec une famille envahissante")
    await bob.tap("named")
    await bob.say("Bob")
    await env.at(datetime(2026, 12, 1, 16, 31, tzinfo=UTC))  # an hour before: the reminder and the agenda
    assert any(t.startswith("Ordre du jour") for t in env.group_texts()[-2:])
    await env.at(SESSION)
    await admin.in_group("/session start")
    question = round_question(env)
    for person, score in ((admin, 6), (alice, 4), (bob, 8)):
        await person.tap_in_group(question, score)
    await bob.say("/round 8 disponible")
    await env.later(minutes=10, seconds=1)  # the opening round's time is up
    assert any(t.startswith("Le tour de table : 3 réponses.") for t in env.group_texts()[-3:])
    await env.later(minutes=15, seconds=1)
    await admin.in_group("/session pause")
    await env.later(minutes=5)
    await admin.in_group("/session resume")
    await admin.in_group("/session next")
    await admin.in_group("/session next")
    await env.later(minutes=10, seconds=1)  # the presenter's response: the closing round comes
    assert "Phase 6/6 — Tour de clôture" in env.group_texts()[-1]
    await admin.say("/round 7 la patience")
    await alice.say("/round 6 dormir tôt")
    await bob.say("/round 8 marcher")
    await admin.in_group("/session end")
    closing = env.group_texts()[-2:]
    assert closing[0].startswith("Le tour de table : 3 réponses.") and "Médiane 7, de 6 à 8." in closing[0]
    assert closing[1].startswith("La séance est close.")
    env.note("(end)")
    everything = "\n".join(env.transcript)
    for person in (admin, alice, bob):
        assert str(person.user.id) not in everything.replace("→", "")
    group_lines = [line for line in env.transcript if line.startswith("Phare → group")]
    assert not any(name in line for line in group_lines for name in ("Agnès", "Alice"))
    out = os.environ.get("PHARE_TRANSCRIPT_OUT")
    if out:
        Path(out).write_text(everything + "\n", encoding="utf-8")


async def test_supervision_round_tap_is_read_as_the_members_answer_in_the_group(double: BotApiDouble) -> None:
    """What the reader hands the writer for a score tapped under a round's question (and for other group taps)."""
    member, data = TgUser(3101), "o|0123456789abcdef0123456789abcdef:opening|do:round:7"
    question = Sent(GROUP.id, 42, "sendMessage", "Tour d'ouverture", "HTML", None,
                    {"message_id": 42, "date": 0, "chat": GROUP.chat(), "text": "Tour d'ouverture"})  # fmt: skip
    reader = UpdateReader(BOT_ID, BOT_USERNAME, lambda c, m, i: None)
    received = reader.read(double.update(double.tap(member, question, data=data)))
    assert received is not None and received.incoming is not None and received.tap is not None
    incoming = received.incoming
    assert (incoming.private, incoming.kind, incoming.option, incoming.ref, incoming.chat_key, incoming.user_key,
            incoming.chat_title) == (False, "option", "do:round:7", "0123456789abcdef0123456789abcdef:opening",
                                     str(GROUP.id), str(member.id), GROUP.title)  # fmt: skip
    assert (received.tap.chat_id, received.tap.message_id) == (None, None), "the scores stay for the others"
    other = reader.read(double.update(double.tap(member, question, data="o|x.1|start")))
    assert other is not None and other.incoming is None and other.tap is not None, "answered, nothing else"
