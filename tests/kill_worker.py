"""A Phare process for the kill test: replays a script of messages, can be SIGKILLed at any moment.

Usage: python -m tests.kill_worker DATA_DIR SCRIPT_JSON

Every user's messages are sent in order, all users concurrently (as a transport would). After a message's
step is committed, its position is appended to DATA_DIR/progress (fsync): on restart each user resumes from
there, re-sending at most the message that was in flight (the writer drops it if it was committed).
Replies go to DATA_DIR/transcript.jsonl through the console transport, one line per delivery with its
outbox id: the line is the delivery mark, so replies still in the outbox after a kill are sent once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.messages import Incoming
from bot.outbox import Dispatcher
from bot.transports.console import ConsoleTransport
from bot.writer import Writer
from dialogues.loader import load_library
from storage.crypto import Cipher, load_or_create_key
from storage.db import Database, sqlite_url
from storage.repo import Repository


class _Null:
    def write(self, _: str) -> int:
        return 0

    def flush(self) -> None:
        pass


async def main(data_dir: Path, script: dict[str, list[str]]) -> None:
    db = Database(sqlite_url(data_dir))
    await db.migrate()
    writer = Writer(db, Repository(Cipher([load_or_create_key(data_dir)])), load_library())
    transport = ConsoleTransport(_Null(), data_dir / "exports", data_dir / "transcript.jsonl")  # type: ignore[arg-type]
    transport.platform = "kill"
    dispatcher = Dispatcher(transport, writer.mark_sent, concurrency=4)
    writer.on_commit(dispatcher.enqueue)
    await writer.start()
    await dispatcher.start(await writer.pending("kill"))
    progress_path = data_dir / "progress"
    done: dict[str, int] = {}
    if progress_path.exists():
        for line in progress_path.read_text().splitlines():
            if line.strip():
                user, _, index = line.partition(" ")
                done[user] = max(done.get(user, -1), int(index))
    progress = progress_path.open("a")
    lock = asyncio.Lock()
    print("ready", flush=True)

    async def play(user: str, messages: list[str]) -> None:
        for index in range(done.get(user, -1) + 1, len(messages)):
            await writer.submit(
                Incoming(
                    platform="kill", user_key=user, chat_key=user, message_id=f"{user}-{index}",
                    received_at=datetime.now(UTC), text=messages[index], locale="fr",
                )
            )  # fmt: skip
            async with lock:
                progress.write(f"{user} {index}\n")
                progress.flush()
                os.fsync(progress.fileno())

    await asyncio.gather(*(play(user, messages) for user, messages in script.items()))
    await dispatcher.drain()
    await dispatcher.stop()
    await writer.stop()
    await db.dispose()
    print("finished", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())))
