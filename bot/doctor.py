"""`phare doctor`: is this configuration ready to run? One line per check; exit 0 when all is well, 1 otherwise.

Checks, in order: the configuration (PHARE_* variables), the database (reachable, migrations current), the
encryption key (present, readable by its owner only, able to read what is stored) and each configured
transport (Telegram getMe; Matrix whoami, and with PostgreSQL whether the data directory is the one the device
was last used from). It changes nothing: no migration, no key file, no sign-in."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select, text

from bot.config import Settings
from storage.crypto import KEY_FILE, Cipher
from storage.db import MIGRATIONS, Database

TIMEOUT = 10.0


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    fine: list[str] = field(default_factory=list)

    def ok(self, line: str) -> None:
        self.fine.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)


def settings_or_report(report: Report, **overrides: object) -> Settings | None:
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            name = f"PHARE_{where.upper()}: " if where else ""
            report.problem(f"configuration: {name}{error['msg']}")
        return None
    if not settings.telegram_token and not settings.matrix_homeserver:
        report.problem("configuration: no transport: set PHARE_TELEGRAM_TOKEN or PHARE_MATRIX_HOMESERVER")
    else:
        report.ok("configuration: read")
    return settings


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    return head or ""


async def check_database(report: Report, settings: Settings) -> Database | None:
    if settings.database_url is None and not (settings.data_dir / "phare.db").exists():
        report.problem(f"database: no database in {settings.data_dir} yet: run `phare db upgrade` (or `phare run`)")
        return None
    db = Database(settings.db_url)
    try:
        async with asyncio.timeout(TIMEOUT), db.begin() as conn:
            await conn.execute(text("SELECT 1"))
            try:
                current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            except Exception:  # noqa: BLE001 — no version table: never migrated
                current = None
    except Exception as exc:  # noqa: BLE001 — any failure is the line to print
        report.problem(f"database: unreachable ({type(exc).__name__}: {_short(exc)})")
        await db.dispose()
        return None
    head = _head_revision()
    if current != head:
        report.problem(f"database: migrations not current (at {current or 'none'}, code at {head}): "
                       "run `phare db upgrade`")  # fmt: skip
    else:
        report.ok(f"database: reachable, migrations current ({head})")
    return db


async def check_key(report: Report, settings: Settings, db: Database | None) -> Cipher | None:
    keys: list[str] = []
    if settings.secret_key is not None:
        keys.append(settings.secret_key.get_secret_value())
        where = "PHARE_SECRET_KEY"
    else:
        path = settings.data_dir / KEY_FILE
        where = str(path)
        if not path.exists():
            report.problem(f"encryption key: {path} is missing (and PHARE_SECRET_KEY is unset)")
            return None
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            report.problem(f"encryption key: {path} is readable by others (mode {mode:04o}): chmod 600 {path}")
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            report.problem(f"encryption key: {path} belongs to another user than the one running Phare")
        keys.append(path.read_text().strip())
    keys.extend(k.strip() for k in settings.old_secret_keys.split(",") if k.strip())
    try:
        cipher = Cipher(keys)
    except Exception as exc:  # noqa: BLE001 — a malformed key
        report.problem(f"encryption key: {where} is not a valid key ({_short(exc)}); `phare keygen` makes one")
        return None
    if db is not None and not await _can_read(report, db, cipher, where):
        return None
    report.ok(f"encryption key: {where}")
    return cipher


async def _can_read(report: Report, db: Database, cipher: Cipher, where: str) -> bool:
    """The key opens what is stored (one sample row, if there is one)."""
    from storage.tables import outbox, runs

    for table, column in ((runs, runs.c.state_enc), (outbox, outbox.c.payload_enc)):
        try:
            async with db.begin() as conn:
                sample = (await conn.execute(select(column).select_from(table).limit(1))).scalar()
        except Exception:  # noqa: BLE001 — an unmigrated table is reported by the database check
            continue
        if isinstance(sample, str) and sample:
            try:
                cipher.decrypt(sample)
            except Exception:  # noqa: BLE001 — the wrong key
                report.problem(f"encryption key: {where} cannot read the stored data (another key wrote it)")
                return False
            return True
    return True


async def check_telegram(report: Report, settings: Settings) -> None:
    assert settings.telegram_token is not None
    try:
        from telegram import Bot
        from telegram.request import HTTPXRequest
    except ImportError:
        report.problem("telegram: support not installed: pip install 'phare[telegram]'")
        return
    kwargs: dict[str, object] = {}
    if settings.telegram_base_url:
        from bot.transports.telegram.service import file_url

        kwargs = {"base_url": settings.telegram_base_url, "base_file_url": file_url(settings.telegram_base_url)}
    request = HTTPXRequest(connect_timeout=TIMEOUT, read_timeout=TIMEOUT)
    bot = Bot(settings.telegram_token.get_secret_value(), request=request, **kwargs)  # type: ignore[arg-type]
    where = settings.telegram_base_url or "api.telegram.org"
    try:
        async with asyncio.timeout(2 * TIMEOUT):
            me = await bot.get_me()
    except Exception as exc:  # noqa: BLE001 — unreachable, refused token, timeout: each says why
        report.problem(f"telegram: getMe failed at {_redact(where, settings)} ({type(exc).__name__}: "
                       f"{_redact(_short(exc), settings)})")  # fmt: skip
        return
    finally:
        await request.shutdown()
    report.ok(f"telegram: getMe answered @{me.username}")


async def check_matrix(report: Report, settings: Settings, cipher: Cipher | None) -> None:
    homeserver = settings.matrix_homeserver or ""
    try:
        from nio import AsyncClient, WhoamiError
    except ImportError:
        report.problem("matrix: support not installed: pip install 'phare[matrix]'")
        return
    token = settings.matrix_access_token.get_secret_value() if settings.matrix_access_token else None
    session = settings.data_dir / "matrix" / "session.json"
    if token is None and session.exists() and cipher is not None:
        from bot.transports.matrix.secrets import SecretFile

        try:
            token = (SecretFile(session, cipher).read() or {}).get("access_token")
        except Exception:  # noqa: BLE001 — a session the key cannot open
            report.problem(f"matrix: {session} cannot be read with this key")
            return
    client = AsyncClient(homeserver, settings.matrix_user or "")
    try:
        async with asyncio.timeout(TIMEOUT):
            if token is None:
                # Never signed in yet, and a password sign-in would create a device: only the server is probed.
                import aiohttp

                async with aiohttp.ClientSession() as http, http.get(f"{homeserver}/_matrix/client/versions") as r:
                    if r.status != 200:
                        report.problem(f"matrix: {homeserver} answered {r.status} to /_matrix/client/versions")
                        return
                report.ok(f"matrix: {homeserver} answers (not signed in yet: the first `phare run` signs in)")
                return
            else:
                client.access_token = token
                response = await client.whoami()
    except Exception as exc:  # noqa: BLE001 — unreachable, DNS, TLS
        report.problem(f"matrix: {homeserver} unreachable ({type(exc).__name__}: {_short(exc)})")
        return
    finally:
        await client.close()
    if isinstance(response, WhoamiError):
        report.problem(f"matrix: whoami refused at {homeserver} ({response.status_code}: {response.message})")
        return
    if settings.matrix_user and settings.matrix_user.startswith("@") and response.user_id != settings.matrix_user:
        report.problem(f"matrix: signed in as {response.user_id}, not PHARE_MATRIX_USER={settings.matrix_user}")
        return
    report.ok(f"matrix: whoami answered {response.user_id} (device {response.device_id})")


async def check_matrix_directory(report: Report, settings: Settings, db: Database) -> None:
    """With replicas (PostgreSQL): whether this data directory is the one the Matrix device was last used from
    (bot/transports/matrix/epoch.py), before the day this replica has to take the device over."""
    from bot.transports.matrix import epoch, lease_name, options_from
    from storage.tables import connection_epochs

    try:
        name = lease_name(options_from(settings))[:255]
        async with asyncio.timeout(TIMEOUT), db.begin() as conn:
            query = select(connection_epochs.c.epoch).where(connection_epochs.c.name == name)
            recorded = (await conn.execute(query)).scalar()
    except Exception as exc:  # noqa: BLE001 — the line to print
        report.problem(f"matrix: could not read which directory the device was last used from ({type(exc).__name__})")
        return
    directory = settings.data_dir / "matrix"
    marks = epoch.read(directory / epoch.EPOCH_FILE)
    if recorded is None:
        report.ok("matrix: no replica has used the device yet: the first to start gives it its data directory")
    elif recorded in (marks.current, marks.next):
        report.ok(f"matrix: {directory} is the directory the device was last used from")
    else:
        report.problem(f"matrix: {directory} is not the directory the device was last used from (another machine's, "
                       "or an old copy): this replica would be refused the device; give every replica the same data "
                       "directory (docs/operators.md, section 6)")  # fmt: skip


async def diagnose(settings: Settings, report: Report) -> None:
    db = await check_database(report, settings)
    try:
        cipher = await check_key(report, settings, db)
        if settings.telegram_token is not None:
            await check_telegram(report, settings)
        if settings.matrix_homeserver:
            await check_matrix(report, settings, cipher)
            if db is not None and db.is_postgres:
                await check_matrix_directory(report, settings, db)
    finally:
        if db is not None:
            await db.dispose()


def run(data_dir: Path | None = None) -> int:
    report = Report()
    settings = settings_or_report(report, **({"data_dir": data_dir} if data_dir else {}))
    if settings is not None:
        asyncio.run(diagnose(settings, report))
    for line in report.fine:
        print(f"ok       {line}")
    for line in report.problems:
        print(f"PROBLEM  {line}")
    if report.problems:
        print(f"{len(report.problems)} problem(s)")
        return 1
    print("all good")
    return 0


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _redact(line: str, settings: Settings) -> str:
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    return line.replace(token, "<token>") if token else line
