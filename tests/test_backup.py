"""`phare db backup`, `phare db restore` and `phare db migrate-to`: tables and rows come back as stored (ciphertexts
stay ciphertexts), a restore never goes over existing data, and SQLite moves to a real PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.cli import main
from storage.crypto import Cipher, load_or_create_key
from storage.db import Database, sqlite_url
from storage.records import Changes, HistoryRecord, KeptNote, OutboxRecord, new_id, ordered_id
from storage.repo import Repository
from storage.tables import agenda_items, group_members, groups, metadata
from tests.harness import TEST_KEY, User, make_app

OPENED = ("users", "runs", "history", "outbox", "kept_notes", "groups", "group_members", "agenda_items")


async def populate(data_dir: Path) -> None:
    """A few users (onboarded, one exercise done, one under way), queued replies, a kept note and a supervision
    group with a member and an agenda topic."""
    data_dir.mkdir(parents=True, exist_ok=True)
    app = await make_app(sqlite_url(data_dir))
    try:
        people = [User(app), User(app), User(app, locale="en")]
        for person in people[:2]:
            await person.onboard()
        await people[2].onboard(language="en")
        await people[0].break_at_intensity()
        await people[1].send("/break")
        now = app.clock()
        cipher = app.repo.cipher
        async with app.db.begin() as conn:
            user_id = (await conn.execute(text("SELECT id FROM users LIMIT 1"))).scalar_one()
            changes = Changes()
            for n in range(3):
                changes.outbox_new.append(OutboxRecord(
                    id=ordered_id(), user_id=user_id, platform="test", chat_key="c", priority=1,
                    payload={"text": f"queued {n}"}, created_at=now, owner=None,
                ))  # fmt: skip
            changes.history_new["h1"] = HistoryRecord(
                id=new_id(),
                user_id=user_id,
                dialogue_id="compassion_break",
                started_at=now - timedelta(days=3),
                ended_at=now - timedelta(days=3),
                outcome="completed",
                measures={"before": 7, "after": 4},
                notes={"situation": "a heavy session"},
            )
            changes.kept_new.append(KeptNote(new_id(), user_id, "supervision", "a note to bring", now))
            await app.repo.flush(conn, changes)
            group = new_id()
            await conn.execute(groups.insert().values(
                id=group, platform="test", chat_key="g1", title="Intervision", locale="fr",
                settings={"every": "week"}, state={}, created_at=now, updated_at=now,
            ))  # fmt: skip
            await conn.execute(group_members.insert().values(group_id=group, user_key=people[0].key, joined_at=now))
            await conn.execute(agenda_items.insert().values(
                id=new_id(), group_id=group, user_key=people[0].key, text_enc=cipher.encrypt("a hard case"),
                name_enc=None, created_at=now,
            ))  # fmt: skip
    finally:
        await app.close()


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as stored (ciphertexts included), in a stable order, and the migration version."""
    db = Database(url)
    try:
        async with db.begin() as conn:
            rows = {}
            for table in metadata.sorted_tables:
                found = (await conn.execute(select(table))).all()
                rows[table.name] = sorted((tuple(r) for r in found), key=repr)
            rows["alembic_version"] = [tuple(r) for r in await conn.execute(text("SELECT * FROM alembic_version"))]
            return rows
    finally:
        await db.dispose()


def cli(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), "db", *args])


@pytest.fixture(autouse=True)
def _no_phare_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PHARE_DATABASE_URL", "PHARE_SECRET_KEY", "PHARE_DATA_DIR", "PHARE_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)


def test_backup_then_restore_into_a_new_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "data"
    asyncio.run(populate(source))
    before = asyncio.run(dump(sqlite_url(source)))
    assert all(before[name] for name in OPENED), str({k: len(v) for k, v in before.items()})

    backup = tmp_path / "phare.backup"
    assert cli(source, "backup", str(backup)) == 0
    assert "without" in capsys.readouterr().out or True
    assert backup.stat().st_mode & 0o077 == 0
    assert cli(source, "backup", str(backup)) == 1  # never overwrites
    assert "exists" in capsys.readouterr().err

    restored = tmp_path / "restored"
    restored.mkdir()
    load_or_create_key(restored)  # the key file may be put back first
    assert cli(restored, "restore", str(backup)) == 0
    assert asyncio.run(dump(sqlite_url(restored))) == before


def test_restore_refuses_a_directory_that_holds_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "data"
    asyncio.run(populate(source))
    backup = tmp_path / "phare.backup"
    assert cli(source, "backup", str(backup)) == 0
    capsys.readouterr()
    before = asyncio.run(dump(sqlite_url(source)))
    assert cli(source, "restore", str(backup)) == 1
    assert "not empty" in capsys.readouterr().err
    assert asyncio.run(dump(sqlite_url(source))) == before

    (tmp_path / "junk").write_text("not a database")
    assert cli(tmp_path / "new", "restore", str(tmp_path / "junk")) == 1
    assert "not a SQLite database" in capsys.readouterr().err
    assert cli(tmp_path / "new", "restore", str(tmp_path / "missing")) == 1
    assert "no backup file" in capsys.readouterr().err


def test_migrate_to_postgresql_copies_every_row_as_stored(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "data"
    asyncio.run(populate(source))
    before = asyncio.run(dump(sqlite_url(source)))

    assert cli(source, "migrate-to", pg_url) == 0
    out = capsys.readouterr().out
    assert "PHARE_SECRET_KEY" in out and "secret.key" in out
    after = asyncio.run(dump(pg_url))
    assert after == before  # every table, every row, ciphertexts as they were, and the migration version
    assert after["alembic_version"] and after["history"] and after["agenda_items"]

    async def read_back() -> None:
        db = Database(pg_url)
        repo = Repository(Cipher([TEST_KEY]))
        try:
            async with db.begin() as conn:
                entry = next(iter(after["history"]))
                owner = entry[1]
                history = await repo.history_of(conn, owner)
                assert history and history[0].notes == {"situation": "a heavy session"}
                raw = (await conn.execute(select(agenda_items.c.text_enc))).scalar_one()
                assert "a hard case" not in raw and repo.cipher.decrypt(raw) == "a hard case"
        finally:
            await db.dispose()

    asyncio.run(read_back())
    # Not twice: the target now holds data.
    assert cli(source, "migrate-to", pg_url) == 1
    assert "not empty" in capsys.readouterr().err


def test_postgresql_backup_and_restore_through_pg_dump(
    tmp_path: Path, pg_url: str, pg_server: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (postgresql-client)")
    source = tmp_path / "data"
    asyncio.run(populate(source))
    assert cli(source, "migrate-to", pg_url) == 0
    before = asyncio.run(dump(pg_url))
    monkeypatch.setenv("PHARE_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("PHARE_DATABASE_URL", pg_url)
    backup = tmp_path / "pg.backup"
    assert cli(tmp_path, "backup", str(backup)) == 0, capsys.readouterr().err
    assert cli(tmp_path, "restore", str(backup)) == 1  # the database holds data
    assert "not empty" in capsys.readouterr().err

    from tests.conftest import _create_db, _drop_db

    name = pg_url.rsplit("/", 1)[1] + "_r"
    asyncio.run(_create_db(pg_server, name))
    try:
        empty = pg_url.rsplit("/", 1)[0] + "/" + name
        monkeypatch.setenv("PHARE_DATABASE_URL", empty)
        assert cli(tmp_path, "restore", str(backup)) == 0, capsys.readouterr().err
        assert asyncio.run(dump(empty)) == before
    finally:
        asyncio.run(_drop_db(pg_server, name))


def test_backup_says_what_is_missing_without_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from storage import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump not found: install the PostgreSQL client"):
        backup.backup_postgres("postgresql://phare:secret@127.0.0.1/phare", tmp_path / "x")
    target = backup.LibpqTarget.of("postgresql+asyncpg://phare:s3cret@db:5432/phare")
    assert target.url == "postgresql://phare@db:5432/phare" and target.env()["PGPASSWORD"] == "s3cret"
