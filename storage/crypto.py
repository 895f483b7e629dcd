"""Encryption of free text at rest. Every ciphertext names its key, so keys can be rotated."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)
KEY_FILE = "secret.key"


class KeyError_(RuntimeError):
    """A configuration problem with the encryption keys, stated so an operator can fix it."""


def _key_id(key: bytes) -> str:  # of the raw 32 bytes
    return hashlib.sha256(key).hexdigest()[:8]


def _check(key: str) -> bytes:
    raw = key.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) != 32:
            raise ValueError
    except ValueError as exc:
        raise KeyError_("PHARE_SECRET_KEY must be 32 url-safe base64 bytes; make one with: phare keygen") from exc
    return raw


class Cipher:
    """AES-256-GCM with a random 96-bit nonce; the key id prefixes every ciphertext.

    Encrypts with the first key, decrypts with any: rotate by putting the new key first. (AES-GCM rather
    than Fernet: the same authenticated encryption at a fraction of the cost, which matters since every
    step encrypts its state and its replies.)
    """

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise KeyError_("at least one encryption key is needed")
        raw = [base64.urlsafe_b64decode(_check(k)) for k in keys]
        self._current_id = _key_id(raw[0])
        self._current = AESGCM(raw[0])
        self._aad = self._current_id.encode()  # every step encrypts twice: made once
        self._prefix = f"{self._current_id}:"
        self._all = {_key_id(k): AESGCM(k) for k in raw}

    @property
    def key_id(self) -> str:
        return self._current_id

    def encrypt(self, text: str) -> str:
        nonce = os.urandom(12)
        # The key id is authenticated too: a ciphertext cannot be passed off under another key's name.
        sealed = self._current.encrypt(nonce, text.encode(), self._aad)
        return self._prefix + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        key_id, _, body = token.partition(":")
        aead = self._all.get(key_id)
        if aead is None:
            raise KeyError_(f"data was encrypted with key {key_id}, which is not configured")
        try:
            blob = base64.b64decode(body)
            return aead.decrypt(blob[:12], blob[12:], key_id.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise KeyError_(f"data under key {key_id} could not be decrypted (wrong key?)") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()


def load_or_create_key(data_dir: Path) -> str:
    """For SQLite only: one key file in the data directory, readable by its owner alone."""
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning("generated an encryption key in %s (mode 0600); back it up with the database", path)
    return key
