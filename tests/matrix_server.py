"""A real Synapse homeserver for the Matrix tests: installed in its own venv, one per test session.

Synapse is not a dependency of Phare: it lives in a separate virtualenv (cached under
~/.cache/phare-synapse-venv, created on first use or by `.ci/services start matrix`), and runs on
127.0.0.1 with SQLite, no federation and rate limits lifted, so tests measure Phare, not throttling.

Only the standard library is used here, so `python3 tests/matrix_server.py prepare` works before the
project is installed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAME = "localhost"
VENV = Path(os.environ.get("PHARE_SYNAPSE_VENV", "~/.cache/phare-synapse-venv")).expanduser()
SYNAPSE_SPEC = os.environ.get("PHARE_SYNAPSE_SPEC", "matrix-synapse")
# Large enough that no test ever meets a limit; `null` would not mean "unlimited" to Synapse.
_FREE = {"per_second": 100000, "burst_count": 100000}


class SynapseUnavailable(RuntimeError):
    """Synapse could not be installed or started here (no network, no PyPI): the reason, for a skip."""


def venv_python() -> Path:
    return VENV / "bin" / "python"


def _importable(python: Path) -> bool:
    """Checked once by importing (about 2 s), then remembered by a marker file in the venv."""
    marker = VENV / ".phare-ready"
    if not python.exists():
        return False
    if marker.exists():
        return True
    probe = subprocess.run([str(python), "-c", "import synapse.app.homeserver"], capture_output=True, timeout=120)
    if probe.returncode == 0:
        marker.write_text(SYNAPSE_SPEC + "\n")
    return probe.returncode == 0


def ensure_synapse(*, quiet: bool = True) -> Path:
    """The venv's python with Synapse importable, installing it once (about 20 s) under a file lock."""
    python = venv_python()
    if _importable(python):
        return python
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / "phare-synapse-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two sessions (or CI and a developer) must not install at once
        if _importable(python):
            return python
        shutil.rmtree(VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(VENV)],
            # Few retries: without network the tests should skip in seconds, not after minutes of retrying.
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--retries",
                "1",
                "--timeout",
                "30",
                *(["-q"] if quiet else []),
                SYNAPSE_SPEC,
            ],
        ]
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=quiet, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                shutil.rmtree(VENV, ignore_errors=True)
                raise SynapseUnavailable(f"could not install Synapse: {exc}") from exc
            if done.returncode != 0:
                shutil.rmtree(VENV, ignore_errors=True)
                tail = (done.stderr or "").strip().splitlines()[-3:]
                raise SynapseUnavailable(f"could not install {SYNAPSE_SPEC}: {' / '.join(tail) or 'pip failed'}")
    if not _importable(python):
        raise SynapseUnavailable("Synapse was installed but cannot be imported")
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unpadded(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class Account:
    user_id: str
    password: str
    access_token: str
    device_id: str


class Synapse:
    """One homeserver process in `directory`; `start()`, `register()`, `stop()`."""

    def __init__(self, directory: Path, python: Path) -> None:
        self.directory = directory
        self.python = python
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.shared_secret = secrets.token_hex(16)
        self._process: subprocess.Popen[bytes] | None = None

    def config(self) -> dict[str, Any]:
        d = self.directory
        return {
            "server_name": SERVER_NAME,
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "log_config": str(d / "log.yaml"),
            "media_store_path": str(d / "media"),
            "registration_shared_secret": self.shared_secret,
            "enable_registration": False,
            "report_stats": False,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "signing_key_path": str(d / "signing.key"),
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "bcrypt_rounds": 4,  # registration and password logins 20x faster; fine for a throwaway server
            "rc_message": _FREE,
            "rc_registration": _FREE,
            "rc_registration_token_validity": _FREE,
            "rc_login": {"address": _FREE, "account": _FREE, "failed_attempts": _FREE},
            "rc_admin_redaction": _FREE,
            "rc_joins": {"local": _FREE, "remote": _FREE},
            "rc_joins_per_room": _FREE,
            "rc_key_requests": _FREE,
            "rc_3pid_validation": _FREE,
            "rc_invites": {"per_room": _FREE, "per_user": _FREE, "per_issuer": _FREE},
            "rc_third_party_invite": _FREE,
            "rc_media_create": _FREE,
            "rc_presence": {"per_user": _FREE},
            "rc_delayed_event_mgmt": _FREE,
            "rc_room_creation": _FREE,
            "rc_reports": _FREE,
            "rc_user_directory": _FREE,
            "rc_profile": _FREE,
            "rc_federation": {
                "window_size": 1000,
                "sleep_limit": 100000,
                "sleep_delay": 1,
                "reject_limit": 100000,
                "concurrent": 100000,
            },
        }

    def _write_files(self) -> Path:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        (d / "media").mkdir(exist_ok=True)
        # Synapse's signing key format: "<algorithm> <version> <unpadded base64 seed>".
        (d / "signing.key").write_text(f"ed25519 a_test {_unpadded(os.urandom(32))}\n")
        log_config = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "root": {"level": "WARNING", "handlers": ["console"]},
            "disable_existing_loggers": False,
        }
        (d / "log.yaml").write_text(json.dumps(log_config))  # JSON is YAML
        path = d / "homeserver.yaml"
        path.write_text(json.dumps(self.config(), indent=1))
        return path

    def start(self, timeout: float = 60.0) -> None:
        config = self._write_files()
        log = open(self.directory / "synapse.log", "wb")  # noqa: SIM115 — kept open for the process's life
        self._process = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseUnavailable(f"Synapse exited at start: {self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise SynapseUnavailable(f"Synapse did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 8) -> str:
        path = self.directory / "synapse.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return " / ".join(text.strip().splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    # --- HTTP ------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def register(self, localpart: str, password: str | None = None, *, admin: bool = False) -> Account:
        """A new account through the shared-secret admin API (no CLI, no open registration)."""
        password = password or secrets.token_hex(8)
        _, nonce = self.request("GET", "/_synapse/admin/v1/register")
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce["nonce"].encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))  # fmt: skip
        status, body = self.request(
            "POST",
            "/_synapse/admin/v1/register",
            {"nonce": nonce["nonce"], "username": localpart, "password": password, "admin": admin,
             "mac": mac.hexdigest()},
        )  # fmt: skip
        if status != 200:
            raise RuntimeError(f"registration of {localpart} failed: {status} {body}")
        return Account(body["user_id"], password, body["access_token"], body["device_id"])


class Proxy:
    """A TCP relay in front of the homeserver that a test can cut, to see Phare lose the network."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.down = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._writers.difference_update((writer, upstream_writer))

    def cut(self) -> None:
        """Every open connection drops, new ones are refused, until restore()."""
        self.down = True
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def restore(self) -> None:
        self.down = False

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def main(argv: list[str]) -> int:
    if argv[1:] == ["prepare"]:
        try:
            python = ensure_synapse(quiet=False)
        except SynapseUnavailable as exc:
            print(f"matrix: {exc}", file=sys.stderr)
            return 1
        print(f"matrix: Synapse ready in {python.parent.parent}")
        return 0
    print("usage: matrix_server.py prepare", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
