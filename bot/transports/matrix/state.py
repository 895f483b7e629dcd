"""What the Matrix transport remembers across restarts, in a small SQLite file next to the crypto store.

- the sync token, saved only after every event of a sync batch is committed by the writer, so a crash
  re-reads the batch (the writer drops what it already processed: message ids are event ids);
- the options shown with each question (event id → buttons), so a reaction or a typed number answers
  even after a restart, and a reaction to an older question reaches the writer as a stale button;
- each person's direct chat with the bot;
- notices already sent (one "I was offline" per room and catch-up, one "could not decrypt" per session);
- encrypted events Phare could not decrypt yet (still encrypted, as received), held a few seconds for
  their key to arrive before the person is told.

Nothing here is what people wrote: option labels come from the dialogue files.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from bot.messages import Button

KEEP_QUESTIONS = 14 * 24 * 3600  # an older question's buttons are stale for the writer anyway

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, buttons TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS last_question (room_id TEXT PRIMARY KEY, event_id TEXT);
CREATE TABLE IF NOT EXISTS direct (user_id TEXT PRIMARY KEY, room_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notices (key TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS held (
    event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, event TEXT NOT NULL, private INTEGER NOT NULL,
    members INTEGER NOT NULL, first_seen REAL NOT NULL);
"""


class MatrixState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        # Writes are few and small (a token per sync, a row per question): synchronous calls are fine.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # the sync token must survive a power cut
        self._db.executescript(_SCHEMA)
        self._db.execute("DELETE FROM questions WHERE created < ?", (time.time() - KEEP_QUESTIONS,))

    def close(self) -> None:
        self._db.close()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))

    @property
    def sync_token(self) -> str | None:
        return self.get("sync_token")

    def save_sync_token(self, token: str) -> None:
        self.put("sync_token", token)

    # --- questions ---------------------------------------------------------------------------------------

    def shown(self, room_id: str, event_id: str, buttons: tuple[Button, ...]) -> None:
        """A message was posted: with options it becomes the room's current question; without, none is."""
        with self._db:
            if buttons:
                data = json.dumps([[b.id, b.label, b.ref] for b in buttons], ensure_ascii=False)
                self._db.execute("INSERT OR REPLACE INTO questions VALUES (?, ?, ?, ?)",
                                 (event_id, room_id, data, time.time()))  # fmt: skip
            self._db.execute("INSERT OR REPLACE INTO last_question VALUES (?, ?)",
                             (room_id, event_id if buttons else None))  # fmt: skip

    def buttons_of(self, event_id: str) -> tuple[Button, ...]:
        row = self._db.execute("SELECT buttons FROM questions WHERE event_id = ?", (event_id,)).fetchone()
        return () if row is None else tuple(Button(*b) for b in json.loads(row[0]))

    def current_buttons(self, room_id: str) -> tuple[Button, ...]:
        row = self._db.execute("SELECT event_id FROM last_question WHERE room_id = ?", (room_id,)).fetchone()
        return () if row is None or row[0] is None else self.buttons_of(str(row[0]))

    # --- direct chats --------------------------------------------------------------------------------------

    def direct_room(self, user_id: str) -> str | None:
        row = self._db.execute("SELECT room_id FROM direct WHERE user_id = ?", (user_id,)).fetchone()
        return None if row is None else str(row[0])

    def set_direct(self, user_id: str, room_id: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO direct VALUES (?, ?)", (user_id, room_id))

    # --- events waiting for their key -------------------------------------------------------------------

    def hold(self, room_id: str, event: dict[str, object], private: bool, members: int) -> None:
        event_id = str(event.get("event_id", ""))
        self._db.execute("INSERT OR IGNORE INTO held VALUES (?, ?, ?, ?, ?, ?)",
                         (event_id, room_id, json.dumps(event), int(private), members, time.time()))  # fmt: skip

    def held(self) -> list[tuple[str, dict[str, object], bool, int, float]]:
        rows = self._db.execute("SELECT room_id, event, private, members, first_seen FROM held ORDER BY first_seen")
        return [(str(r[0]), json.loads(r[1]), bool(r[2]), int(r[3]), float(r[4])) for r in rows.fetchall()]

    def release(self, event_ids: list[str]) -> None:
        self._db.executemany("DELETE FROM held WHERE event_id = ?", [(e,) for e in event_ids])

    # --- notices ---------------------------------------------------------------------------------------------

    def noticed(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM notices WHERE key = ?", (key,)).fetchone() is not None

    def mark_noticed(self, key: str) -> None:
        """Marked after the notice is sent; a crash in between resends it with the same transaction id,
        which the homeserver deduplicates."""
        self._db.execute("INSERT OR IGNORE INTO notices VALUES (?, ?)", (key, time.time()))
