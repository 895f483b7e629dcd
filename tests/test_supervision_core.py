"""Supervision groups through the real writer, storage and scheduler (no platform): setup by an admin, reminders,
the agenda, rounds shown only in aggregate, the phase timer, the guided pause, members leaving, /forget.
The same behaviour on Telegram and Matrix is in tests/test_telegram_supervision.py and test_matrix_supervision.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.core.jobs import private_chat
from bot.messages import Outgoing
from bot.scheduler import CheckinScheduler
from tests.harness import App, FakeClock, User, make_app

GROUP = "group-supervision-1"


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[App]:
    # Monday 30 November 2026, 09:00 UTC (10:00 in Paris)
    application = await make_app(db_url, clock=FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)))
    yield application
    await application.close()


class Member(User):
    """A member of the group: writes in the group and in private."""

    async def in_group(self, text: str, *, admin: bool = False, **extra: object) -> list[Outgoing]:
        """What the group saw after this message."""
        before = len(group_posts(self.app))
        await self.send(text, chat_key=GROUP, private=False, admin=admin, chat_title="Intervision Lyon", **extra)
        return group_posts(self.app)[before:]

    async def tap_in_group(self, option: str, ref: str) -> list[Outgoing]:
        before = len(group_posts(self.app))
        await self.send("", chat_key=GROUP, private=False, option=option, ref=ref, kind="option")
        return group_posts(self.app)[before:]

    @property
    def private(self) -> list[Outgoing]:
        """Private replies: to the chat the person wrote from, or to "this person's private chat"."""
        sent = self.app.transport.sent
        return [d.message for d in sent if d.chat_key in (self.key, private_chat(self.key))]


def group_posts(app: App) -> list[Outgoing]:
    return app.transport.chat(GROUP)


async def setup(admin: Member, *, reminders: str = "both", fmt: str = "intervision") -> None:
    await admin.in_group("/supervision", admin=True)
    for option in ("weekly", "d1"):  # Tuesdays
        await admin.tap(option)
    await admin.send("18h30")
    await admin.send("Paris")
    for option in (reminders, fmt, "standard", "fr"):
        await admin.tap(option)


async def people(app: App, n: int) -> list[Member]:
    found = []
    for i in range(n):
        member = Member(app, key=f"member{i}")
        await member.onboard()
        found.append(member)
    return found


async def tick(app: App) -> int:
    return await CheckinScheduler(app.writer, rate=None).drain()


async def test_supervision_setup_by_an_admin_in_private_and_a_clear_no_for_others(world: App) -> None:
    admin, other = await people(world, 2)
    refused = await other.in_group("/supervision")
    assert refused and "admins" in refused[-1].text and not any(m.text.startswith("Réglons") for m in other.private)
    await setup(admin)
    texts = [m.text for m in admin.private]
    assert any("Réglons les séances de *Intervision Lyon*" in t for t in texts)
    assert "mardi 1er décembre à 18h30" in admin.private[-1].text
    summary = group_posts(world)[-1]
    assert summary.group and "mardi 1er décembre à 18h30" in summary.text and "intervision" in summary.text
    assert admin.key not in summary.text


async def test_supervision_reminders_fire_once_each_in_the_groups_time_zone(world: App) -> None:
    (admin,) = await people(world, 1)
    await setup(admin)
    before = len(group_posts(world))
    # 24 h before Tuesday 18:30 in Paris = Monday 17:30 UTC
    world.clock.now = datetime(2026, 11, 30, 17, 29, tzinfo=UTC)
    await tick(world)
    assert len(group_posts(world)) == before
    world.clock.now = datetime(2026, 11, 30, 17, 31, tzinfo=UTC)
    await tick(world)
    await tick(world)
    await world.settle()
    reminders = [m for m in group_posts(world)[before:] if m.text.startswith("Rappel")]
    assert len(reminders) == 1 and "mardi 1er décembre à 18h30" in reminders[0].text
    assert "sans nom ni détail" in reminders[0].text  # the confidentiality reminder rides with it
    world.clock.now = datetime(2026, 12, 1, 16, 31, tzinfo=UTC)  # one hour before
    await tick(world)
    await world.settle()
    assert len([m for m in group_posts(world)[before:] if m.text.startswith("Rappel")]) == 2
    # at the session's time the next Tuesday's reminders are planned: the day before is 7 Dec 17:30 UTC
    world.clock.now = datetime(2026, 12, 1, 17, 31, tzinfo=UTC)
    await tick(world)
    world.clock.now = datetime(2026, 12, 7, 17, 31, tzinfo=UTC)
    await tick(world)
    await world.settle()
    last = [m for m in group_posts(world) if m.text.startswith("Rappel")][-1]
    assert "mardi 8 décembre à 18h30" in last.text


async def test_supervision_agenda_anonymous_item_appears_without_a_name(world: App) -> None:
    admin, alice, bob = await people(world, 3)
    await setup(admin)
    await alice.in_group("/agenda")
    await bob.in_group("/agenda")
    await alice.send("/agenda")
    await alice.send("Un patient qui ne bouge pas depuis des mois, je me sens inutile")
    await alice.tap("anonymous")
    assert "sans votre nom" in alice.private[-1].text
    await bob.send("/agenda")
    await bob.send("Fixer des limites avec une famille envahissante")
    await bob.tap("named")
    await bob.send("Bob")
    await admin.in_group("/session start", admin=True)
    agenda = next(m for m in group_posts(world) if m.text.startswith("*Ordre du jour"))
    assert "je me sens inutile — anonyme" in agenda.text
    assert "famille envahissante — Bob" in agenda.text
    assert alice.key not in agenda.text


async def test_supervision_agenda_topic_naming_a_patient_is_held(world: App) -> None:
    admin, alice = await people(world, 2)
    await setup(admin)
    await alice.in_group("/agenda")
    await alice.send("/agenda")
    held = await alice.send("Mme Durand, née le 12/03/1961, qui appelle tous les soirs")
    assert "pseudonyme" in held[-1].text or "identifi" in held[-1].text


async def test_supervision_opening_round_shows_only_the_aggregate(world: App) -> None:
    admin, a, b, c = await people(world, 4)
    await setup(admin)
    for member in (a, b, c):
        await member.in_group("/help")
    await admin.in_group("/session start", admin=True)
    question = next(m for m in group_posts(world) if m.buttons and m.buttons[0].id.startswith("do:round:"))
    ref = question.buttons[0].ref
    await a.tap_in_group("do:round:7", ref)
    await a.send("/round 7 présente")
    await b.send("/round 4 fatiguée")
    await c.send("/round 6,5 curieux")
    assert "jamais votre réponse" in c.private[-1].text
    before = len(group_posts(world))
    await admin.in_group("/session next", admin=True)
    result = next(m for m in group_posts(world)[before:] if m.text.startswith("*Le tour"))
    assert "3 réponses" in result.text and "Médiane 6" in result.text and "de 4 à 7" in result.text
    assert "fatiguée" in result.text and "curieux" in result.text and "présente" in result.text
    for member in (a, b, c):
        assert member.key not in result.text


async def test_supervision_round_shows_no_word_unless_three_were_given(world: App) -> None:
    """Three answers but a single word: the two who gave none would know whose it is."""
    admin, a, b, c = await people(world, 4)
    await setup(admin)
    await c.in_group("/help")
    await admin.in_group("/session start", admin=True)
    ref = next(m for m in group_posts(world) if m.buttons and m.buttons[0].id.startswith("do:round:")).buttons[0].ref
    await a.tap_in_group("do:round:7", ref)
    await b.tap_in_group("do:round:5", ref)
    await c.send("/round 6 seule")
    before = len(group_posts(world))
    await admin.in_group("/session next", admin=True)
    result = next(m for m in group_posts(world)[before:] if m.text.startswith("*Le tour"))
    assert "3 réponses" in result.text and "seule" not in result.text


async def test_supervision_round_below_three_answers_shows_nothing(world: App) -> None:
    admin, a, b = await people(world, 3)
    await setup(admin)
    await a.in_group("/help")
    await b.in_group("/help")
    await admin.in_group("/session start", admin=True)
    await a.send("/round 2 épuisé")
    await b.send("/round 8 bien")
    before = len(group_posts(world))
    await admin.in_group("/session next", admin=True)
    posts = [m.text for m in group_posts(world)[before:]]
    assert any("en dessous de trois" in t for t in posts)
    assert not any("épuisé" in t or "Médiane" in t for t in posts)


async def test_supervision_phase_timer_advances_pauses_and_ends(world: App) -> None:
    (admin,) = await people(world, 1)
    await setup(admin)
    await admin.in_group("/session start", admin=True)
    assert "Phase 1/6" in group_posts(world)[-1].text
    world.clock.advance(minutes=10, seconds=1)
    await tick(world)
    await world.settle()
    assert any("Phase 2/6 — La situation* (15 min)" in m.text for m in group_posts(world)[-2:])
    await admin.in_group("/session pause", admin=True)
    assert "pause" in group_posts(world)[-1].text
    world.clock.advance(minutes=30)
    await tick(world)
    await world.settle()
    assert "Phase 3/6" not in group_posts(world)[-1].text  # paused: the phase does not move
    await admin.in_group("/session resume", admin=True)
    await admin.in_group("/session next", admin=True)
    assert "Phase 3/6" in group_posts(world)[-1].text
    refused = await Member(world, key="member-late").in_group("/session end")
    assert "animateurs" in refused[-1].text
    await admin.in_group("/session end", admin=True)
    assert "séance est close" in group_posts(world)[-1].text


async def test_supervision_member_who_leaves_has_their_items_removed(world: App) -> None:
    admin, alice = await people(world, 2)
    await setup(admin)
    await alice.in_group("/agenda")
    await alice.send("/agenda")
    await alice.send("Un sujet que je voulais apporter")
    await alice.tap("anonymous")
    await alice.send("", chat_key=GROUP, private=False, kind="left")
    await admin.in_group("/session start", admin=True)
    assert not any("Un sujet que je voulais" in m.text for m in group_posts(world))


async def test_supervision_forget_removes_agenda_items_and_round_answers(world: App) -> None:
    admin, alice = await people(world, 2)
    await setup(admin)
    await alice.in_group("/agenda")
    await alice.send("/agenda")
    await alice.send("Mon sujet à oublier")
    await alice.tap("anonymous")
    await alice.send("/forget")
    await alice.tap("yes")
    await admin.in_group("/session start", admin=True)
    assert not any("Mon sujet à oublier" in m.text for m in group_posts(world))


async def test_supervision_guided_group_pause_posts_its_steps_on_time(world: App) -> None:
    (admin,) = await people(world, 1)
    assert "animateurs" in (await admin.in_group("/pause_groupe"))[-1].text
    await admin.in_group("/pause_groupe", admin=True)
    first = group_posts(world)[-1]
    assert first.group and "Une pause guidée" in first.text and not first.buttons
    assert not any(m.text.startswith("Réglons") for m in admin.private)
    world.clock.advance(seconds=46)
    await tick(world)
    await world.settle()
    assert "Remarquez où cela se loge" in group_posts(world)[-1].text
    for _ in range(4):
        world.clock.advance(seconds=61)
        await tick(world)
        await world.settle()
    assert "Merci pour cette pause partagée" in group_posts(world)[-1].text


async def test_supervision_timer_fires_once_when_two_schedulers_tick(world: App) -> None:
    (admin,) = await people(world, 1)
    await setup(admin)
    world.clock.now = datetime(2026, 11, 30, 17, 31, tzinfo=UTC)
    first, second = CheckinScheduler(world.writer, rate=None), CheckinScheduler(world.writer, rate=None)
    import asyncio

    await asyncio.gather(first.tick(), second.tick())
    await world.settle()
    assert len([m for m in group_posts(world) if m.text.startswith("Rappel")]) == 1


async def test_supervision_export_includes_the_members_agenda_items(world: App) -> None:
    import json

    admin, alice = await people(world, 2)
    await setup(admin)
    await alice.in_group("/agenda")
    await alice.send("/agenda")
    await alice.send("Un sujet à moi")
    await alice.tap("anonymous")
    await alice.send("/export")
    data = next(m.attachment.data for m in alice.private if m.attachment and m.attachment.mime == "application/json")
    groups = json.loads(data)["supervision_groups"]
    assert groups[0]["group"] == "Intervision Lyon"
    assert groups[0]["agenda"][0]["topic"] == "Un sujet à moi" and groups[0]["agenda"][0]["name_shown"] is None


async def test_supervision_members_the_platform_lists_can_answer_in_private(world: App) -> None:
    """Matrix tells who is in the room with a command: someone there before Phare, who never wrote in the group,
    can answer the round in private."""
    admin, quiet = await people(world, 2)
    await setup(admin)
    await admin.in_group("/session start", admin=True, members=(admin.key, quiet.key))
    await quiet.send("/round 5 calme")
    assert "noté" in quiet.private[-1].text
