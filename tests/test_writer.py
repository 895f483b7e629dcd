"""The writer: order per user, many users at once, errors, odd input, groups, access, consent."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from bot.access import Access
from bot.writer import Writer
from tests.harness import App, FakeClock, User, make_app, text_of


async def test_two_messages_at_once_never_interleave(app: App) -> None:
    user = User(app)
    await user.onboard()
    await user.break_at_intensity("overload")
    # Two answers sent at the same instant: they are handled one after the other, in order.
    first, second = user._incoming(text="4"), user._incoming(text="ok")
    await asyncio.gather(app.writer.submit(first), app.writer.submit(second))
    await app.settle()
    assert await user.step() == "common_humanity"


async def test_fifty_users_at_once(app: App) -> None:
    users = [User(app) for _ in range(50)]
    await asyncio.gather(*(u.onboard() for u in users))
    await asyncio.gather(*(u.send("/break") for u in users))
    assert all([await u.step() == "situation" for u in users])
    for u in users:
        texts = [m.text for m in u.chat]
        assert texts[0].startswith("Bonjour") and "situation" in texts[-1]


async def test_an_internal_error_gets_a_kind_reply_and_logs_no_user_text(
    app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = User(app)
    await user.onboard()
    await user.send("/break")
    await user.tap("other")

    def explode(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot handle {args[2]!r}")  # the message quotes the user's words

    monkeypatch.setattr(app.writer.core.exercises.engine, "handle", explode)
    with caplog.at_level(logging.DEBUG):
        replies = await user.send("mon secret très personnel")
    assert "rien de ce que vous aviez écrit n'est perdu" in text_of(replies).lower()
    assert "secret" not in caplog.text and "ValueError" in caplog.text
    monkeypatch.undo()
    assert await user.step() == "situation_other", "the run is where it was"
    await user.send("mon secret très personnel")
    assert await user.step() == "bring_to_mind"


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
async def test_non_text_mid_exercise_is_answered_and_changes_nothing(app: App, kind: str) -> None:
    user = User(app)
    await user.onboard()
    await user.break_at_intensity("overload")
    replies = await user.other(kind)
    assert "texte" in text_of(replies)
    assert replies[-1].scale == (0, 10), "the question is shown again"
    assert await user.step() == "intensity_before"


async def test_unknown_commands_and_idle_text(app: App) -> None:
    user = User(app)
    await user.onboard()
    assert "commande" in text_of(await user.send("/frobnicate"))
    idle = await user.send("bonjour")
    assert any(b.id == "start:compassion_break" for m in idle for b in m.buttons)
    started = await user.tap("start:compassion_break")
    assert "situation" in text_of(started)


async def test_starting_another_exercise_closes_the_open_one(app: App) -> None:
    user = User(app)
    await user.onboard()
    await user.send("/break")
    replies = await user.send("/anchor")
    assert "J'ai fermé" in text_of(replies)
    dialogue, _ = await user.run_state()
    assert dialogue == "anchor"


async def test_without_consent_exercises_run_and_nothing_is_kept(app: App) -> None:
    user = User(app)
    await user.onboard(consent=False)
    await user.break_at_intensity("paperwork")
    await user.send("4")
    await user.send("stop")
    history = await user.send("/history")
    assert "ne garde rien" in text_of(history)
    async with app.db.begin() as conn:
        found = await app.repo.users_by_key(conn, [("test", user.key)])
        record = found[("test", user.key)]
        assert await app.repo.history_of(conn, record.id) == []
        assert await app.repo.current_runs(conn, [record.id]) == {}


async def test_english_platform_locale_and_tu(app: App) -> None:
    user = User(app, locale="en-GB")
    first = await user.send("/start")
    assert first[-1].buttons[0].label == "Français"
    await user.tap("fr")
    replies = await user.tap("tu")
    assert "tu es en danger" in text_of(replies)
    assert "Si tu es d'accord" in text_of(await user.tap("continue"))


async def test_a_restart_mid_pause_continues_it(tmp_path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import sqlite_url

    app = await make_app(sqlite_url(tmp_path), clock=clock)
    user = User(app)
    await user.onboard(language="en")
    await user.send("/anchor")
    assert await user.step() == "breath"
    await app.close()
    clock.advance(seconds=31)
    app = await make_app(sqlite_url(tmp_path), clock=clock, migrate=False)
    user.app, user.seen = app, 0
    await app.writer.tick()
    await app.settle()
    assert await user.step() == "see"
    assert "5" in text_of(user.chat) or "five" in text_of(user.chat).lower()
    await app.close()


async def test_groups_ignore_chatter_and_redirect_personal_commands(app: App) -> None:
    member = User(app)
    await member.onboard()
    group_chat = "group-1"
    chatter = await member._submit(member._incoming(text="on se voit jeudi ?", chat_key=group_chat, private=False))
    assert chatter == [] and app.transport.chat(group_chat) == []
    await app.writer.submit(member._incoming(text="/history", chat_key=group_chat, private=False))
    await app.settle()
    posted = app.transport.chat(group_chat)
    assert len(posted) == 1 and "privé" in posted[0].text
    assert posted[0].buttons[0].ref.startswith("private:")
    assert "→" not in posted[0].text, "no history in the group"
    await app.writer.submit(member._incoming(text="/help", chat_key=group_chat, private=False))
    await app.settle()
    assert "discret" in app.transport.chat(group_chat)[-1].text


async def test_access_allow_list_and_invite_codes(app: App) -> None:
    app.writer.access = Access(allowed=frozenset({"test:alice"}), invite_codes=frozenset({"SESAME"}))
    alice = User(app, key="alice")
    assert "Phare" in text_of(await alice.send("/start"))
    stranger = User(app, key="mallory")
    refused = await stranger.send("/start")
    assert "réservée" in text_of(refused)
    guest = User(app, key="guest")
    welcome = await guest.send("/start SESAME")
    assert "Quelle langue" in text_of(welcome)
    assert "Quelle langue" in text_of(await guest.send("/start")), "admitted for good"
    async with app.db.begin() as conn:
        found = await app.repo.users_by_key(conn, [("test", "mallory"), ("test", "guest")])
    assert ("test", "mallory") not in found and ("test", "guest") in found


async def test_two_writers_on_one_postgres_keep_one_users_order(pg_url: str) -> None:
    clock = FakeClock()
    one = await make_app(pg_url, clock=clock)
    two = await make_app(pg_url, clock=clock, migrate=False)
    try:
        user = User(one)
        await user.onboard()
        await user.break_at_intensity("overload")
        # Alternate processes for each answer; each one reads what the other committed.
        answers = ["4", "ok", "ok", "1", "ok", "Doucement.", "3"]
        for index, answer in enumerate(answers):
            target: Writer = (one if index % 2 else two).writer
            await target.submit(replace(user._incoming(text=answer)))
        await one.settle()
        await two.settle()
        assert await user.step() is None
        history = await user.send("/history")
        assert "4 → 3" in text_of(history)
    finally:
        await one.close()
        await two.close()


async def test_concurrent_steps_from_two_writers_on_postgres_do_not_lose_updates(pg_url: str) -> None:
    clock = FakeClock()
    one = await make_app(pg_url, clock=clock)
    two = await make_app(pg_url, clock=clock, migrate=False)
    try:
        user = User(one)
        await user.onboard()
        await user.break_at_intensity("overload")
        first, second = user._incoming(text="4"), user._incoming(text="ok")
        await asyncio.gather(two.writer.submit(first), one.writer.submit(second))
        step = await user.step()
        # Both committed, one after the other (row lock): the rating, then one more step, whichever order.
        assert step in ("mindfulness", "common_humanity"), step
    finally:
        await one.close()
        await two.close()


async def test_a_starting_process_resends_only_what_dead_processes_left(pg_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from storage.tables import processes

    clock = FakeClock()
    one = await make_app(pg_url, clock=clock)
    await one.dispatcher.stop()  # one's replies stay queued, as if its platform were slow
    one.writer._listeners.clear()
    try:
        user = User(one)
        await one.writer.tick()  # heartbeat of a live process
        await one.writer.submit(user._incoming(text="/start"))
        two = await make_app(pg_url, clock=clock, migrate=False)
        try:
            assert await two.writer.pending("test") == [], "a live process's replies are its own"
            async with one.db.begin() as conn:
                old = datetime.now(UTC) - timedelta(minutes=5)
                await conn.execute(
                    update(processes).where(processes.c.id == one.writer.instance).values(heartbeat_at=old)
                )
            adopted = await two.writer.pending("test")
            assert [d.chat_key for d in adopted] == [user.key], "a dead process's replies are sent by another"
            assert await two.writer.pending("test") == adopted, "adopted rows now belong to the new process"
        finally:
            await two.close()
    finally:
        await one.writer.stop()
        await one.db.dispose()


async def test_a_transports_notice_goes_through_the_outbox_once_in_the_persons_language(app: App) -> None:
    from bot.core.jobs import Notice

    user = User(app, locale="en")
    await user.onboard(language="en", country="gb")
    notice = Notice("test", user.key, "matrix_offline", user.key, key="offline:room:1")
    await app.writer.submit(notice)
    await app.writer.submit(notice)  # a redelivered sync: the same notice is not queued twice
    await app.settle()
    texts = [m.text for m in app.transport.chat(user.key)][user.seen :]
    assert len(texts) == 1 and "offline" in texts[0].lower()
    await app.writer.submit(Notice("test", "room-of-a-stranger", "matrix_offline", None, key="offline:room:2"))
    await app.settle()
    assert app.transport.chat("room-of-a-stranger"), "someone Phare does not know gets it in the default language"


async def test_a_burst_keeps_each_persons_order_on_either_database(db_url: str) -> None:
    """Twelve people each send their next two answers at once. On PostgreSQL the writer reads and decides the
    second batch (every second answer) while the first one commits: each person's second answer must still
    wait for their first, so everyone lands on the same step as one person answering in turn."""
    app = await make_app(db_url, clock=FakeClock())
    try:
        users = [User(app) for _ in range(12)]
        await asyncio.gather(*(u.onboard() for u in users))
        await asyncio.gather(*(u.break_at_intensity("overload") for u in users))
        app.writer.max_batch = len(users)  # the first answers fill one batch, the second answers the next
        firsts = [app.writer.enqueue(u._incoming(text="4")) for u in users]
        seconds = [app.writer.enqueue(u._incoming(text="ok")) for u in users]
        await asyncio.gather(*firsts, *seconds)
        await app.settle()
        assert [await u.step() for u in users] == ["common_humanity"] * len(users)
    finally:
        await app.close()
