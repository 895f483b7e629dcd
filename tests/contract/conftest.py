"""The contract's drivers as fixtures: each scenario runs once per transport (ids console, telegram, matrix)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.contract.drivers import ConsoleDriver, Driver, MatrixDriver, TelegramDriver
from tests.matrix_server import Synapse
from tests.test_matrix import _fast_directory
from tests.test_matrix import synapse as synapse  # the homeserver, started only when a Matrix scenario runs

DRIVERS = ("console", "telegram", "matrix")


@pytest.fixture(params=DRIVERS)
def homeserver(request: pytest.FixtureRequest) -> Synapse | None:
    """Synapse for the Matrix driver (a failure, not a skip, when PHARE_REQUIRE_SERVICES=1); None otherwise."""
    return request.getfixturevalue("synapse") if request.param == "matrix" else None


@pytest.fixture
async def unopened(
    request: pytest.FixtureRequest,
    homeserver: Synapse | None,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[Driver]:
    """A driver not started yet (a scenario that must see Phare's whole run opens it); closed afterwards."""
    kind = request.node.callspec.params["homeserver"]
    directory: Path | None = None
    made: Driver
    if kind == "console":
        made = ConsoleDriver(tmp_path, caplog)
    elif kind == "telegram":
        made = TelegramDriver(tmp_path, caplog)
    else:
        assert homeserver is not None
        directory = _fast_directory(tmp_path_factory)  # memory-backed: Phare's SQLite commits too
        made = MatrixDriver(homeserver, directory, caplog)
    yield made
    await made.close()
    if directory is not None and str(directory).startswith("/dev/shm/"):
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def driver(unopened: Driver) -> Driver:
    await unopened.open()
    return unopened
