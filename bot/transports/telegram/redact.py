"""Keeping the bot token (and what people write) out of every log record, whichever logger made it.

Telegram's API URLs carry the bot token, and httpx logs every request URL; python-telegram-bot logs
request parameters and raw updates at DEBUG. A filter on one logger would miss records that other loggers
create, so the scrubbing happens where every record is born: the log record factory.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

PLACEHOLDER = "[redacted]"
HIDDEN = "[payload hidden]"
# Loggers of python-telegram-bot: their arguments can be whole updates or request bodies (user text).
_PAYLOAD_LOGGERS = ("telegram",)
# An argument that names a thing (a method, an id) rather than carrying a payload.
_NAME = re.compile(r"[\w.@:/-]{0,64}")

_secrets: set[str] = set()
_lock = threading.Lock()
_previous_factory: Callable[..., logging.LogRecord] | None = None


def install_redaction(*secrets: str) -> None:
    """Redact these secrets from every record created from now on (idempotent; secrets accumulate)."""
    global _previous_factory
    with _lock:
        for secret in secrets:
            if secret:
                _secrets.add(secret)
                _secrets.add(quote(secret, safe=""))
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_make_record)
    # httpx logs each request URL at INFO; the redaction covers it, but nobody needs those lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, PLACEHOLDER)
    return text


def _make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _previous_factory is not None
    record = _previous_factory(*args, **kwargs)
    try:
        scrub(record)
    except Exception:  # noqa: BLE001 — logging must never fail because of the scrubber
        record.msg, record.args = "log record withheld: it could not be checked for secrets", None
    return record


def _safe(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _NAME.fullmatch(value):
        return value
    return HIDDEN


def scrub(record: logging.LogRecord) -> None:
    if record.name.startswith(_PAYLOAD_LOGGERS) and record.args:
        if isinstance(record.args, Mapping):
            record.args = {k: _safe(v) for k, v in record.args.items()}
        else:
            record.args = tuple(_safe(v) for v in record.args)
    if not _secrets:
        return
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        cleaned = redact(record.exc_text)
        if cleaned != record.exc_text:
            # Formatters use exc_text when set; dropping exc_info stops anyone formatting the original.
            record.exc_text, record.exc_info = cleaned, None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
