"""The Bot, with two calls that skip python-telegram-bot's object model but keep its HTTP stack and errors.

Phare reads updates and writes keyboards as the Bot API's JSON. Handing such plain values to the Bot's
methods would convert each one again (every parameter is inspected for files, dates and objects), which
cost more than the request itself on the busiest path: a reply and, after a typed answer, a keyboard removal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from telegram import Bot
from telegram.request import RequestData

# Not exported by telegram.request, but it is what RequestData is made of (unchanged since version 20).
from telegram.request._requestparameter import RequestParameter

PlainValue = str | int


class PhareBot(Bot):
    async def call(self, endpoint: str, params: Mapping[str, PlainValue]) -> Any:
        """One API call whose parameters are numbers or strings (objects already serialised as JSON).

        Errors are python-telegram-bot's (RetryAfter, Forbidden, BadRequest, NetworkError…), raised by the same
        request object the Bot's own methods use; the answer is the API's `result`, as JSON."""
        data = RequestData([RequestParameter(name, value, []) for name, value in params.items()])
        return await self.request.post(f"{self.base_url}/{endpoint}", data)

    async def raw_updates(
        self, offset: int | None, timeout: float, allowed_updates: Sequence[str]
    ) -> list[dict[str, Any]]:
        """getUpdates as the Bot API's JSON: the reader takes what it needs, and one unreadable update hides
        neither the others nor its own id."""
        data = {"offset": offset, "timeout": int(timeout), "allowed_updates": list(allowed_updates)}
        read_timeout = (self._request[0].read_timeout or 0) + timeout
        return cast(list[dict[str, Any]], await self._post("getUpdates", data, read_timeout=read_timeout))
