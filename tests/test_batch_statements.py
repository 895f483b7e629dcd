"""What one writer transaction asks of the database: on PostgreSQL a fixed set of statements whatever the
batch's size (so prepared statements are reused), every column type round-tripped by the array writes, and a
run changed under a batch detected on both backends. No timing here: bench/pg_core.py measures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.messages import Incoming
from storage.crypto import Cipher, generate_key
from storage.db import Database
from storage.records import Changes, HistoryRecord, KeptNote, OutboxRecord, RunRecord, UserRecord, new_id, ordered_id
from storage.repo import ConflictError, Repository
from tests.harness import make_app

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_execute(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, _many: bool) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)


def incoming(user: int, number: int, text: str) -> Incoming:
    key = str(1000 + user)
    return Incoming(
        platform="test", user_key=key, chat_key=key, message_id=f"{user}-{number}", received_at=NOW, text=text,
        private=True, locale="fr",
    )  # fmt: skip


async def one_batch(app: Any, people: range, number: int, text: str) -> list[str]:
    """Queue one message from each person at once (so they commit as one batch) and return the statements."""
    with statements(app.db) as seen:
        await asyncio.gather(*(app.writer.enqueue(incoming(p, number, text)) for p in people))
    return [s for s in seen if not s.startswith("DELETE FROM outbox")]  # the dispatcher's confirmations


async def test_postgresql_batch_statements_do_not_grow_with_the_batch(pg_url: str) -> None:
    app = await make_app(pg_url)
    try:
        await one_batch(app, range(40), 0, "/start")
        await app.settle()
        one = await one_batch(app, range(1), 1, "1")
        forty = await one_batch(app, range(1, 40), 1, "1")
    finally:
        await app.close()
    assert len(one) == len(forty), (one, forty)
    assert sorted(one) == sorted(forty)  # the same texts: prepared once per connection, then reused
    assert not any(" IN ($" in s for s in forty)  # no list of parameters, whose length would change the text
    # The users, locked; their open runs and the messages already handled; every write, in one statement.
    assert [s.split()[0] for s in forty] == ["SELECT", "SELECT", "WITH"], forty


async def test_every_column_round_trips_through_the_batch_writes(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    repo = Repository(Cipher([generate_key()]))
    user = UserRecord(
        id=new_id(), platform="test", external_id="42", locale="en", address="tu", created_at=NOW, country="FR",
        timezone="Europe/Paris", consent_version=2, consent_at=NOW, onboarded=True, active=True,
        settings={"checkin": {"hour": 9}, "é": [1, 2]},
    )  # fmt: skip
    bare = UserRecord(id=new_id(), platform="test", external_id="43", locale="fr", address="vous", created_at=NOW)
    run = RunRecord(
        id=new_id(), user_id=user.id, dialogue_id="compassion_break", status="active", state={"step": "a", "n": 1},
        version=1, chat_key="42", started_at=NOW, updated_at=NOW, wake_at=None,
    )  # fmt: skip
    entry = HistoryRecord(
        id=new_id(), user_id=user.id, dialogue_id="anchor", started_at=NOW - timedelta(hours=1), ended_at=NOW,
        outcome="completed", measures={"before": 5, "after": 2}, notes={},
    )  # fmt: skip
    reply = OutboxRecord(ordered_id(), user.id, "test", "42", 0, {"text": "bonjour"}, NOW, owner="me")
    changes = Changes(
        users_new={user.id: user, bare.id: bare}, runs_new={run.id: run}, history_new={entry.id: entry},
        outbox_new=[reply], processed_new=[("test", "m1", NOW)], safety_new=[(user.id, "crisis", "FR", NOW)],
        kept_new=[KeptNote(new_id(), user.id, "letters", "chère moi", NOW)],
    )  # fmt: skip
    try:
        async with db.begin() as conn:
            await repo.flush(conn, changes)
        later = NOW + timedelta(minutes=5)
        user2 = replace(user, settings={}, active=False, consent_at=None, country=None)
        run2 = replace(run, state={"step": "b"}, updated_at=later, wake_at=later)
        entry2 = replace(entry, outcome="cancelled", measures={}, notes={"n": "texte"})
        reply2 = OutboxRecord(ordered_id(), user.id, "test", "42", 1, {"text": "encore"}, later, owner=None)
        async with db.begin() as conn:  # a confirmation (the first reply sent) in the same batch as new rows
            await repo.flush(conn, Changes(users_dirty={user.id: user2}, runs_dirty={run.id: run2},
                                           history_dirty={entry.id: entry2}, outbox_new=[reply2],
                                           outbox_sent=[reply.id]))  # fmt: skip
        async with db.begin() as conn:
            found = await repo.users_by_key(conn, [("test", "42"), ("test", "43")])
            runs = await repo.current_runs(conn, [user.id])
            history = await repo.history_by_id(conn, [entry.id])
            seen = await repo.seen(conn, "test", ["m1", "m2"])
            kept = await repo.kept_of(conn, user.id)
            pending = await repo.pending_outbox(conn, None, "someone else", NOW + timedelta(days=1))
    finally:
        await db.dispose()
    assert found[("test", "42")] == user2
    assert found[("test", "43")] == bare
    assert runs[user.id] == replace(run2, version=2)
    assert history[entry.id] == entry2
    assert seen == {"m1"}
    assert [k.text for k in kept] == ["chère moi"]
    assert [(r.id, r.payload, r.priority, r.owner) for r in pending] == [(reply2.id, {"text": "encore"}, 1, None)]


async def test_a_run_changed_under_a_batch_is_a_conflict_on_both_backends(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    repo = Repository(Cipher([generate_key()]))
    user = UserRecord(id=new_id(), platform="test", external_id="7", locale="fr", address="vous", created_at=NOW)
    run = RunRecord(new_id(), user.id, "anchor", "active", {}, 1, "7", NOW, NOW)
    try:
        async with db.begin() as conn:
            await repo.flush(conn, Changes(users_new={user.id: user}, runs_new={run.id: run}))
        async with db.begin() as conn:
            await repo.flush(conn, Changes(runs_dirty={run.id: replace(run, state={"a": 1})}))  # version 1 → 2
        for also in ([], [OutboxRecord(ordered_id(), user.id, "test", "7", 0, {"text": "x"}, NOW)]):
            with pytest.raises(ConflictError):  # alone, and with other writes (one statement on PostgreSQL)
                async with db.begin() as conn:  # still believes version 1
                    stale = Changes(runs_dirty={run.id: replace(run, state={"b": 2})}, outbox_new=also)
                    await repo.flush(conn, stale)
        async with db.begin() as conn:
            assert (await repo.current_runs(conn, [user.id]))[user.id].state == {"a": 1}
            assert await repo.pending_outbox(conn, None, "me", NOW) == []  # rolled back with the conflict
    finally:
        await db.dispose()


async def test_a_message_id_is_seen_only_on_its_own_platform(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    repo = Repository(Cipher([generate_key()]))
    try:
        async with db.begin() as conn:
            await repo.flush(conn, Changes(processed_new=[("telegram", "17", NOW)]))
        async with db.begin() as conn:
            runs, seen = await repo.runs_and_seen(conn, [], [("telegram", "17"), ("matrix", "17"), ("telegram", "18")])
    finally:
        await db.dispose()
    assert (runs, seen) == ({}, {("telegram", "17")})


async def test_a_single_statement_connection_goes_back_to_the_pool_transactional(pg_url: str) -> None:
    """A batch of confirmations alone runs in autocommit; the connection it used must not stay so, or the next
    batch's row locks would not last to its writes."""
    from sqlalchemy import text

    db = Database(pg_url, pool_size=1)
    db.engine.pool._max_overflow = 0  # type: ignore[attr-defined]  # one connection, reused
    txid = text("SELECT txid_current()")
    try:
        async with db.single_statement() as conn:
            first, second = (await conn.execute(txid)).scalar(), (await conn.execute(txid)).scalar()
        assert first != second  # each statement its own transaction
        async with db.begin() as conn:
            first, second = (await conn.execute(txid)).scalar(), (await conn.execute(txid)).scalar()
        assert first == second  # one transaction again
    finally:
        await db.dispose()
