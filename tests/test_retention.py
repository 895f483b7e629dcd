"""Retention (PHARE_RETENTION_DAYS), the short-lived de-duplication marks of refused people, and the operator
contact in the user's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.access import Access
from bot.app import build
from bot.config import Settings
from storage.records import Changes, HistoryRecord, KeptNote, new_id
from storage.tables import history, kept_notes, processed, safety_events
from tests.harness import App, FakeClock, User, make_app, text_of


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


async def test_history_older_than_the_retention_goes_in_batches_from_the_tick(sqlite_db: str, clock: FakeClock) -> None:
    keep_all = await make_app(sqlite_db, clock=clock)  # no retention_days: everything is kept
    try:
        person = User(keep_all)
        await person.onboard()
        owner = await user_id_of(keep_all, person)
        await add_entries(keep_all, owner, 400, 91, 89, 1)
        await keep_all.writer.tick()
        assert [await count(keep_all, t) for t in (history, kept_notes, safety_events)] == [4, 4, 4]
    finally:
        await keep_all.close()

    app = await make_app(sqlite_db, clock=clock, retention_days=90)
    try:
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
    finally:
        await app.close()


async def test_a_backlog_is_cleared_over_the_next_ticks(sqlite_db: str, clock: FakeClock) -> None:
    app = await make_app(sqlite_db, clock=clock, retention_days=30)
    try:
        app.writer.retention.batch = 2
        person = User(app)
        await person.onboard()
        await add_entries(app, await user_id_of(app, person), 100, 101, 102, 103, 104)
        remaining = []
        for _ in range(3):
            await app.writer.tick()  # no clock move: a full batch means the next tick goes on
            remaining.append(await count(app, history))
        assert remaining == [3, 1, 0]
    finally:
        await app.close()


async def test_the_settings_reach_a_directly_built_app(tmp_path: Path) -> None:
    """bot/app.py's build passes PHARE_RETENTION_DAYS and the contacts on: no step of the `phare` command needed."""
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=None, retention_days=30, operator_contact="Cabinet Exemple",
        operator_contact_en="Example Practice",
    )  # fmt: skip
    phare = await build(settings)
    try:
        assert phare.writer.retention.keep == timedelta(days=30)
        assert dict(phare.writer.operator_contacts) == {"fr": "Cabinet Exemple", "en": "Example Practice"}
    finally:
        await phare.close()
    kept = Settings(data_dir=tmp_path, database_url=None)  # type: ignore[call-arg]
    phare = await build(kept)
    try:
        assert phare.writer.retention.keep is None
    finally:
        await phare.close()


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


def test_the_operator_contacts_are_resolved_once_in_the_settings() -> None:
    both = Settings(  # type: ignore[call-arg]
        operator_contact="Cabinet Exemple", operator_contact_fr="Cabinet Exemple, 01 23 45 67 89",
        operator_contact_en="Example Practice, +33 1 23 45 67 89",
    )  # fmt: skip
    assert both.operator_contacts == {
        "fr": "Cabinet Exemple, 01 23 45 67 89", "en": "Example Practice, +33 1 23 45 67 89"
    }  # fmt: skip
    assert Settings(operator_contact="Cabinet Exemple").operator_contacts == {  # type: ignore[call-arg]
        "fr": "Cabinet Exemple", "en": "Cabinet Exemple"
    }  # fmt: skip
    only_fr = Settings(operator_contact_fr="Cabinet Exemple")  # type: ignore[call-arg]
    assert only_fr.operator_contacts == {"fr": "Cabinet Exemple", "en": ""}
    assert Settings().operator_contacts == {"fr": "", "en": ""}  # type: ignore[call-arg]


async def test_the_operator_contact_in_each_language(sqlite_db: str, clock: FakeClock) -> None:
    contacts = {"fr": "Cabinet Exemple, 01 23 45 67 89", "en": "Example Practice, +33 1 23 45 67 89"}
    app = await make_app(sqlite_db, clock=clock, operator_contacts=contacts)
    try:
        french, english = User(app), User(app, locale="en")
        await french.onboard()
        await english.onboard(language="en")
        assert "Cabinet Exemple, 01 23 45 67 89" in text_of(french.chat)
        assert "Example Practice" not in text_of(french.chat)
        assert "Example Practice, +33 1 23 45 67 89" in text_of(english.chat)

        app.writer.core.speaker.operator_contacts = {"fr": "Cabinet Exemple", "en": ""}  # only a French one
        late = User(app, locale="en")
        await late.onboard(language="en")
        assert "no contact has been given yet" in text_of(late.chat)
    finally:
        await app.close()


async def test_without_a_contact_the_onboarding_says_so_in_the_users_language(sqlite_db: str, clock: FakeClock) -> None:
    app = await make_app(sqlite_db, clock=clock, operator_contacts={})
    try:
        french, english = User(app), User(app, locale="en")
        await french.onboard()
        await english.onboard(language="en")
        assert "aucun contact n'a encore été indiqué" in text_of(french.chat)
        assert "no contact" not in text_of(french.chat) and "the person who runs" not in text_of(french.chat)
        assert "no contact has been given yet" in text_of(english.chat)
    finally:
        await app.close()
