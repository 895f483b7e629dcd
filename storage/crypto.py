"""Encryption of free text at rest. Every ciphertext names its key, so keys can be rotated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import weakref
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)
KEY_FILE = "secret.key"
NONCE_SIZE = 12  # AES-GCM's 96 bits
NONCES_AT_ONCE = 256  # random nonces drawn per os.urandom call: one system call for a batch's encryptions
_ciphers: weakref.WeakSet[Cipher] = weakref.WeakSet()


def _forget_nonces_in_child() -> None:
    """A forked process has a copy of the nonces drawn but not yet used: they are its parent's, and would be
    used twice with the same key. The child draws its own."""
    for cipher in list(_ciphers):
        cipher._nonces.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_nonces_in_child)


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
        # Random nonces drawn NONCES_AT_ONCE at a time, each taken once: deque.popleft is atomic, so two threads
        # never get the same one; a forked child empties its copy (_forget_nonces_in_child).
        self._nonces: deque[bytes] = deque()
        _ciphers.add(self)

    @property
    def key_id(self) -> str:
        return self._current_id

    def _draw(self) -> bytes:
        drawn = os.urandom(NONCE_SIZE * NONCES_AT_ONCE)
        self._nonces.extend([drawn[i : i + NONCE_SIZE] for i in range(NONCE_SIZE, len(drawn), NONCE_SIZE)])
        return drawn[:NONCE_SIZE]

    def encrypt(self, text: str) -> str:
        try:
            nonce = self._nonces.popleft()
        except IndexError:
            nonce = self._draw()
        # The key id is authenticated too: a ciphertext cannot be passed off under another key's name.
        sealed = self._current.encrypt(nonce, text.encode(), self._aad)
        return self._prefix + binascii.b2a_base64(nonce + sealed, newline=False).decode()

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
