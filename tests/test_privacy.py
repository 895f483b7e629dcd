"""Privacy: with every logger at DEBUG, a whole dialogue logs none of the user's words and no secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import metrics
from bot.logs import JsonFormatter
from tests.harness import TEST_KEY, User, make_app, sqlite_url

WORDS = ["Zéphyrine", "Quetzalcoatl", "Marmelade"]


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture(params=["text", "json"])
def all_logs(request: pytest.FixtureRequest) -> Iterator[_Everything]:
    """Every logger at DEBUG, in both formats of `phare run` (PHARE_LOG_FORMAT)."""
    handler = _Everything()
    if request.param == "json":
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "alembic", "httpx",
                 "telegram", "bot", "dialogues", "storage"):  # fmt: skip
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "alembic", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def test_a_whole_dialogue_logs_no_user_words_and_no_secret(tmp_path: Path, all_logs: _Everything) -> None:
    app = await make_app(sqlite_url(tmp_path))
    try:
        user = User(app)
        await user.onboard()
        await user.send("/break")
        await user.tap("other")
        await user.send(f"{WORDS[0]} m'a parlé de {WORDS[1]}")
        await user.tap("continue")
        await user.send("douze")  # a re-prompt path
        await user.send("5")
        for _ in range(3):
            await user.send("ok")
        await user.tap("done")
        await user.send("ok")
        await user.send(f"{WORDS[2]} et douceur")
        await user.send("3")
        await user.send("/export")
        await user.send("/history")
    finally:
        await app.close()
    log = "\n".join(all_logs.lines)
    assert len(all_logs.lines) > 50, "the loggers really were capturing"
    for word in WORDS:
        assert word not in log, f"{word!r} reached a log"
    assert TEST_KEY not in log and TEST_KEY[:20] not in log
    if isinstance(all_logs.formatter, JsonFormatter):
        records = [json.loads(line) for line in all_logs.lines if line.startswith("{")]
        assert len(records) > 50 and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    # /metrics: no user text, no user id, in any label.
    exposed = metrics.render().decode()
    assert "phare_messages_handled_total" in exposed and 'exercise="compassion_break"' in exposed
    for word in [*WORDS, user.key, "douze", "douceur"]:
        assert word not in exposed, f"{word!r} reached /metrics"


async def test_sql_is_logged_without_parameters(tmp_path: Path, all_logs: _Everything) -> None:
    app = await make_app(sqlite_url(tmp_path))
    try:
        await User(app).onboard()
    finally:
        await app.close()
    log = "\n".join(all_logs.lines)
    assert "INSERT INTO users" in log, "SQL statements are logged at DEBUG"
    assert "SQL parameters hidden" in log
