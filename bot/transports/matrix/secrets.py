"""Small secret files in the Matrix data directory, encrypted with Phare's storage key.

The access token, the crypto store's pickle key and the cross-signing private keys are credentials: they
are written encrypted with the same Cipher as the database's free text (PHARE_SECRET_KEY, or the generated
key file with SQLite), mode 0600, replaced atomically. Key rotation works as for the database: a file
written under an old key stays readable while that key is listed in PHARE_OLD_SECRET_KEYS, and is
rewritten under the current key the next time it changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol


class Sealer(Protocol):
    """Phare's storage key as the transport sees it (bot/app.py passes the database's cipher)."""

    def encrypt(self, text: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class SecretFile:
    def __init__(self, path: Path, cipher: Sealer) -> None:
        self.path = path
        self._cipher = cipher

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        data = json.loads(self._cipher.decrypt(self.path.read_text(encoding="utf-8").strip()))
        if not isinstance(data, dict):
            raise ValueError(f"{self.path.name} does not hold a mapping")
        return data

    def write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        token = self._cipher.encrypt(json.dumps(data, sort_keys=True))
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, self.path)
