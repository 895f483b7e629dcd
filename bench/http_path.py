"""The Telegram path over HTTP: Phare's whole transport and PTB's plain Application, each against a Bot API double.

Run from the repository root:  .venv/bin/python bench/http_path.py  (see bench/README.md for the options).

Three processes a round: a lean Bot API double (this file, `--double`: HTTP/1.1 on 127.0.0.1, keep-alive,
getUpdates long polling, sendMessage answered with the whole Message as Telegram does, editMessageReplyMarkup
refused with "message is not modified" when there is no keyboard left to remove), and one side:

- **phare**: the real Writer on a fresh SQLite WAL data dir and the real TelegramService (its Poller reading
  getUpdates, Dispatcher, TelegramTransport, limiter, PhareBot on python-telegram-bot's HTTPXRequest), with the
  limiter's limits out of reach and Phare's collector setting;
- **ptb**: python-telegram-bot's Application with its own Updater polling, the same six-state
  ConversationHandler as bench/core.py (default settings: updates handled one at a time).

The double drives the stream (bench/core.py's self-compassion breaks, typed answers) and measures at the
wire: a message counts from when getUpdates could serve it to when the last sendMessage it causes arrives
(how many that is, per step, it learns from three users going once round the break, untimed). Phases:
onboarding (untimed), calibration (untimed), a closed loop (throughput), then an open loop at a steady rate
(reply latency). Last line: `phare_http_vs_ptb_ratio=<median phare throughput / median ptb throughput>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core import (  # noqa: E402
    BASE_DATE,
    StreamMaker,
    break_cycle,
    make_stream,
    peak_rss_mb,
    percentile,
    phare_young_threshold,
    ptb_break_handlers,
    settle_gc,
)

TOKEN = "4242:bench"
BOT_ID = 4242
BOT_USER = '{"id":4242,"is_bot":true,"first_name":"Bench","username":"bench_bot"}'
UNCAPPED = 1e9  # messages per second: the limiter's code runs on every send, but never waits
CALIBRATION_USERS = 3
QUIET = 0.3  # seconds without a call (getUpdates aside) before a phase counts as finished
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
)


# --- the Bot API double ------------------------------------------------------------------------------------


def note(what: str) -> None:
    if os.environ.get("PHARE_BENCH_VERBOSE"):
        print(f"{time.strftime('%H:%M:%S')} double: {what}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of another process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Chat:
    """One person: the messages still to send, and the replies still expected for the one in flight."""

    __slots__ = ("expected", "pending", "position", "started")

    def __init__(self) -> None:
        self.pending: deque[tuple[float | None, str]] = deque()  # (due time or None, the message's JSON)
        self.started = 0.0
        self.expected = 0  # sendMessage calls still expected for the message in flight; 0: none in flight
        self.position = 0


class Double:
    """Telegram's side of the wire, kept lean so that it is not what is measured (its CPU is printed)."""

    def __init__(self, per_position: list[int] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.updates: deque[tuple[int, bytes]] = deque()  # served until an offset confirms them
        self.next_update_id = 1
        self.poll: tuple[asyncio.Transport, int, int, asyncio.TimerHandle] | None = None
        self.chats: dict[int, Chat] = defaultdict(Chat)
        self.message_ids: Counter[int] = Counter()
        self.keyboards: set[tuple[int, int]] = set()  # messages whose keyboard is still there
        self.calls: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.last_call = 0.0
        self.ready = asyncio.Event()  # the bot's first getUpdates
        self.latencies: list[float] = []
        self.unexpected = 0  # sendMessage calls beyond what a step was expected to cause
        self.in_flight = 0
        self.all_done = asyncio.Event()
        self.per_position = per_position or [1]
        self.release_on_first = True  # onboarding: each person goes on at the first reply
        self.replies_seen: Counter[int] = Counter()  # calibration: sendMessage calls per chat

    # HTTP/1.1, Content-Length bodies only (what HTTPX sends for form-encoded parameters)
    def protocol(self) -> asyncio.Protocol:
        double = self

        class Connection(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport: asyncio.Transport = transport  # type: ignore[assignment]
                self.buffer = bytearray()

            def data_received(self, data: bytes) -> None:
                self.buffer += data
                while True:
                    end = self.buffer.find(b"\r\n\r\n")
                    if end < 0:
                        return
                    head = bytes(self.buffer[:end]).decode("latin-1")
                    length = 0
                    for line in head.split("\r\n")[1:]:
                        name, _, value = line.partition(":")
                        if name.lower() == "content-length":
                            length = int(value)
                    if len(self.buffer) < end + 4 + length:
                        return
                    body = bytes(self.buffer[end + 4 : end + 4 + length])
                    del self.buffer[: end + 4 + length]
                    path = head.split(" ", 2)[1]
                    double.request(self.transport, path.rsplit("/", 1)[-1], body)

        return Connection()

    @staticmethod
    def respond(transport: asyncio.Transport, body: bytes, status: int = 200) -> None:
        reason = b"OK" if status == 200 else b"Bad Request"
        transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, len(body), body)
        )

    def refuse(self, transport: asyncio.Transport, method: str, description: str) -> None:
        self.refused[method] += 1
        body = json.dumps({"ok": False, "error_code": 400, "description": description}).encode()
        self.respond(transport, body, 400)

    def request(self, transport: asyncio.Transport, method: str, body: bytes) -> None:
        params = dict(parse_qsl(body.decode())) if body else {}
        if method == "getUpdates":
            self.get_updates(transport, params)
            return
        now = time.perf_counter()
        self.calls[method] += 1
        self.last_call = now
        if method == "sendMessage":
            self.send_message(transport, params, now)
        elif method == "editMessageReplyMarkup":
            key = (int(params["chat_id"]), int(params["message_id"]))
            if key not in self.keyboards:
                self.refuse(transport, method, NOT_MODIFIED)
                return
            self.keyboards.discard(key)
            message = (
                f'{{"message_id":{key[1]},"date":{BASE_DATE},"chat":{{"id":{key[0]},"type":"private",'
                f'"first_name":"Therapist"}},"from":{BOT_USER},"edit_date":{BASE_DATE},"text":"…"}}'
            )
            self.respond(transport, b'{"ok":true,"result":%s}' % message.encode())
        elif method == "getMe":
            self.respond(transport, b'{"ok":true,"result":%s}' % BOT_USER.encode())
        else:  # deleteWebhook, setMyCommands, answerCallbackQuery…
            self.respond(transport, b'{"ok":true,"result":true}')

    def send_message(self, transport: asyncio.Transport, params: dict[str, str], now: float) -> None:
        chat_id = int(params["chat_id"])
        self.message_ids[chat_id] += 1
        message_id = self.message_ids[chat_id]
        markup = params.get("reply_markup")
        result = (
            f'{{"message_id":{message_id},"date":{BASE_DATE},"chat":{{"id":{chat_id},"type":"private",'
            f'"first_name":"Therapist"}},"from":{BOT_USER},"text":{json.dumps(params.get("text", ""))}'
        )
        if markup:
            result += f',"reply_markup":{markup}'
            if '"callback_data"' in markup:
                self.keyboards.add((chat_id, message_id))
        self.respond(transport, b'{"ok":true,"result":%s}}' % result.encode())
        self.replies_seen[chat_id] += 1
        chat = self.chats[chat_id]
        if not chat.expected:
            self.unexpected += 1
            return
        chat.expected -= 1
        if chat.expected and not self.release_on_first:
            return
        chat.expected = 0
        self.latencies.append(now - chat.started)
        self.in_flight -= 1
        self.next_of(chat_id, chat, now)

    def get_updates(self, transport: asyncio.Transport, params: dict[str, str]) -> None:
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        while self.updates and self.updates[0][0] < offset:
            self.updates.popleft()
        if self.poll is not None:  # another getUpdates: the waiting one ends empty
            old, _, _, timer = self.poll
            timer.cancel()
            self.respond(old, b'{"ok":true,"result":[]}')
            self.poll = None
        self.ready.set()
        if self.updates:
            self.serve(transport, limit)
            return
        timeout = float(params.get("timeout") or 0)
        timer = self.loop.call_later(timeout, self.poll_timed_out)
        self.poll = (transport, offset, limit, timer)

    def poll_timed_out(self) -> None:
        if self.poll is not None:
            self.respond(self.poll[0], b'{"ok":true,"result":[]}')
            self.poll = None

    def serve(self, transport: asyncio.Transport, limit: int) -> None:
        batch = [raw for _, raw in list(self.updates)[:limit]]
        self.respond(transport, b'{"ok":true,"result":[%s]}' % b",".join(batch))

    # what people do
    def push(self, chat_id: int, message: str, started: float, expected: int) -> None:
        chat = self.chats[chat_id]
        chat.started, chat.expected = started, expected
        self.in_flight += 1
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append((update_id, b'{"update_id":%d,"message":%s}' % (update_id, message.encode())))
        if self.poll is not None:
            transport, _, limit, timer = self.poll
            timer.cancel()
            self.poll = None
            self.serve(transport, limit)

    def expected_for(self, chat: Chat) -> int:
        return self.per_position[chat.position % len(self.per_position)]

    def next_of(self, chat_id: int, chat: Chat, now: float) -> None:
        if chat.pending:
            due, message = chat.pending[0]
            if due is not None and due > now:
                return  # the steady driver pushes it when it is due
            chat.pending.popleft()
            self.push(chat_id, message, now if due is None else due, self.expected_for(chat))
            chat.position += 1
        elif not self.in_flight:
            self.all_done.set()

    async def quiet(self) -> float:
        """Wait until nothing but getUpdates has come for QUIET seconds; the time of the last call."""
        while time.perf_counter() - self.last_call < QUIET:
            await asyncio.sleep(QUIET / 3)
        return self.last_call


def messages_of(raw: str) -> tuple[int, str]:
    update = json.loads(raw)
    message = update["message"]
    return message["chat"]["id"], json.dumps(message, ensure_ascii=False, separators=(",", ":"))


async def closed_phase(double: Double, items: list[tuple[int, str]]) -> tuple[float, float]:
    """Every person in flight at once, each sending the next message once the previous one is answered."""
    double.latencies, double.all_done = [], asyncio.Event()
    for chat_id, message in items:
        double.chats[chat_id].pending.append((None, message))
    started = time.perf_counter()
    for chat_id in {chat_id for chat_id, _ in items}:
        chat = double.chats[chat_id]
        double.next_of(chat_id, chat, started)
    await double.all_done.wait()
    return started, await double.quiet()


async def open_phase(double: Double, items: list[tuple[float, int, str]]) -> tuple[float, float]:
    """Messages due on a schedule whatever happens; one waits for its person's previous one to be answered."""
    double.latencies, double.all_done = [], asyncio.Event()
    origin = time.perf_counter() + 0.05
    for offset, chat_id, message in items:
        due = origin + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        chat = double.chats[chat_id]
        chat.pending.append((due, message))
        if not chat.expected:
            double.next_of(chat_id, chat, time.perf_counter())
    while double.in_flight or any(chat.pending for chat in double.chats.values()):
        await double.all_done.wait()
        double.all_done.clear()
    return origin, await double.quiet()


async def calibrate(double: Double, seed: int) -> list[int]:
    """sendMessage calls each step of the break causes, learnt from a few people going round it once, alone."""
    maker = StreamMaker(seed + 7, CALIBRATION_USERS)
    maker.update_id = 1_000_000_000  # message ids the stream never uses: Phare drops a message it has seen
    counts: list[list[int]] = []
    for user in range(CALIBRATION_USERS):
        mine = []
        for text in break_cycle(random.Random(seed * 31 + user)):
            chat_id, message = messages_of(maker.payload(user, text)[1])
            before = double.replies_seen[chat_id]
            double.release_on_first = True
            double.push(chat_id, message, time.perf_counter(), 1)
            while double.replies_seen[chat_id] == before:
                await asyncio.sleep(0.005)
            await double.quiet()
            mine.append(double.replies_seen[chat_id] - before)
        counts.append(mine)
    per_position = [max(column) for column in zip(*counts, strict=True)]
    if any(column != per_position for column in counts):
        print(f"calibration: people disagree ({counts}); taking the highest", file=sys.stderr)
    return per_position


async def run_double(stream: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    double = Double()
    server = await asyncio.get_running_loop().create_server(double.protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    pid = int(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
    waiting = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.wait_for(double.ready.wait(), 120)
    note("bot ready")

    await closed_phase(double, [messages_of(raw) for _, raw in stream["warmup"]])  # onboarding, untimed
    await double.quiet()
    note("onboarded")
    per_position = await calibrate(double, args.seed)
    note(f"calibrated: {per_position}")
    double.per_position, double.release_on_first = per_position, False
    for chat in double.chats.values():
        chat.position = 0  # each person's main messages start a break

    def gauges() -> tuple[float, float, Counter[str]]:
        return cpu_seconds(pid), time.process_time(), Counter(double.calls)

    results: dict[str, Any] = {"per_position": per_position}
    main_items = [messages_of(raw) for _, raw in stream["main"]]
    steady_items = [(offset, *messages_of(raw)) for _, offset, raw in stream["steady"]]
    for name, run in (("main", lambda: closed_phase(double, main_items)),
                      ("steady", lambda: open_phase(double, steady_items))):  # fmt: skip
        unexpected, refused = double.unexpected, Counter(double.refused)
        bot_cpu, own_cpu, calls = gauges()
        started, ended = await run()
        bot_cpu2, own_cpu2, calls2 = gauges()
        count = len(main_items if name == "main" else steady_items)
        latencies = double.latencies
        calls2.subtract(calls)
        results[name] = {
            "messages": count,
            "elapsed_s": round(ended - started, 3),
            "throughput": round(count / (ended - started), 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2),
            "max_ms": round(max(latencies) * 1000, 2),
            "bot_cpu_us": round((bot_cpu2 - bot_cpu) / count * 1e6),
            "double_cpu_us": round((own_cpu2 - own_cpu) / count * 1e6),
            "calls": {k: v for k, v in calls2.items() if v},
            "refused": dict(double.refused - refused),
            "unexpected_replies": double.unexpected - unexpected,
        }
        await double.quiet()
    # The results go out first; the server stays up until the parent has stopped the bot, whose poller
    # would otherwise log the double's disconnection as a failure.
    print(json.dumps(results), flush=True)
    await waiting
    server.close()
    return results


# --- the two bots ------------------------------------------------------------------------------------------


async def wait_for_sigterm() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


async def phare_bot(port: int, args: argparse.Namespace) -> dict[str, Any]:
    import shutil

    from bench.core import bench_writer
    from bot.transports.telegram.limiter import Limits
    from bot.transports.telegram.service import TelegramOptions, TelegramService

    data_dir, db, writer = await bench_writer("phare-bench-http-")
    limits = Limits(
        overall_per_second=UNCAPPED, private_per_second=UNCAPPED, private_burst=1_000_000, group_per_minute=1_000_000
    )
    options = TelegramOptions(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", limits=limits, poll_timeout=10.0)
    service = TelegramService(writer, options)
    await service.start()  # getMe, menu, deleteWebhook, then the Poller's getUpdates
    settle_gc(True, phare_young_threshold(args))  # as `phare run` (bot.app.tune_collector)
    await wait_for_sigterm()
    await service.stop()
    await writer.stop()
    await db.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"side": "phare", "peak_rss_mb": peak_rss_mb()}


async def ptb_bot(port: int, args: argparse.Namespace) -> dict[str, Any]:
    """bench/core.py's ConversationHandler in a plain Application that polls (its defaults otherwise).

    Its updates are handled one at a time, as by default. With concurrent_updates, which python-telegram-bot
    warns against for a ConversationHandler, a person's next message can be handled before the state the previous
    one set is stored (the double answers the reply at once, faster than anyone types): breaks go wrong."""
    from telegram.ext import ApplicationBuilder

    base = f"http://127.0.0.1:{port}"
    builder = ApplicationBuilder().token(TOKEN).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application = builder.build()
    for handler in ptb_break_handlers(Counter()):
        application.add_handler(handler)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        settle_gc(True)
        await wait_for_sigterm()
        await application.updater.stop()
        await application.stop()
    return {"side": "ptb", "peak_rss_mb": peak_rss_mb()}


# --- parent ------------------------------------------------------------------------------------------------


def one_round(side: str, stream_file: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--seed", str(args.seed)]
    common.append("--phare-gc" if args.phare_gc else "--no-phare-gc")
    double = subprocess.Popen(
        [*me, "--double", "--stream", str(stream_file), *common], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert double.stdin is not None and double.stdout is not None
    port = int(double.stdout.readline().split()[1])
    bot = subprocess.Popen([*me, "--bot", side, "--port", str(port), *common], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    double.stdin.write(f"{bot.pid}\n")
    double.stdin.flush()
    try:
        line = double.stdout.readline()  # the results, once every phase is over
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot_out, _ = bot.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot_out, _ = bot.communicate()
        double.communicate("done\n", timeout=60)
    if double.returncode != 0 or not line.strip():
        raise SystemExit(f"the double failed with exit code {double.returncode} ({side})")
    result: dict[str, Any] = json.loads(line)
    lines = bot_out.strip().splitlines()
    result.update(json.loads(lines[-1]) if lines else {"side": side, "peak_rss_mb": None})
    return result


def spread(values: list[float], unit: str = "", digits: int = 0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:,.{digits}f} / {mid:,.{digits}f} / {high:,.{digits}f}{unit}"


def describe(side: str, rounds: list[dict[str, Any]], rate: float) -> list[str]:
    main = [r["main"] for r in rounds]
    steady = [r["steady"] for r in rounds]
    per_message = Counter[str]()
    for phase in main:
        for method, count in phase["calls"].items():
            per_message[method] += count / phase["messages"] / len(main)
    calls = ", ".join(f"{method} {count:.2f}" for method, count in sorted(per_message.items()))
    refused = Counter[str]()
    for phase in (*main, *steady):
        refused.update(phase["refused"])
    return [
        f"{side}: (min / median / max of {len(rounds)} rounds)",
        f"  closed loop: throughput {spread([p['throughput'] for p in main], ' msg/s')};"
        f" p50 {spread([p['p50_ms'] for p in main], ' ms', 1)}, p99 {spread([p['p99_ms'] for p in main], ' ms', 1)}",
        f"  steady {rate:g} msg/s: reply p50 {spread([p['p50_ms'] for p in steady], ' ms', 1)},"
        f" p99 {spread([p['p99_ms'] for p in steady], ' ms', 1)},"
        f" max {spread([p['max_ms'] for p in steady], ' ms', 1)}",
        f"  CPU per message (closed loop): bot {spread([p['bot_cpu_us'] for p in main], ' µs')},"
        f" double {spread([p['double_cpu_us'] for p in main], ' µs')}; peak RSS"
        f" {max((r['peak_rss_mb'] or 0) for r in rounds)} MB",
        f"  Bot API calls per message: {calls}; refused: {dict(refused) or 'none'};"
        f" unexpected replies {sum(p['unexpected_replies'] for p in (*main, *steady))};"
        f" sendMessage per step (calibrated) {rounds[0]['per_position']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--steady-rate", type=float, default=100.0)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("phare", "ptb"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side, alternating")
    parser.add_argument(
        "--phare-gc", action=argparse.BooleanOptionalAction, default=True,
        help="Phare's child collects its youngest generation as `phare run` does (--no-phare-gc: Python's default)",
    )  # fmt: skip
    parser.add_argument("--double", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bot", choices=("phare", "ptb"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.double:
        asyncio.run(run_double(json.loads(args.stream.read_text()), args))
        return
    if args.bot:
        print(json.dumps(asyncio.run((phare_bot if args.bot == "phare" else ptb_bot)(args.port, args))), flush=True)
        return

    started, load = time.perf_counter(), os.getloadavg()
    stream = make_stream(args.seed, args.users, args.messages, args.steady_rate, args.steady_seconds)
    print(
        f"stream: {args.messages} messages for {args.users} users (seed {args.seed}) after an untimed onboarding of"
        f" {len(stream['warmup'])}; steady {args.steady_rate:g} msg/s for {args.steady_seconds:g} s;"
        f" {args.rounds} round(s); load average {load[0]:.2f}",
        flush=True,
    )
    sides = [side for side in ("phare", "ptb") if args.only in (None, side)]
    rounds: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="phare-bench-http-") as tmp:
        stream_file = Path(tmp) / "stream.json"
        stream_file.write_text(json.dumps(stream, ensure_ascii=False))
        for _ in range(max(1, args.rounds)):
            for side in sides:
                result = one_round(side, stream_file, args)
                rounds[side].append(result)
                main_phase, steady = result["main"], result["steady"]
                print(
                    f"  {side}: {main_phase['throughput']:,.0f} msg/s, steady p99 {steady['p99_ms']} ms,"
                    f" load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    for side, results in rounds.items():
        print("\n".join(describe(side, results, args.steady_rate)))
    print(
        f"total wall time {time.perf_counter() - started:.1f} s; load average (1 min) {load[0]:.2f} before,"
        f" {os.getloadavg()[0]:.2f} after (other work on the machine skews the figures)"
    )
    if len(rounds) == 2:
        medians = {
            side: statistics.median(r["main"]["throughput"] for r in results) for side, results in rounds.items()
        }
        print(f"phare_http_vs_ptb_ratio={medians['phare'] / medians['ptb']:.3f}")
    else:
        print("phare_http_vs_ptb_ratio=n/a")


if __name__ == "__main__":
    main()
