"""Whether this data directory holds the Matrix device's current store, when replicas take the device over.

The device's keys and sessions are files (`store/`, `session.json`, `state.db`), and Olm and Megolm ratchet with
every message: a copy of them goes out of date as soon as the original is used again. A replica that took the
device over with another machine's directory, or with an old copy, would sign in a second device (one the
people's clients were never told to trust) or send with spent keys (messages they cannot decrypt). So each
takeover starts a new epoch, written to `epoch.json` in the directory and to the database (through the lock's
own session: only the owner writes), and a replica whose directory does not hold the recorded epoch is refused
the device. What this cannot see: a copy taken while its owner was running and is the latest epoch still.

The file is written before the database, and keeps the previous epoch until the database has the new one, so a
crash between the two writes leaves a directory that is still accepted.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

EPOCH_FILE = "epoch.json"


class Recorder(Protocol):
    """The device's lease (bot/ownership.Lease), as far as epochs go."""

    async def recorded_epoch(self) -> str | None: ...

    async def record_epoch(self, epoch: str) -> None: ...


@dataclass(frozen=True)
class Marks:
    current: str | None = None
    next: str | None = None  # being recorded: the database may have it already


def read(path: Path) -> Marks:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Marks()
    return Marks(data.get("current"), data.get("next"))


def write(path: Path, marks: Marks) -> None:
    """Atomically and durably: a takeover after a power cut must find one whole file or the other."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"current": marks.current, "next": marks.next}, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


async def take_over(directory: Path, lease: Recorder) -> bool:
    """With the device's lock held: False if `directory` is not the one its last owner used; else True, with a
    new epoch recorded in both."""
    path = directory / EPOCH_FILE
    mine = read(path)
    recorded = await lease.recorded_epoch()
    if recorded is not None and recorded not in (mine.current, mine.next):
        return False
    new = secrets.token_hex(16)
    write(path, Marks(recorded, new))
    await lease.record_epoch(new)
    write(path, Marks(new))
    return True
