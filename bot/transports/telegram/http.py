"""python-telegram-bot's request interface on aiohttp's client instead of HTTPX.

Every reply is one HTTP request, and a typed answer or a tap costs another: over HTTP, HTTPX's client took
about 1 ms of CPU a request on the project's 2-core VM, aiohttp's about 0.17 ms (bench/http_path.py). Only
the transport changes: python-telegram-bot still builds the parameters, reads the answer and raises its own
errors (RetryAfter, Forbidden, BadRequest…) from the status and body returned here.

HTTP/1.1 with keep-alive: connections are reused across requests, up to `connection_pool_size` at once.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        keepalive_timeout: float = 15.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._keepalive = keepalive_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=self._keepalive)
            # trust_env: a proxy set in the environment is used, as HTTPX did.
            self._session = aiohttp.ClientSession(connector=connector, trust_env=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def _given(value: Any, default: float | None) -> float | None:
        return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._given(read_timeout, self._read_timeout)
        connect = self._given(connect_timeout, self._connect_timeout)
        pool = self._given(pool_timeout, self._pool_timeout)
        # aiohttp's `connect` covers waiting for a free pooled connection and opening one; `sock_read` is the
        # longest silence while reading, as HTTPX's read timeout (getUpdates adds its long-poll time to it).
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, upload in request_data.multipart_data.items():
                    filename, content, mimetype = upload
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, headers={"User-Agent": self.USER_AGENT}
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut() from exc
        except aiohttp.ClientError as exc:
            # The class name only: some of aiohttp's messages quote the URL, and Telegram's carries the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc
