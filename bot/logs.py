"""Logging for `phare run` and the other commands: readable text or one JSON object per line, third-party
libraries held at WARNING (APScheduler alone logs two INFO lines a second) unless PHARE_LOG_LEVEL=DEBUG.

What is logged never holds what people write: the code logs facts (ids of nothing personal, counts, error
types), tests/test_privacy.py checks a whole dialogue at DEBUG, and the Telegram token is redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

THIRD_PARTY = ("apscheduler", "httpx", "httpcore", "nio", "sqlalchemy", "aiosqlite", "aiohttp", "matplotlib", "PIL")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str, fmt: str = "text", *, count_errors: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if count_errors:
        from bot.metrics import ErrorCounter

        root.addHandler(ErrorCounter())
    quiet = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(quiet)
    # httpx logs request URLs at INFO, and Telegram's URLs carry the bot token: never below WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)
