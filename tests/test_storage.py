"""Storage on a real SQLite file and a real PostgreSQL server: schema, encryption at rest, keys, erasure."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from pathlib import Path

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
