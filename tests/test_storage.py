"""Storage on a real SQLite file and a real PostgreSQL server: schema, encryption at rest, keys, erasure."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text

from storage.crypto import Cipher, KeyError_, generate_key, load_or_create_key
from storage.db import Database
from storage.tables import metadata, users
from tests.harness import App, FakeClock, User, make_app, sqlite_url, text_of

SECRET_WORDS = "Mon chat Moustache me console quand je rentre tard"


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    await db.migrate()  # a second start finds nothing to do
    async with db.begin() as conn:
        diff = await conn.run_sync(_diff)
    await db.dispose()
    assert diff == [], diff


def _migrate_in_process(url: str) -> None:
    async def go() -> None:
        db = Database(url)
        await db.migrate()
        await db.dispose()

    asyncio.run(go())


def test_two_processes_migrating_at_once_both_succeed(pg_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_migrate_in_process, args=(pg_url,)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0, 0]


async def test_a_whole_break_works_on_both_backends(db_url: str) -> None:
    app = await make_app(db_url)
    try:
        user = User(app)
        await user.onboard()
        await user.break_at_intensity("patient_stuck")
        await user.send("5")
        assert await user.step() == "mindfulness"
        # A fresh app on the same database continues where the first one was.
        await app.close()
        app = await make_app(db_url, migrate=False)
        user.app = app
        user.seen = 0
        await user.send("ok")
        assert await user.step() == "common_humanity"
    finally:
        await app.close()


async def test_free_text_is_never_in_the_database_files_in_clear(tmp_path: Path) -> None:
    app = await make_app(sqlite_url(tmp_path))
    try:
        user = User(app)
        await user.onboard()
        await user.send("/break")
        await user.tap("other")
        await user.send(SECRET_WORDS)
        await user.tap("continue")
        await user.send("5")
        for _ in range(3):
            await user.send("ok")
        await user.tap("done")
        await user.send("ok")
        await user.send("Moustache dit que je fais de mon mieux")
        await user.send("3")
        assert await user.step() is None
        export = await user.send("/export")
        assert any(m.attachment and SECRET_WORDS.encode() in m.attachment.data for m in export)
    finally:
        await app.close()
    for path in tmp_path.iterdir():
        if path.name.startswith("phare.db"):
            blob = path.read_bytes()
            assert b"Moustache" not in blob, f"{path.name} holds free text in clear"


async def test_old_data_stays_readable_after_a_key_rotation(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    url = sqlite_url(tmp_path)
    app = await make_app(url, key=old)
    user = User(app)
    try:
        await user.onboard()
        await user.send("/break")
        await user.tap("other")
        await user.send("une semaine chargée")
    finally:
        await app.close()
    db = Database(url)
    from storage.repo import Repository

    repo = Repository(Cipher([new, old]))
    async with db.begin() as conn:
        found = await repo.users_by_key(conn, [("test", user.key)])
        run = (await repo.current_runs(conn, [found[("test", user.key)].id]))[found[("test", user.key)].id]
    await db.dispose()
    assert run.state["notes"]["situation_text"] == "une semaine chargée"
    assert Cipher([new, old]).encrypt("x").startswith(Cipher([new]).key_id)
    with pytest.raises(KeyError_, match="not configured"):
        Cipher([new]).decrypt(Cipher([old]).encrypt("x"))


def test_a_bad_key_is_refused_with_a_helpful_message() -> None:
    with pytest.raises(KeyError_, match="phare keygen"):
        Cipher(["not a key"])


def test_the_generated_key_file_is_private(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(tmp_path) == key


async def test_forget_leaves_zero_rows_about_the_user(db_url: str) -> None:
    app = await make_app(db_url)
    try:
        other = User(app)
        await other.onboard()
        user = User(app)
        await user.onboard()
        await user.send("/break")
        await user.tap("other")
        await user.send("trop de dossiers")
        await user.tap("continue")
        await user.send("6")
        await user.send("/cancel")
        await user.send("/break")
        await user.tap("overload")
        async with app.db.begin() as conn:
            user_id = (await conn.execute(select(users.c.id).where(users.c.external_id == user.key))).scalar_one()
            assert await app.repo.rows_about(conn, user_id) > 2
        await user.send("/forget")
        await user.send("annuler")  # "cancel" at the confirmation keeps everything
        async with app.db.begin() as conn:
            assert await app.repo.rows_about(conn, user_id) > 0
        await user.send("/forget")
        done = await user.tap("yes")
        assert "effacé" in text_of(done)
        assert [r.erase for r in done] == [True], "the transport is told to delete its own copies"
        async with app.db.begin() as conn:
            assert await app.repo.rows_about(conn, user_id) == 0
            remaining = (await conn.execute(text("SELECT count(*) FROM users"))).scalar_one()
        assert remaining == 1, "the other user is untouched"
        again = await user.send("bonjour")
        assert "Phare" in text_of(again), "writing again starts from the beginning"
    finally:
        await app.close()


async def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    app = await make_app(sqlite_url(tmp_path))
    await app.close()
    conn = sqlite3.connect(tmp_path / "phare.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_duplicate_message_ids_are_processed_once(app: App) -> None:
    user = User(app)
    await user.onboard()
    first = await user.send("/break", message_id="same-id")
    again = await user.send("/exercises", message_id="same-id")
    assert first and not again
    assert await user.step() == "situation"


async def test_a_run_untouched_for_a_day_expires_and_is_kept(app: App, clock: FakeClock) -> None:
    user = User(app)
    await user.onboard()
    await user.break_at_intensity("paperwork")
    await user.send("4")
    clock.advance(hours=25)
    await app.writer.tick()
    await app.settle()
    assert await user.step() is None
    history = await user.send("/history")
    assert "4 →" in text_of(history) and "resté ouvert" in text_of(history)


def test_the_schema_check_at_start_knows_the_newest_migration() -> None:
    """A current schema skips Alembic at start-up (it costs ~0.3 s to import): that shortcut must name the same
    head as Alembic itself, or a new migration would never run."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS, head_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


async def test_sqlite_writes_store_what_sqlalchemy_statements_store(tmp_path: Path) -> None:
    """The writer's SQLite writes go to the driver as plain SQL (storage/sink.py, _driver_sql): every table a batch
    writes gets, value for value and type for type, what SQLAlchemy's own insert and update statements store."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import and_, bindparam, update

    from storage import sink as sink_module
    from storage.records import HistoryRecord, OutboxRecord, RunRecord, UserRecord
    from storage.repo import ConflictError, Repository
    from storage.tables import history, kept_notes, outbox, processed, runs, safety_events

    repo = Repository(Cipher([generate_key()]))
    at = datetime(2026, 3, 29, 1, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5)))
    now = datetime(2026, 12, 1, 16, 0, 0, 7, tzinfo=UTC)
    user = UserRecord("u1", "telegram", "42", "fr", "vous", now, "FR", "Europe/Paris", 3, at, True, False, {"a": [1]})
    other = UserRecord("u2", "matrix", "@x:y", "en", "tu", at, settings={})
    run = RunRecord("r1", "u1", "break", "active", {"step": "é", "n": [1, 2.5, None]}, 4, "chat", at, now, None)
    paused = RunRecord("r2", "u2", "break", "paused", {}, 0, "c2", now, now, at)
    entry = HistoryRecord("r1", "u1", "break", at, now, "completed", {"before": 4}, {"kind": "Moustache"})
    bare = HistoryRecord("r2", "u2", "break", now)
    reply = OutboxRecord("o1", "u1", "telegram", "chat", 0, {"text": "Bonjour", "buttons": [["1", "a"]]}, now, "me")
    orphan = OutboxRecord("o2", None, "telegram", "chat", 1, {}, at)
    writes: list[tuple[Any, str, list[dict[str, Any]]]] = [
        (users, "insert", [repo._user_row(user), repo._user_row(other)]),
        (runs, "insert", [repo._run_row(run), repo._run_row(paused)]),
        (history, "insert", [repo._entry_row(entry), repo._entry_row(bare)]),
        (outbox, "insert", [repo._outbox_row(reply), repo._outbox_row(orphan)]),
        (processed, "insert", [{"platform": "telegram", "message_id": "7", "processed_at": at}]),
        (
            kept_notes,
            "insert",
            [{"id": "k", "user_id": "u1", "collection": "letters", "text_enc": "x", "created_at": at}],
        ),
        (safety_events, "insert", [{"id": "s", "user_id": "u2", "kind": "shown", "country": None, "at": now}]),
        (users, "update", [repo._user_row(replace(user, onboarded=False, settings={}, consent_at=None))]),
        (history, "update", [repo._entry_row(replace(entry, outcome=None, ended_at=at, notes={}))]),
        (runs, "update", [{**repo._run_row(replace(run, status="ended", version=5)), "expected_version": 4}]),
    ]

    async def through_sqlalchemy(conn: Any, table: Any, kind: str, rows: list[dict[str, Any]]) -> None:
        if kind == "insert":
            await conn.execute(table.insert(), rows)
            return
        renamed = [{("b_" + k.removeprefix("expected_") if k == "id" or k.startswith("expected_") else k): v
                    for k, v in row.items()} for row in rows]  # fmt: skip
        condition = table.c.id == bindparam("b_id")
        if "b_version" in renamed[0]:
            condition = and_(condition, table.c.version == bindparam("b_version"))
        await conn.execute(update(table).where(condition), renamed)

    stored: list[list[tuple[Any, ...]]] = []
    for name, ours in (("ours", True), ("theirs", False)):
        (tmp_path / name).mkdir()
        db = Database(sqlite_url(tmp_path / name))
        await db.migrate()
        async with db.begin() as conn:
            for table, kind, rows in writes:
                copies = [dict(row) for row in rows]
                if not ours:
                    await through_sqlalchemy(conn, table, kind, copies)
                elif kind == "insert":
                    await sink_module.Sink(conn).insert(table, copies)
                else:
                    await sink_module.Sink(conn).update(table, copies, guard="version" if table is runs else None)
            if ours:  # a guarded update that finds another version is a conflict, as before
                with pytest.raises(ConflictError):
                    await sink_module.Sink(conn).update(
                        runs, [{**writes[1][2][0], "expected_version": 99}], guard="version"
                    )
                await sink_module.Sink(conn).delete(outbox, ["o2", "nothing"])
                assert await repo.seen(conn, "telegram", ["7", "8", "7"]) == {"7"}
            else:
                await conn.execute(text("DELETE FROM outbox WHERE id = 'o2'"))
        await db.dispose()
        raw = sqlite3.connect(tmp_path / name / "phare.db")
        tables = ("users", "runs", "history", "outbox", "processed_messages", "kept_notes", "safety_events")
        stored.append([
            tuple((column, value, type(value).__name__) for column, value in zip(
                [d[0] for d in cursor.description], row, strict=True))
            for table_name in tables
            for cursor in [raw.execute(f"SELECT * FROM {table_name} ORDER BY rowid")]
            for row in cursor.fetchall()
        ])  # fmt: skip
        raw.close()
    assert len(stored[0]) == 10
    assert stored[0] == stored[1]


def _nonce_of(token: str) -> bytes:
    import base64

    return base64.b64decode(token.partition(":")[2])[:12]


def test_every_ciphertext_has_its_own_nonce_even_in_a_forked_child() -> None:
    """Nonces are drawn 256 at a time (one system call): each is used once, across refills, and a forked process
    draws its own instead of using its parent's leftover ones with the same key."""
    import os

    cipher = Cipher([generate_key()])
    tokens = [cipher.encrypt(f"texte {i}") for i in range(1000)]  # several refills
    assert [cipher.decrypt(t) for t in tokens] == [f"texte {i}" for i in range(1000)]
    nonces = {_nonce_of(t) for t in tokens}
    assert len(nonces) == 1000
    assert cipher._nonces  # some drawn and not yet used: what a forked child must not reuse
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next nonces, to the parent
        os.close(reader)
        os.write(writer, b"".join(_nonce_of(cipher.encrypt("enfant")) for _ in range(300)))
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    child_nonces = {child[i : i + 12] for i in range(0, len(child), 12)}
    ours = {_nonce_of(cipher.encrypt("parent")) for _ in range(300)}
    assert len(child_nonces) == 300 and len(ours) == 300
    assert not child_nonces & ours and not child_nonces & nonces
