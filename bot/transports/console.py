"""The console transport: Phare in a terminal, or fed by a pipe for scripted runs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.messages import Button, Delivery, Incoming
from bot.outbox import Dispatcher
from bot.scheduler import CheckinScheduler
from bot.transports.base import Inbox, Transport
from bot.transports.numbering import match_button
from bot.writer import Writer
from dialogues import markup

PLATFORM = "console"

_ANSI = markup.Styles(bold=("\x1b[1m", "\x1b[22m"), italic=("\x1b[3m", "\x1b[23m"))


def terminal_text(text: str, *, ansi: bool) -> str:
    """Phare's light markup (dialogues/markup.py) for a terminal: bold and italic in ANSI on a real terminal,
    plain text anywhere else (a pipe, a file): never Phare's asterisks, always those people typed."""
    return markup.render(text, _ANSI) if ansi else markup.plain(text)


def _is_terminal(out: TextIO) -> bool:
    """ANSI styles only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    isatty = getattr(out, "isatty", None)
    try:
        return callable(isatty) and bool(isatty()) and not os.environ.get("NO_COLOR")
    except (ValueError, OSError):  # a closed stream
        return False


class ConsoleTransport(Transport):
    platform = PLATFORM
    reads_escapes = True  # terminal_text shows what people wrote as they wrote it

    def __init__(self, out: TextIO, export_dir: Path, transcript: Path | None = None,
                 inbox: Inbox | None = None) -> None:  # fmt: skip
        self.out = out
        self.export_dir = export_dir
        self.transcript = transcript
        self.inbox = inbox  # to say, in the person's language, how to open a chart
        self.ansi = _is_terminal(out)
        self.last_buttons: tuple[Button, ...] = ()
        self._delivered: set[str] = set()
        if transcript is not None and transcript.exists():
            for line in transcript.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._delivered.add(json.loads(line)["id"])

    def _erase_exports(self) -> None:
        """After /forget, the files this console saved (exports, CSV, charts: decrypted copies) go too; the
        console serves one person, so everything Phare wrote in its export folder is theirs."""
        if not self.export_dir.is_dir():
            return
        for path in self.export_dir.iterdir():
            if path.is_file() or path.is_symlink():
                path.unlink(missing_ok=True)

    def already_delivered(self, ids: Iterable[str]) -> set[str]:
        return {i for i in ids if i in self._delivered}

    async def deliver(self, delivery: Delivery) -> None:
        message = delivery.message
        if message.erase:
            self._erase_exports()
        lines: list[str] = []  # everything after the text: a saved file, the numbered choices, the scale
        if message.attachment is not None:
            self.export_dir.mkdir(parents=True, exist_ok=True)
            path = self.export_dir / message.attachment.filename
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(message.attachment.data)
            if message.attachment.kind == "image":
                lines.append(await self._image_note(delivery, path.resolve()))
            else:
                lines.append(f"[file] {path}")
        for number, button in enumerate(message.buttons, start=1):
            lines.append(f"  {number}. {button.label}")
        if message.scale:
            lines.append(f"  ({message.scale[0]}–{message.scale[1]})")
        if message.buttons:
            self.last_buttons = message.buttons
        elif message.scale or message.text:
            self.last_buttons = ()
        head = [message.text] if message.text else []
        text = "\n".join([terminal_text(t, ansi=False) for t in head] + lines)
        if self.transcript is not None:
            # One write per delivery: the transcript line is the delivery mark, so a crash never doubles it.
            entry = {"id": delivery.id, "chat": delivery.chat_key, "text": text}
            if message.safety:  # a reviewer tells a takeover ("urgent", "crisis") from a question ("check")
                entry["safety"] = message.safety
            record = json.dumps(entry, ensure_ascii=False)
            with self.transcript.open("a", encoding="utf-8") as fh:
                fh.write(record + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        self._delivered.add(delivery.id)
        if self.ansi:
            text = "\n".join([terminal_text(t, ansi=True) for t in head] + lines)
        self.out.write(text + "\n\n")
        self.out.flush()

    async def _image_note(self, delivery: Delivery, path: Path) -> str:
        """A terminal shows no image: where it was saved, and how to open it, in the person's language."""
        if self.inbox is None:
            return f"[image] {path}"
        ctx = await self.inbox.context_for(PLATFORM, user_id=delivery.user_id,
                                           user_key=None if delivery.user_id else delivery.chat_key)  # fmt: skip
        note = self.inbox.library.text("console_image").render(ctx, {"path": str(path), "uri": path.as_uri()})
        return markup.plain(note)


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.get_running_loop().run_in_executor(None, stream.readline)
    return None if line == "" else line.rstrip("\n")


class ConsoleClock:
    """`phare console --now 2027-03-28T07:59`: time starts at that instant and runs on with the real clock;
    `/advance 60` (minutes) jumps ahead, to meet a check-in without waiting for it."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began = time.monotonic()
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


async def _ticker(writer: Writer, checkins: CheckinScheduler) -> None:
    while True:
        await writer.tick()
        await checkins.drain()
        wake = await writer.next_wake()
        delay = 1.0 if wake is None else max(0.05, min(1.0, (wake - writer.clock()).total_seconds()))
        await asyncio.sleep(delay)


async def run_console(
    writer: Writer,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    export_dir: Path,
    locale: str | None = None,
    user: str = "local",
    transcript: Path | None = None,
    first: str = "/start",
) -> None:
    transport = ConsoleTransport(stdout, export_dir, transcript, writer)
    dispatcher = Dispatcher(transport, writer.mark_sent, concurrency=1)
    writer.on_commit(dispatcher.enqueue)
    await writer.start()
    await dispatcher.start(await writer.pending(PLATFORM))
    await dispatcher.drain()
    checkins = CheckinScheduler(writer, rate=None)  # one person at a terminal: no pacing needed
    ticker = asyncio.create_task(_ticker(writer, checkins))
    echo = not stdin.isatty()
    session = uuid.uuid4().hex[:8]
    count = 0

    async def send(text: str) -> None:
        nonlocal count
        count += 1
        chosen = match_button(text, transport.last_buttons)
        msg = Incoming(
            platform=PLATFORM,
            user_key=user,
            chat_key=user,
            message_id=f"{session}-{count}",
            received_at=writer.clock(),
            text=None if chosen else text,
            option=chosen.id if chosen else None,
            ref=chosen.ref if chosen else None,
            locale=locale,
            kind="option" if chosen else "text",
        )
        await writer.submit(msg)
        await writer.charts.drain()  # one person at a terminal: a /history chart comes before the next prompt
        await dispatcher.drain()

    try:
        if first:
            await send(first)
        while True:
            line = await _read_line(stdin)
            if line is None:
                break
            if echo:
                stdout.write(f"> {line}\n")
            if line.strip().lower() in ("/quit", "/exit"):
                break
            advance = re.fullmatch(r"/advance\s+(\d+)", line.strip().lower())
            if advance and isinstance(writer.clock, ConsoleClock):
                writer.clock.advance(minutes=int(advance.group(1)))
                stdout.write(f"[{writer.clock().isoformat(timespec='minutes')}]\n\n")
                await writer.tick()
                await checkins.drain()
                await dispatcher.drain()
                continue
            await send(line)
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        checkins.close()
        await dispatcher.drain()
        await dispatcher.stop()
