"""Retention (PHARE_RETENTION_DAYS), the short-lived de-duplication marks of refused people, and the operator
contact in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import retention
from bot.access import Access
from bot.config import Settings
from storage.records import Changes, HistoryRecord, KeptNote, new_id
from storage.tables import history, kept_notes, processed, safety_events
from tests.harness import App, User, text_of


@pytest.fixture(autouse=True)
def _keep_all_after() -> Iterator[None]:
    yield
    retention.configure(None)


async def count(app: App, table: object) -> int:
    async with app.db.begin() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def add_entries(app: App, user_id: str, *ages_in_days: float) -> None:
    now = app.clock()
    changes = Changes()
    for age in ages_in_days:
        at = now - timedelta(days=age)
        entry = HistoryRecord(new_id(), user_id, "compassion_break", at, at, "completed", {"before": 6}, {"n": "x"})
        changes.history_new[entry.id] = entry
        changes.kept_new.append(KeptNote(new_id(), user_id, "supervision", "a note", at))
        changes.safety_new.append((user_id, "crisis_resources_shown", "fr", at))
    async with app.db.begin() as conn:
        await app.repo.flush(conn, changes)


async def user_id_of(app: App, person: User) -> str:
    async with app.db.begin() as conn:
        return (await app.repo.users_by_key(conn, [(person.platform, person.key)]))[(person.platform, person.key)].id


async def test_history_older_than_the_retention_goes_in_batches_from_the_tick(app: App) -> None:
    person = User(app)
    await person.onboard()
    owner = await user_id_of(app, person)
    await add_entries(app, owner, 400, 91, 89, 1)

    await app.writer.tick()  # retention not configured: everything is kept
    assert [await count(app, t) for t in (history, kept_notes, safety_events)] == [4, 4, 4]

    retention.configure(90)
    await app.writer.tick()
    assert [await count(app, t) for t in (history, kept_notes, safety_events)] == [2, 2, 2]
    async with app.db.begin() as conn:
        left = sorted(e.started_at for e in await app.repo.history_of(conn, owner))
    assert left == [app.clock() - timedelta(days=89), app.clock() - timedelta(days=1)]

    # What ages past the period goes at a later pass; passes are ten minutes apart (the tick runs every second).
    app.clock.advance(days=1, seconds=1)
    await app.writer.tick()
    assert await count(app, history) == 1 and await count(app, kept_notes) == 1
    await add_entries(app, owner, 95)
    app.clock.advance(minutes=9)
    await app.writer.tick()
    assert await count(app, history) == 2
    app.clock.advance(minutes=1)
    await app.writer.tick()
    assert await count(app, history) == 1


async def test_a_backlog_is_cleared_over_the_next_ticks(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "RETENTION_BATCH", 2)
    person = User(app)
    await person.onboard()
    await add_entries(app, await user_id_of(app, person), 100, 101, 102, 103, 104)
    retention.configure(30)
    remaining = []
    for _ in range(3):
        await app.writer.tick()  # no clock move: a full batch means the next tick goes on
        remaining.append(await count(app, history))
    assert remaining == [3, 1, 0]


def test_retention_days_setting() -> None:
    assert Settings().retention_days is None  # type: ignore[call-arg]
    assert Settings(retention_days="30").retention_days == 30  # type: ignore[call-arg,arg-type]
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings(retention_days=0)  # type: ignore[call-arg]


async def marks(app: App) -> dict[str, object]:
    async with app.db.begin() as conn:
        return {r[0]: r[1] for r in await conn.execute(select(processed.c.message_id, processed.c.processed_at))}


async def test_refused_peoples_marks_go_after_a_day_admitted_ones_after_seven(app: App) -> None:
    app.writer.access = Access(allowed=frozenset({"member"}))
    member = User(app, key="member")
    stranger = User(app, key="stranger")
    await member.send("/start")
    refused = await stranger.send("/start")
    assert "réservée" in text_of(refused)
    assert len(await marks(app)) == 2

    # Within the day, a redelivery of the refused message is still dropped.
    again = stranger._incoming(text="/start")
    again = type(again)(**{**again.__dict__, "message_id": "stranger-1"})
    await app.writer.submit(again)
    await app.settle()
    assert len(stranger.chat) == len(refused)

    app.clock.advance(days=1, seconds=1)
    await app.writer.tick()
    assert set(await marks(app)) == {"member-1"}
    app.clock.advance(days=6)
    await app.writer.tick()
    assert set(await marks(app)) == set()


async def test_the_operator_contact_in_each_language(app: App) -> None:
    settings = Settings(  # type: ignore[call-arg]
        operator_contact="Cabinet Exemple", operator_contact_fr="Cabinet Exemple, 01 23 45 67 89",
        operator_contact_en="Example Practice, +33 1 23 45 67 89",
    )  # fmt: skip
    app.writer.core.speaker.operator_contact = settings.operator_contact
    french, english = User(app), User(app, locale="en")
    await french.onboard()
    await english.onboard(language="en")
    assert "Cabinet Exemple, 01 23 45 67 89" in text_of(french.chat) and "Example Practice" not in text_of(french.chat)
    assert "Example Practice, +33 1 23 45 67 89" in text_of(english.chat)

    only_fr = Settings(operator_contact_fr="Cabinet Exemple")  # type: ignore[call-arg]
    app.writer.core.speaker.operator_contact = only_fr.operator_contact
    late = User(app, locale="en")
    await late.onboard(language="en")
    assert "no contact has been given yet" in text_of(late.chat)


async def test_without_a_contact_the_onboarding_says_so_in_the_users_language(app: App) -> None:
    app.writer.core.speaker.operator_contact = Settings().operator_contact  # type: ignore[call-arg]
    french, english = User(app), User(app, locale="en")
    await french.onboard()
    await english.onboard(language="en")
    assert "aucun contact n'a encore été indiqué" in text_of(french.chat)
    assert "no contact" not in text_of(french.chat) and "the person who runs" not in text_of(french.chat)
    assert "no contact has been given yet" in text_of(english.chat)
