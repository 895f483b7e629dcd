"""Operations: /healthz, /readyz and /metrics of `phare run` (PHARE_HTTP_LISTEN), and `phare doctor`, against the
local Bot API double."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.health import parse_listen
from bot.logs import JsonFormatter, setup
from bot.runner import run_all
from storage.crypto import load_or_create_key
from tests.telegram_double import TOKEN, BotApiDouble, TgUser

FAST = {"telegram_rate_overall": 10_000, "telegram_rate_private": 10_000, "telegram_rate_group": 10_000}
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(double: BotApiDouble, data_dir: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=data_dir,
        telegram_token=TOKEN,
        telegram_base_url=double.base_url,
        operator_contact="Dr Test (test@example.org)",
        **{**FAST, **extra},
    )


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def figure(exposed: str, name: str, labels: str = "") -> float:
    for line in exposed.splitlines():
        if line.startswith(f"{name}{{{labels}}} " if labels else f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_phare_run_serves_health_readiness_and_metrics(double: BotApiDouble, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    running = asyncio.create_task(run_all(settings_for(double, tmp_path, http_listen=f"127.0.0.1:{port}"), stop=stop))
    try:
        await double.wait_until(lambda: bool(double.calls_to("getUpdates")))
        assert await get(f"{base}/healthz") == (200, "ok\n")
        assert await get(f"{base}/readyz") == (200, "ready\nTelegramService: polling here\n")
        status, exposed = await get(f"{base}/metrics")
        assert status == 200
        before = figure(exposed, "phare_messages_handled_total", 'platform="telegram"')
        assert "phare_step_latency_seconds_bucket" in exposed and "phare_outbox_depth" in exposed

        user = TgUser(91, language_code="fr")
        double.text(user, "/start")
        await double.wait_until(lambda: bool(double.chat(91)))
        status, exposed = await get(f"{base}/metrics")
        assert figure(exposed, "phare_messages_handled_total", 'platform="telegram"') == before + 1
        assert figure(exposed, "phare_step_latency_seconds_count") >= 1
        assert "91" not in [v for line in exposed.splitlines() if "{" in line for v in line.split('"')[1::2]]
        assert (await get(f"{base}/nothing"))[0] == 404
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 10) == 0
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(f"{base}/healthz")  # closed with the process


async def test_readyz_says_which_transport_is_not_connected(tmp_path: Path) -> None:
    """A Bot API that never answers: the process is up (/healthz) but not ready (/readyz 503, and why)."""
    hold = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await hold.wait()
        writer.close()

    silent_server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    silent = silent_server.sockets[0].getsockname()[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        telegram_token=TOKEN,
        telegram_base_url=f"http://127.0.0.1:{silent}/bot",
        http_listen=f"127.0.0.1:{port}",
        retry_base=0.05,
        retry_max=0.1,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run_all(settings, stop=stop))
    try:
        for _ in range(100):
            try:
                status, body = await get(f"{base}/readyz")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert status == 503 and "TelegramService not connected" in body
        assert await get(f"{base}/healthz") == (200, "ok\n")
    finally:
        stop.set()
        hold.set()
        silent_server.close()
        await asyncio.wait_for(running, 30)


def test_http_listen_is_checked_at_start() -> None:
    assert parse_listen("127.0.0.1:9100") == ("127.0.0.1", 9100)
    assert parse_listen("[::1]:9100") == ("::1", 9100)
    with pytest.raises(ValueError, match="HOST:PORT"):
        Settings(http_listen="localhost")  # type: ignore[call-arg]


async def doctor(data_dir: Path, **env: str) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PHARE_")}
    environment.update(PHARE_DATA_DIR=str(data_dir), PHARE_TELEGRAM_TOKEN=TOKEN, **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "doctor", cwd=data_dir, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def ready_data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    from storage.db import Database, sqlite_url

    data_dir.mkdir()
    db = Database(sqlite_url(data_dir))
    await db.migrate()
    await db.dispose()
    load_or_create_key(data_dir)
    return data_dir


async def test_doctor_passes_on_a_working_setup(double: BotApiDouble, tmp_path: Path) -> None:
    data_dir = await ready_data_dir(tmp_path)
    code, out = await doctor(data_dir, PHARE_TELEGRAM_BASE_URL=double.base_url, PYTHONPATH=str(ROOT))
    assert code == 0, out
    assert "getMe answered @" in out and "migrations current" in out and out.rstrip().endswith("all good")
    assert TOKEN not in out


async def test_doctor_names_each_problem_on_its_own_line(tmp_path: Path) -> None:
    data_dir = await ready_data_dir(tmp_path)
    (data_dir / "secret.key").chmod(0o644)
    closed = free_port()
    code, out = await doctor(data_dir, PHARE_TELEGRAM_BASE_URL=f"http://127.0.0.1:{closed}/bot", PYTHONPATH=str(ROOT))
    assert code == 1, out
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM")]
    assert len(problems) == 2, out
    assert any("telegram: getMe failed" in p and str(closed) in p for p in problems)
    assert any("readable by others" in p for p in problems)
    assert TOKEN not in out and TOKEN.split(":")[1] not in out


async def test_doctor_on_an_empty_data_dir_says_to_migrate(double: BotApiDouble, tmp_path: Path) -> None:
    code, out = await doctor(tmp_path, PHARE_TELEGRAM_BASE_URL=double.base_url, PYTHONPATH=str(ROOT))
    assert code == 1 and "phare db upgrade" in out, out


def test_third_party_loggers_are_held_at_warning_unless_debug(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in ("apscheduler", "nio")})
    try:
        setup("INFO", "json")
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("sqlalchemy.engine").getEffectiveLevel() == logging.WARNING
        logging.getLogger("apscheduler.scheduler").info("Running job every second")
        logging.getLogger("bot.runner").info("stopping")
        lines = capsys.readouterr().err.splitlines()
        assert [json.loads(line)["message"] for line in lines] == ["stopping"]
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        setup("DEBUG", "text")
        assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING  # its URLs carry the token
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[1]:
            root.addHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
        for name in ("sqlalchemy", "aiosqlite", "httpcore", "aiohttp", "matplotlib", "PIL", "apscheduler", "nio"):
            logging.getLogger(name).setLevel(logging.WARNING)
