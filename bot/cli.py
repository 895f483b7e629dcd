"""The `phare` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import Settings
from dialogues.graph import mermaid
from dialogues.lint import lint_library
from dialogues.loader import DialogueError, load_library
from storage.crypto import generate_key


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)  # type: ignore[arg-type]


def _logging(level: str, fmt: str = "text", *, count_errors: bool = False) -> None:
    from bot.logs import setup

    setup(level, fmt, count_errors=count_errors)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        library = load_library()
    except DialogueError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    problems = lint_library(library)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{len(library.dialogues)} dialogues, {len(library.catalog)} catalog texts: all good")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    library = load_library()
    if args.all:
        out = Path(args.out or "docs/dialogues")
        out.mkdir(parents=True, exist_ok=True)
        for dialogue in library.dialogues.values():
            (out / f"{dialogue.id}.mmd").write_text(mermaid(dialogue, args.lang), encoding="utf-8")
        print(f"wrote {len(library.dialogues)} diagrams to {out}")
        return 0
    if not args.id or args.id not in library.dialogues:
        print(f"unknown dialogue {args.id!r}; known: {', '.join(sorted(library.dialogues))}", file=sys.stderr)
        return 1
    text = mermaid(library.get(args.id), args.lang)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


async def _console(args: argparse.Namespace) -> int:
    from bot.app import build
    from bot.transports.console import run_console

    settings = _settings(args)
    if args.now:
        from datetime import UTC, datetime

        from bot.transports.console import ConsoleClock

        start = datetime.fromisoformat(args.now)
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        phare = await build(settings, clock=ConsoleClock(start))
    else:
        phare = await build(settings)
    try:
        await run_console(
            phare.writer,
            export_dir=settings.data_dir / "exports",
            locale=args.lang,
            user=args.user,
            transcript=Path(args.transcript) if args.transcript else None,
            first="" if args.no_start else "/start",
        )
    finally:
        await phare.close()
    return 0


async def _upgrade(args: argparse.Namespace) -> int:
    from storage.db import Database

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    await db.migrate()
    await db.dispose()
    print("database is up to date")
    return 0


async def _backup(args: argparse.Namespace) -> int:
    from storage import backup
    from storage.db import Database

    settings = _settings(args)
    target = Path(args.path).resolve()
    db = Database(settings.db_url)
    try:
        if db.is_sqlite:
            backup.backup_sqlite(backup.sqlite_file(db.url), target)
        else:
            backup.backup_postgres(db.url, target)
    except backup.BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(
        f"backup written to {target}. It is encrypted with the instance's key, which it does not contain: keep the "
        "key (PHARE_SECRET_KEY or DATA_DIR/secret.key) safe and apart from it, or the backup is unreadable"
    )
    return 0


async def _restore(args: argparse.Namespace) -> int:
    from storage import backup
    from storage.db import Database

    settings = _settings(args)
    source = Path(args.path).resolve()
    db = Database(settings.db_url)
    try:
        if db.is_sqlite:
            backup.restore_sqlite(source, settings.data_dir, backup.sqlite_file(db.url))
        else:
            await backup.restore_postgres(source, db)
        await db.migrate()  # a backup from an older Phare: brought up to this version's schema
    except backup.BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print("restored. Phare reads it only with the key it was written with (PHARE_SECRET_KEY or secret.key in the "
          "data directory): `phare doctor` checks that the key reads what is stored")  # fmt: skip
    return 0


async def _migrate_to(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from storage import backup
    from storage.db import Database

    settings = _settings(args)
    source, target = Database(settings.db_url), Database(args.url)
    try:
        copied = await backup.migrate_to(source, target)
    except backup.BackupError as exc:
        print(f"migration refused: {exc}", file=sys.stderr)
        return 1
    finally:
        await source.dispose()
        await target.dispose()
    shown = make_url(target.url).render_as_string(hide_password=True)
    print(f"copied {sum(copied.values())} rows ({len(copied)} tables) to {shown}")
    key = (
        "PHARE_SECRET_KEY (unchanged)"
        if settings.secret_key
        else f"PHARE_SECRET_KEY to the contents of {settings.data_dir / 'secret.key'}"
    )
    print(f"now set PHARE_DATABASE_URL to that database and {key}: the rows are still encrypted with that key. "
          "The SQLite database is left as it was; stop using it.")  # fmt: skip
    return 0


async def _run(args: argparse.Namespace) -> int:
    from bot.runner import run_all

    return await run_all(_settings(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="phare", description="A companion bot for psychotherapists.")
    parser.add_argument("--data-dir", help="data directory (default ./.phare, or PHARE_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    console = sub.add_parser("console", help="talk to Phare in this terminal (no account needed)")
    console.add_argument("--data-dir", help="data directory (default ./.phare)", default=argparse.SUPPRESS)
    console.add_argument("--lang", choices=["fr", "en"], help="language for a new user (default: fr)")
    console.add_argument("--user", default="local", help="who is talking (several people can share a data dir)")
    console.add_argument("--transcript", help="append every reply, with its id, to this JSON-lines file")
    console.add_argument("--no-start", action="store_true", help="do not send /start first")
    console.add_argument(
        "--now",
        help="a test clock: start at this instant (ISO 8601; UTC unless an offset is given, e.g. 2027-03-28T07:59 "
        "or 2027-03-28T07:59+01:00) and run on from there; /advance MINUTES jumps ahead",
    )

    run = sub.add_parser("run", help="serve every configured transport (Telegram, Matrix)")
    run.add_argument("--data-dir", default=argparse.SUPPRESS)

    dialogues = sub.add_parser("dialogues", help="check and draw the dialogue files")
    dsub = dialogues.add_subparsers(dest="action", required=True)
    dsub.add_parser("check", help="validate and lint every dialogue file (exit 1 on problems)")
    graph = dsub.add_parser("graph", help="print a Mermaid diagram of a dialogue")
    graph.add_argument("id", nargs="?")
    graph.add_argument("--all", action="store_true", help="write one .mmd file per dialogue")
    graph.add_argument("--out", help="file (or directory with --all)")
    graph.add_argument("--lang", choices=["fr", "en"], default="fr")

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="action", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--data-dir", default=argparse.SUPPRESS)
    backup = dbsub.add_parser("backup", help="write a backup to PATH (SQLite: online backup; PostgreSQL: pg_dump)")
    backup.add_argument("path")
    backup.add_argument("--data-dir", default=argparse.SUPPRESS)
    restore = dbsub.add_parser("restore", help="restore PATH into an empty data directory or an empty database")
    restore.add_argument("path")
    restore.add_argument("--data-dir", default=argparse.SUPPRESS)
    move = dbsub.add_parser("migrate-to", help="copy this SQLite instance into an empty PostgreSQL database")
    move.add_argument("url", help="postgresql://user:password@host/database")
    move.add_argument("--data-dir", default=argparse.SUPPRESS)

    sub.add_parser("keygen", help="print a new encryption key for PHARE_SECRET_KEY")
    doctor = sub.add_parser("doctor", help="check the configuration, database, key and transports (exit 1 on problems)")
    doctor.add_argument("--data-dir", default=argparse.SUPPRESS)

    args = parser.parse_args(argv)
    if args.command == "doctor":
        from bot import doctor as doctor_

        _logging("ERROR")
        return doctor_.run(Path(args.data_dir) if args.data_dir else None)
    settings = Settings()
    _logging(settings.log_level if args.command == "run" else "WARNING", settings.log_format,
             count_errors=args.command == "run")  # fmt: skip
    if args.command == "dialogues":
        return cmd_check(args) if args.action == "check" else cmd_graph(args)
    if args.command == "keygen":
        print(generate_key())
        return 0
    if args.command == "console":
        return asyncio.run(_console(args))
    if args.command == "db":
        actions = {"upgrade": _upgrade, "backup": _backup, "restore": _restore, "migrate-to": _migrate_to}
        return asyncio.run(actions[args.action](args))
    if args.command == "run":
        return asyncio.run(_run(args))
    return 2


if __name__ == "__main__":
    sys.exit(main())
