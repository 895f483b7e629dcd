"""Core benchmark: Phare's writer + engine + durable storage against an in-memory PTB ConversationHandler.

Run from the repository root:  .venv/bin/python bench/core.py  (see bench/README.md for the options).

The parent generates one deterministic stream of Telegram-like update payloads (JSON text), writes it to a
temporary file, and runs each side in its own process. Each child prints one JSON line with its results;
the parent prints them, a summary, and as the last line `phare_vs_ptb_ratio=<phare/ptb throughput>`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import math
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASE_DATE = 1_795_000_000  # a fixed Unix time for the payloads' `date`
FIRST_USER_ID = 10_000_000

# What each person types. Onboarding (untimed warm-up): /start, language 1 (fr), address 1 (vous),
# two "continue" steps (any text), consent 1 (yes), country 1 (France).
ONBOARDING = ("/start", "1", "1", "ok", "ok", "1", "1")
SENTENCES = (
    "Je fais de mon mieux avec ce que j'ai.",
    "Tu as le droit d'être fatiguée.",
    "C'est difficile, et je ne suis pas seule.",
    "Je peux être patiente avec moi-même.",
)


def break_cycle(rng: random.Random) -> list[str]:
    """One self-compassion break with typed answers (dialogues/compassion_break.yaml, sweet-spot path):
    /break, situation (1-4), bring_to_mind (continue), intensity_before (2-5), mindfulness (continue),
    common_humanity (continue), touch (1-2), self_kindness (continue), kind_sentence (text),
    intensity_after (0-10) → close. Ten messages, every one answered."""
    return [
        "/break",
        str(rng.randint(1, 4)),
        "ok",
        str(rng.randint(2, 5)),
        "ok",
        "ok",
        str(rng.randint(1, 2)),
        "ok",
        rng.choice(SENTENCES),
        str(rng.randint(0, 10)),
    ]


def user_script(seed: int, user: int) -> Iterator[str]:
    rng = random.Random(seed * 1_000_003 + user)
    while True:
        yield from break_cycle(rng)


class StreamMaker:
    """Telegram-like update dicts, serialised: private chats, `from.id` == `chat.id`, commands with entities."""

    def __init__(self, seed: int, users: int) -> None:
        self.rng = random.Random(seed)
        self.users = users
        self.scripts = [user_script(seed, u) for u in range(users)]
        self.update_id = 0

    def payload(self, user: int, text: str) -> tuple[int, str]:
        self.update_id += 1
        uid = FIRST_USER_ID + user
        message: dict[str, Any] = {
            "message_id": self.update_id,
            "date": BASE_DATE + self.update_id // 100,
            "chat": {"id": uid, "type": "private", "first_name": f"Therapist {user}"},
            "from": {"id": uid, "is_bot": False, "first_name": f"Therapist {user}", "language_code": "fr"},
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return uid, json.dumps({"update_id": self.update_id, "message": message}, ensure_ascii=False)

    def onboarding(self) -> list[tuple[int, str]]:
        return [self.payload(u, text) for u in range(self.users) for text in ONBOARDING]

    def messages(self, count: int) -> list[tuple[int, str]]:
        """`count` messages, each from a user drawn uniformly (so counts per user vary), in script order."""
        out = []
        for _ in range(count):
            user = self.rng.randrange(self.users)
            out.append(self.payload(user, next(self.scripts[user])))
        return out


def make_stream(seed: int, users: int, messages: int, steady_rate: float, steady_seconds: float) -> dict[str, Any]:
    maker = StreamMaker(seed, users)
    warmup = maker.onboarding()
    main = maker.messages(messages)
    steady_count = int(steady_rate * steady_seconds)
    steady = [(uid, i / steady_rate, raw) for i, (uid, raw) in enumerate(maker.messages(steady_count))]
    return {"warmup": warmup, "main": main, "steady": steady, "steady_rate": steady_rate}


# --- measuring (shared by both children) -----------------------------------------------------------------

Handle = Callable[[str], Awaitable[None]]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(q / 100 * len(ordered))  # nearest-rank percentile
    return ordered[min(len(ordered), max(1, rank)) - 1]


def by_user(items: list[list[Any]]) -> dict[int, list[list[Any]]]:
    grouped: dict[int, list[list[Any]]] = defaultdict(list)
    for item in items:
        grouped[item[0]].append(item)
    return grouped


async def closed_loop(items: list[list[Any]], handle: Handle) -> tuple[float, list[float]]:
    """Every user in flight at once, each sending its next message when the previous one is done.
    Returns (elapsed seconds, per-message latency in seconds: parse start → done)."""
    latencies: list[float] = []

    async def one_user(mine: list[list[Any]]) -> None:
        for _uid, raw in mine:
            start = time.perf_counter()
            await handle(raw)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0)  # a real transport reads the next update from the network: let others run

    started = time.perf_counter()
    await asyncio.gather(*(one_user(mine) for mine in by_user(items).values()))
    return time.perf_counter() - started, latencies


async def open_loop(items: list[list[Any]], handle: Handle) -> tuple[float, list[float]]:
    """Messages arrive on a fixed schedule whatever happens; a user's message still waits for that user's
    previous one. Latency = done time − scheduled arrival time."""
    latencies: list[float] = []
    origin = time.perf_counter() + 0.05

    async def one_user(mine: list[list[Any]]) -> None:
        for _uid, offset, raw in mine:
            due = origin + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await handle(raw)
            latencies.append(time.perf_counter() - due)

    await asyncio.gather(*(one_user(mine) for mine in by_user(items).values()))
    return time.perf_counter() - origin, latencies


def summary(count: int, elapsed: float, latencies: list[float]) -> dict[str, float]:
    return {
        "messages": count,
        "elapsed_s": round(elapsed, 3),
        "throughput": round(count / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


class Gauges:
    """What a phase cost beyond wall time: CPU of the whole process and of the event-loop thread (the rest
    is other threads, e.g. aiosqlite's worker running SQLite), and garbage-collector pauses."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)
        self.start()

    def _on_gc(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._gc_started)

    def start(self) -> None:
        self._cpu, self._thread, self._gc = time.process_time(), time.thread_time(), len(self.pauses)

    def stop(self) -> dict[str, float]:
        cpu, thread = time.process_time() - self._cpu, time.thread_time() - self._thread
        pauses = self.pauses[self._gc :]
        return {
            "cpu_s": round(cpu, 3),
            "cpu_loop_thread_s": round(thread, 3),
            "cpu_other_threads_s": round(max(0.0, cpu - thread), 3),
            "gc_runs": len(pauses),
            "gc_total_ms": round(sum(pauses) * 1000, 1),
            "gc_max_ms": round(max(pauses, default=0.0) * 1000, 1),
        }


def settle_gc(freeze: bool, young: int | None = None) -> None:
    """Start the timed phases from the same point; with `freeze`, move everything alive after start-up and
    warm-up out of the collector's reach (gc.freeze), so full collections stop walking the libraries. With
    `young`, the youngest generation is collected every `young` allocations (Phare's setting) instead of 700."""
    gc.collect()
    if freeze:
        gc.freeze()
    if young is not None:
        from bot.app import collect_young_every

        collect_young_every(young)


def phare_young_threshold(args: argparse.Namespace) -> int | None:
    """The collector setting `phare run` applies (bot.app), unless --no-phare-gc asks for Python's default."""
    from bot.app import YOUNG_GENERATION_THRESHOLD

    return YOUNG_GENERATION_THRESHOLD if args.phare_gc else None


class Profiling:
    """cProfile around one phase (the event-loop thread only: SQLite's own thread is not seen). The default
    clock is the thread's CPU time, so other work on a shared machine does not land on random functions."""

    def __init__(self, top: int, out: Path | None, clock: str, *, enabled: bool = True) -> None:
        self.top, self.out = top, out
        timer = time.thread_time if clock == "cpu" else time.perf_counter  # cpu: immune to other load
        self.profiler = cProfile.Profile(timer) if enabled and (top or out) else None

    def __enter__(self) -> None:
        if self.profiler:
            self.profiler.enable()

    def __exit__(self, *_exc: object) -> None:
        if self.profiler is None:
            return
        self.profiler.disable()
        if self.out:
            self.profiler.dump_stats(self.out)
        if self.top:
            stats = pstats.Stats(self.profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(self.top)
            stats.sort_stats("tottime").print_stats(self.top)
            print_areas(stats)


AREAS = (
    ("phare", ("/bot/", "/dialogues/", "/storage/")),
    ("bench harness", ("/bench/",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("aiosqlite", ("/aiosqlite/",)),
    ("greenlet", ("greenlet",)),
    ("telegram (PTB)", ("/telegram/",)),
    ("cryptography", ("/cryptography/", "ciphers.", "hmac", "os.urandom")),
    ("json", ("/json/", "_json")),
    ("waiting in epoll (idle or other thread)", ("'poll' of 'select.epoll'",)),
    ("asyncio", ("/asyncio/", "_asyncio", "select.epoll", "_socket", "SimpleQueue", "_contextvars", "selectors.py")),
)


def print_areas(stats: pstats.Stats) -> None:
    """Own time (tottime) summed by library: where the event-loop thread spends its time."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (filename, _line, name), (_cc, calls, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{name}"
        area = next((a for a, marks in AREAS if any(m in where for m in marks)), "other (stdlib, builtins)")
        totals[area][0] += own
        totals[area][1] += calls
    grand = sum(own for own, _ in totals.values()) or 1.0
    print("own time by area (event-loop thread, profiled; with --profile-clock cpu, waits count 0):", file=sys.stderr)
    for area, (own, calls) in sorted(totals.items(), key=lambda item: -item[1][0]):
        print(f"  {area:<42} {own:8.3f} s {own / grand:6.1%} {int(calls):>10,} calls", file=sys.stderr)


class StatementCounter:
    """Statements the database driver was handed (SQLAlchemy's cursor events: an executemany counts once, as
    the driver sends it), by their first words, the rows they carried and the time they took."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count, self.rows = 0, 0
        self._log: list[tuple[str, float]] = []
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        self.count += 1
        self.rows += len(params) if many else 1
        self._started = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, many: bool) -> None:
        words = statement.split()
        kind = " ".join(words[:3] if words[:1] in (["INSERT"], ["DELETE"]) else words[:2])
        self._log.append((("many " if many else "") + kind, time.perf_counter() - self._started))

    def by_kind(self, since: int) -> dict[str, str]:
        """Per kind of statement: how many, and their mean time in ms (driver round trip included)."""
        counts: Counter[str] = Counter()
        times: Counter[str] = Counter()
        for kind, took in self._log[since:]:
            counts[kind] += 1
            times[kind] += took
        return {kind: f"{n} x {times[kind] / n * 1000:.2f} ms" for kind, n in counts.most_common()}


def server_cpu_seconds() -> float:
    """CPU time (user + system) of every process named postgres on this machine (Linux /proc): what the
    database server spent, its background processes included."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        if name.startswith("postgres"):
            total += int(rest[11]) + int(rest[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def run_queue_seconds(pids: list[int] | None = None) -> float:
    """Time spent runnable but waiting for a CPU (Linux schedstat, second field, ns): of this thread, or summed
    over `pids` (processes that are gone count 0). On a shared machine this says how much of a latency figure
    was the scheduler's, not the code's."""
    paths = [Path("/proc/thread-self/schedstat")] if pids is None else [Path(f"/proc/{p}/schedstat") for p in pids]
    total = 0
    for path in paths:
        try:
            total += int(path.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def idle_cpu_seconds() -> float:
    """Idle time of all the machine's CPUs together (/proc/stat, idle + iowait), in seconds."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return float("nan")
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


class Contention:
    """Over one phase: the share of the wall time the event-loop thread waited for a CPU, the same for the
    PostgreSQL backends serving this database (local server only), and how many CPUs stood idle on average."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.started = time.perf_counter()
        self.loop_wait, self.server_wait = run_queue_seconds(), run_queue_seconds(backends)
        self.idle = idle_cpu_seconds()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        figures = {
            "loop_cpu_wait_share": round((run_queue_seconds() - self.loop_wait) / wall, 3),
            "idle_cpus": round((idle_cpu_seconds() - self.idle) / wall, 2),
        }
        if self.backends:
            figures["server_cpu_wait_share"] = round((run_queue_seconds(self.backends) - self.server_wait) / wall, 3)
        return figures


async def start_together(barrier: str) -> None:
    """Two children on one database start their timed phase at once: each says it is ready, then waits for
    the parent's go (bench/pg_core.py)."""
    Path(f"{barrier}.ready.{os.getpid()}").touch()
    while not Path(f"{barrier}.go").exists():
        await asyncio.sleep(0.001)


# --- (a) Phare ----------------------------------------------------------------------------------------------


async def bench_writer(prefix: str, url: str | None = None) -> tuple[Path, Any, Any]:
    """A fresh SQLite data dir, migrated, and the real Writer on it (safety check and encryption as shipped).
    With `url` (an empty PostgreSQL database, bench/pg_core.py), the writer runs there instead."""
    from bot.contact import contacts_by_locale
    from bot.crisis_hook import load_safety
    from bot.writer import Writer
    from dialogues.loader import load_library
    from storage.crypto import Cipher, generate_key
    from storage.db import Database, sqlite_url
    from storage.repo import Repository

    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    db = Database(url or sqlite_url(data_dir))
    await db.migrate()
    writer = Writer(
        db, Repository(Cipher([generate_key()])), load_library(),
        operator_contacts=contacts_by_locale("Dr Bench (bench@example.org)"), safety=load_safety(),
    )  # fmt: skip
    return data_dir, db, writer


async def phare_child(stream: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from datetime import UTC, datetime

    from sqlalchemy import text

    from bot.messages import Delivery, Incoming
    from dialogues.texts import Context

    data_dir, db, writer = await bench_writer("phare-bench-", args.db_url)
    library = writer.library
    statements = StatementCounter(db.engine.sync_engine)

    # Instrumentation: size and duration of every writer transaction (private API, diagnostics only:
    # skipped if the writer no longer has `_run`).
    batches: list[tuple[int, float]] = []
    original_run = getattr(writer, "_run", None)

    async def timed_run(jobs: list[Any], *args: Any) -> list[Delivery]:
        assert original_run is not None
        start = time.perf_counter()
        try:
            result: list[Delivery] = await original_run(jobs, *args)
            return result
        finally:
            batches.append((len(jobs), time.perf_counter() - start))

    if original_run is not None:
        writer._run = timed_run  # type: ignore[method-assign]

    # "Sent" = handed to the transport by the commit listener. A real deployment deletes sent rows:
    # a flusher marks them in batches through the writer, like the Dispatcher does.
    delivered: list[str] = []
    ctx = Context(locale="fr", address="vous", vars={"operator_contact": writer.operator_contacts["fr"]})
    error_text = library.text("error").render(ctx)
    replies = {"count": 0, "errors": 0}
    wanted = asyncio.Event()

    def on_commit(deliveries: list[Delivery]) -> None:
        replies["count"] += len(deliveries)
        replies["errors"] += sum(d.message.text == error_text for d in deliveries)
        delivered.extend(d.id for d in deliveries)
        wanted.set()

    async def flusher() -> None:
        while True:
            await wanted.wait()
            wanted.clear()
            if delivered:
                ids = tuple(delivered)
                delivered.clear()
                await writer.mark_sent(ids)

    async def drain() -> None:
        while delivered or wanted.is_set():
            await asyncio.sleep(0.01)
        await writer.mark_sent(())

    writer.on_commit(on_commit)
    await writer.start()
    flush_task = asyncio.create_task(flusher())

    async def handle(raw: str) -> None:
        update = json.loads(raw)
        message = update["message"]
        await writer.submit(
            Incoming(
                platform="bench",
                user_key=str(message["from"]["id"]),
                chat_key=str(message["chat"]["id"]),
                message_id=str(update["update_id"]),
                received_at=datetime.now(UTC),
                text=message.get("text"),
                private=message["chat"]["type"] == "private",
                locale=message["from"].get("language_code"),
            )
        )

    def writer_stats(since: int, elapsed: float) -> dict[str, float]:
        if original_run is None:
            return {}
        sizes = [n for n, _ in batches[since:]]
        durations = [d for _, d in batches[since:]]
        return {
            "batches": len(sizes),
            "mean_batch": round(sum(sizes) / max(1, len(sizes)), 1),
            "statements_per_batch": round((statements.count - counted) / max(1, len(sizes)), 2),
            "rows_per_batch": round((statements.rows - rows) / max(1, len(sizes)), 1),
            "batch_p50_ms": round(percentile(durations, 50) * 1000, 2),
            "batch_max_ms": round(max(durations, default=0.0) * 1000, 2),
            "writer_busy_share": round(sum(durations) / elapsed, 3),
        }

    gauges = Gauges()
    await closed_loop(stream["warmup"], handle)
    await drain()
    settle_gc(args.gc_freeze, phare_young_threshold(args))

    since, replies_before = len(batches), replies["count"]
    counted, rows = statements.count, statements.rows
    if args.barrier:
        await start_together(args.barrier)
    gauges.start()
    wall_start, server_start = time.time(), server_cpu_seconds()
    with Profiling(args.profile, args.profile_out, args.profile_clock, enabled=args.profile_phase == "main"):
        elapsed, latencies = await closed_loop(stream["main"], handle)
    wall_end, server_end = time.time(), server_cpu_seconds()
    main = {**summary(len(stream["main"]), elapsed, latencies), **gauges.stop(), **writer_stats(since, elapsed)}
    main["wall_start"], main["wall_end"] = wall_start, wall_end
    if db.is_postgres:  # every PostgreSQL process on the machine, during the closed loop
        main["server_cpu_s"] = round(server_end - server_start, 3)
    main["statements"] = statements.by_kind(since=counted)
    main["replies"] = replies["count"] - replies_before
    await drain()

    steady: dict[str, Any] | None = None
    if not args.skip_steady:
        backends: list[int] = []
        if db.is_postgres:  # the pool's backends: the steady phase's statements run on one of them
            async with db.begin() as conn:
                query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                backends = list((await conn.execute(query)).scalars())
        since = len(batches)
        counted, rows = statements.count, statements.rows
        contention = Contention(backends)
        gauges.start()
        with Profiling(args.profile, args.profile_out, args.profile_clock, enabled=args.profile_phase == "steady"):
            s_elapsed, s_latencies = await open_loop(stream["steady"], handle)
        steady = {**summary(len(stream["steady"]), s_elapsed, s_latencies), **gauges.stop(), **contention.stop()}
        steady.update(writer_stats(since, s_elapsed), rate=stream["steady_rate"])
        steady["statements"] = statements.by_kind(since=counted)
        await drain()
    flush_task.cancel()

    db_bytes, commit_mode = 0, ""
    async with db.begin() as conn:
        outbox_left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        history_rows = (await conn.execute(text("SELECT count(*) FROM history"))).scalar_one()
        if db.is_postgres:
            size = text("SELECT pg_database_size(current_database())")
            db_bytes = (await conn.execute(size)).scalar_one()
            commit_mode = (await conn.execute(text("SHOW synchronous_commit"))).scalar_one()
    await writer.stop()
    await db.dispose()
    if not db.is_postgres:
        db_bytes = sum(f.stat().st_size for f in data_dir.iterdir())
    shutil.rmtree(data_dir, ignore_errors=True)
    durability = (
        f"PostgreSQL, synchronous_commit={commit_mode}, each step committed before its reply is handed over"
        if db.is_postgres
        else "SQLite WAL, synchronous=NORMAL, each step committed before its reply is handed over"
    )
    return {
        "side": "phare-postgresql" if db.is_postgres else "phare",
        "durability": durability,
        "main": main,
        "steady": steady,
        "peak_rss_mb": peak_rss_mb(),
        "gc_freeze": args.gc_freeze,
        "young_threshold": phare_young_threshold(args),
        "warmup_messages": len(stream["warmup"]),
        "replies_total": replies["count"],
        "error_replies": replies["errors"],
        "outbox_rows_left": outbox_left,
        "history_rows": history_rows,
        "db_bytes": db_bytes,
    }


# --- (b) python-telegram-bot --------------------------------------------------------------------------------

PTB_TEXTS = {
    "situation": "Prenons une situation professionnelle un peu difficile en ce moment, pas la plus lourde. "
    "Laquelle s'en rapproche le plus ?",
    "body": "Laissez revenir la situation : le lieu, ce qui se dit, ce que vous ressentez. Puis remarquez où "
    "elle se loge dans votre corps : gorge, poitrine, ventre, épaules.",
    "intensity": "Quelle est son intensité, là, maintenant, de 0 (rien) à 10 (le plus fort imaginable) ?",
    "mindfulness": "Maintenant, nommez ce qui est là, intérieurement, avec vos mots : « C'est un moment "
    "difficile. » Simplement le reconnaître, sans rien ajouter.",
    "humanity": "Cela fait partie du métier, et de la vie. En ce moment même, d'autres thérapeutes portent "
    "quelque chose de très proche.",
    "touch": "Si cela vous convient, posez une main sur le cœur, ou là où c'est apaisant. C'est facultatif.",
    "kindness": "Maintenant, pour vous-même : « Que je puisse m'offrir de la bienveillance. »",
    "sentence": "Si vous le souhaitez, écrivez cette phrase, avec les mots que vous auriez pour un ami cher.",
    "after": "Repensez une dernière fois à la situation. Quelle est son intensité maintenant, de 0 à 10 ?",
    "close": "Avant : {before}/10 → maintenant : {after}/10. Merci d'avoir pris ce moment pour vous.",
    "again": "Je n'ai pas compris : répondez par un nombre de {lo} à {hi}.",
    "welcome": "Bonjour, je suis un bot. /break lance la pause d'autocompassion.",
    "menu": "Que souhaitez-vous faire ? /break lance la pause d'autocompassion.",
}


def ptb_break_handlers(said: Counter[str]) -> list[Any]:
    """python-telegram-bot's side of every benchmark: the self-compassion break as a six-state ConversationHandler
    (per user, state in memory), /start and an idle reply. `said` counts the replies by kind: "again" (not
    understood) and "menu" should stay at 0."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import CommandHandler, ContextTypes, ConversationHandler, MessageHandler, filters

    situation_keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"s{i}")] for i, label in enumerate(
            ("Un patient qui n'avance pas", "De l'administratif en retard", "Une relation professionnelle tendue",
             "Une surcharge de travail", "Autre chose"), start=1)]
    )  # fmt: skip
    touch_keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("C'est fait", callback_data="t1"), InlineKeyboardButton("Passer", callback_data="t2")]]
    )
    situation, body, before, practice, sentence, after = range(6)
    practice_steps = (("humanity", None), ("touch", touch_keyboard), ("kindness", None), ("sentence", None))

    async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, markup: Any = None) -> None:
        assert update.effective_chat is not None
        said[key] += 1
        await context.bot.send_message(update.effective_chat.id, PTB_TEXTS[key], reply_markup=markup)

    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, lo: int, hi: int) -> None:
        assert update.effective_chat is not None
        said["again"] += 1
        await context.bot.send_message(update.effective_chat.id, PTB_TEXTS["again"].format(lo=lo, hi=hi))

    def number(update: Update, lo: int, hi: int) -> int | None:
        text = (update.message.text if update.message else "") or ""
        value = int(text) if text.strip().isdigit() else None
        return value if value is not None and lo <= value <= hi else None

    async def start_break(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await say(update, context, "situation", situation_keyboard)
        return situation

    async def on_situation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        if number(update, 1, 5) is None:
            await again(update, context, 1, 5)
            return situation
        await say(update, context, "body")
        return body

    async def on_body(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        await say(update, context, "intensity")
        return before

    async def on_before(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = number(update, 0, 10)
        if value is None:
            await again(update, context, 0, 10)
            return before
        assert context.user_data is not None
        context.user_data["before"], context.user_data["practice"] = value, 0
        await say(update, context, "mindfulness")
        return practice

    async def on_practice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert context.user_data is not None
        key, markup = practice_steps[context.user_data["practice"]]
        context.user_data["practice"] += 1
        await say(update, context, key, markup)
        return sentence if key == "sentence" else practice

    async def on_sentence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert context.user_data is not None and update.message is not None
        context.user_data["sentence"] = update.message.text
        await say(update, context, "after")
        return after

    async def on_after(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = number(update, 0, 10)
        assert context.user_data is not None and update.effective_chat is not None
        if value is None:
            await again(update, context, 0, 10)
            return after
        text = PTB_TEXTS["close"].format(before=context.user_data["before"], after=value)
        await context.bot.send_message(update.effective_chat.id, text)
        return ConversationHandler.END

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await say(update, context, "welcome")

    async def on_idle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await say(update, context, "menu")

    async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        return ConversationHandler.END

    text_only = filters.TEXT & ~filters.COMMAND
    conversation = ConversationHandler(
        entry_points=[CommandHandler("break", start_break)],
        states={
            situation: [MessageHandler(text_only, on_situation)],
            body: [MessageHandler(text_only, on_body)],
            before: [MessageHandler(text_only, on_before)],
            practice: [MessageHandler(text_only, on_practice)],
            sentence: [MessageHandler(text_only, on_sentence)],
            after: [MessageHandler(text_only, on_after)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        allow_reentry=True,
        per_user=True,
        per_chat=True,
    )
    return [conversation, CommandHandler("start", on_start), MessageHandler(filters.TEXT, on_idle)]


BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


def canned_request_class() -> type:
    from telegram.request import BaseRequest, RequestData

    class CannedBotApi(BaseRequest):
        """No network: answers like the Bot API (sendMessage echoes chat, text and keyboard, so PTB parses a full
        Message back; other methods answer true); getUpdates never returns (updates come from the bench). The PTB
        side of every benchmark and Phare's Telegram side use this one class, so both pay the same for it."""

        def __init__(self) -> None:
            self.calls: Counter[str] = Counter()
            self.message_id = 0

        @property
        def read_timeout(self) -> float | None:
            return None

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def do_request(
            self,
            url: str,
            method: str,
            request_data: RequestData | None = None,
            read_timeout: Any = None,
            write_timeout: Any = None,
            connect_timeout: Any = None,
            pool_timeout: Any = None,
        ) -> tuple[int, bytes]:
            endpoint = url.rsplit("/", 1)[-1]
            self.calls[endpoint] += 1
            if endpoint == "getUpdates":
                await asyncio.Event().wait()  # cancelled by Poller.stop()
            if endpoint == "getMe":
                return 200, json.dumps({"ok": True, "result": BOT_USER}).encode()
            if endpoint != "sendMessage":
                return 200, b'{"ok":true,"result":true}'  # setMyCommands, deleteWebhook, editMessageReplyMarkup
            params = request_data.parameters if request_data else {}
            chat_id = int(str(params.get("chat_id", 0)))
            self.message_id += 1
            result = {
                "message_id": self.message_id,
                "date": BASE_DATE,
                "chat": {"id": chat_id, "type": "private", "first_name": "Therapist"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            if "reply_markup" in params:
                markup = params["reply_markup"]
                result["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            return 200, json.dumps({"ok": True, "result": result}).encode()

    return CannedBotApi


async def ptb_child(stream: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from telegram import Update
    from telegram.ext import ApplicationBuilder

    said: Counter[str] = Counter()
    request = canned_request_class()()
    application = ApplicationBuilder().token("4242:bench").request(request).updater(None).build()
    for handler in ptb_break_handlers(said):
        application.add_handler(handler)
    await application.initialize()
    bot = application.bot

    async def handle(raw: str) -> None:
        await application.process_update(Update.de_json(json.loads(raw), bot))

    gauges = Gauges()
    await closed_loop(stream["warmup"], handle)
    settle_gc(args.gc_freeze)
    calls_before = request.calls["sendMessage"]
    said.clear()
    gauges.start()
    with Profiling(args.profile, args.profile_out, args.profile_clock, enabled=args.profile_phase == "main"):
        elapsed, latencies = await closed_loop(stream["main"], handle)
    main = {**summary(len(stream["main"]), elapsed, latencies), **gauges.stop()}
    main["replies"] = request.calls["sendMessage"] - calls_before
    main["not_understood"], main["idle_menu"] = said["again"], said["menu"]
    steady: dict[str, Any] | None = None
    if not args.skip_steady:
        contention = Contention([])
        gauges.start()
        with Profiling(args.profile, args.profile_out, args.profile_clock, enabled=args.profile_phase == "steady"):
            s_elapsed, s_latencies = await open_loop(stream["steady"], handle)
        steady = {**summary(len(stream["steady"]), s_elapsed, s_latencies), **gauges.stop(), **contention.stop()}
        steady["rate"] = stream["steady_rate"]
    await application.shutdown()
    return {
        "side": "ptb",
        "durability": "none: conversation state in memory, lost on a crash",
        "main": main,
        "steady": steady,
        "peak_rss_mb": peak_rss_mb(),
        "gc_freeze": args.gc_freeze,
        "warmup_messages": len(stream["warmup"]),
        "replies_total": request.calls["sendMessage"],
    }


# --- parent ------------------------------------------------------------------------------------------------


def run_child(side: str, stream_file: Path, args: argparse.Namespace, *, first: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--stream", str(stream_file)]
    command.append("--gc-freeze" if args.gc_freeze else "--no-gc-freeze")
    command.append("--phare-gc" if args.phare_gc else "--no-phare-gc")
    if first:  # the steady phase and any profile: once, in the first round
        command += ["--profile", str(args.profile), "--profile-phase", args.profile_phase]
        command += ["--profile-clock", args.profile_clock]
        if args.profile_out:
            out: Path = args.profile_out
            command += ["--profile-out", str(out.with_name(f"{out.stem}-{side}{out.suffix}"))]
    else:
        command.append("--skip-steady")
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} child failed with exit code {done.returncode}")
    line = done.stdout.strip().splitlines()[-1]
    print(line, flush=True)
    result: dict[str, Any] = json.loads(line)
    return result


def combine(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median closed-loop throughput stands for the side (so its latency and CPU figures
    come from one consistent run); the steady phase comes from the first round; peak RSS is the highest."""
    ranked = sorted(rounds, key=lambda r: r["main"]["throughput"])
    result = dict(ranked[(len(ranked) - 1) // 2])
    result["steady"] = rounds[0]["steady"]
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in rounds)
    result["rounds_throughput"] = [r["main"]["throughput"] for r in rounds]
    return result


def describe(result: dict[str, Any]) -> list[str]:
    main, steady = result["main"], result["steady"]
    each = ", ".join(f"{t:,.0f}" for t in result["rounds_throughput"])
    lines = [
        f"{result['side']}: throughput {main['throughput']:,.0f} msg/s (median of rounds: {each})"
        f" | latency p50 {main['p50_ms']} ms, p99 {main['p99_ms']} ms | peak RSS {result['peak_rss_mb']} MB"
        f" | steady {steady['rate']:g} msg/s: p99 {steady['p99_ms']} ms"
        f" (p50 {steady['p50_ms']} ms, max {steady['max_ms']} ms)",
        f"  durability: {result['durability']}{'; gc.freeze() after warm-up' if result['gc_freeze'] else ''}",
        f"  closed loop: {main['messages']} messages in {main['elapsed_s']} s; CPU {main['cpu_s']} s"
        f" = {main['cpu_s'] / main['messages'] * 1e6:.0f} µs/message"
        f" ({main['cpu_loop_thread_s']} s event-loop thread, {main['cpu_other_threads_s']} s other threads);"
        f" GC {main['gc_runs']} runs, {main['gc_total_ms']} ms in all, max {main['gc_max_ms']} ms",
        f"  steady: CPU {steady['cpu_s']} s over {steady['elapsed_s']} s; GC max {steady['gc_max_ms']} ms",
    ]
    if "loop_cpu_wait_share" in steady:
        server = steady.get("server_cpu_wait_share")
        lines.append(
            f"  steady, waiting for a CPU (the machine's share, not the code's): event-loop thread"
            f" {steady['loop_cpu_wait_share']:.0%} of the time"
            + (f", PostgreSQL backends {server:.0%}" if server is not None else "")
            + f"; idle CPUs {steady['idle_cpus']:.2f} on average"
        )
    for name, phase in (("closed loop", main), ("steady", steady)):
        if "batches" in phase:
            lines.append(
                f"  writer, {name}: {phase['batches']} transactions, mean {phase['mean_batch']} jobs,"
                f" p50 {phase['batch_p50_ms']} ms, max {phase['batch_max_ms']} ms,"
                f" busy {phase['writer_busy_share']:.0%} of the time"
            )
    if "error_replies" in result:
        lines.append(
            f"  replies {result['replies_total']} (errors {result['error_replies']}), outbox rows left"
            f" {result['outbox_rows_left']}, history rows {result['history_rows']}, database {result['db_bytes']:,} B"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--steady-rate", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("phare", "ptb"))
    parser.add_argument(
        "--rounds", type=int, default=3, help="closed-loop runs per side, alternating sides; the median counts"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile one phase in the first round; top N to stderr"
    )
    parser.add_argument("--profile-phase", choices=("main", "steady"), default="main", help="which phase to profile")
    parser.add_argument(
        "--profile-clock", choices=("cpu", "wall"), default="cpu", help="cpu: thread CPU time; wall: includes waits"
    )
    parser.add_argument(
        "--profile-out", type=Path, metavar="FILE", help="also dump that profile (pstats), one file per side"
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() after warm-up in both children, as `phare run` does (--no-gc-freeze to compare)",
    )
    parser.add_argument(
        "--phare-gc",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Phare's child collects its youngest generation as `phare run` does (--no-phare-gc: Python's default)",
    )
    parser.add_argument("--child", choices=("phare", "ptb"), help=argparse.SUPPRESS)
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-steady", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)  # bench/pg_core.py: Phare's child on PostgreSQL
    parser.add_argument("--barrier", help=argparse.SUPPRESS)  # bench/pg_core.py: start with the other child
    args = parser.parse_args()

    if args.child:
        stream = json.loads(args.stream.read_text())
        child = phare_child if args.child == "phare" else ptb_child
        print(json.dumps(asyncio.run(child(stream, args))), flush=True)
        return

    started, load = time.perf_counter(), os.getloadavg()
    stream = make_stream(args.seed, args.users, args.messages, args.steady_rate, args.steady_seconds)
    print(stream_header(args, stream), flush=True)
    compare(args, stream, run_child, describe, "phare_vs_ptb_ratio", started, load)


def stream_header(args: argparse.Namespace, stream: dict[str, Any]) -> str:
    """The first line of a benchmark on this stream (bench/core.py, bench/pg_core.py)."""
    return (
        f"stream: {args.messages} messages for {args.users} users (seed {args.seed}), after an untimed warm-up of "
        f"{len(stream['warmup'])} onboarding messages; steady: {args.steady_rate:g} msg/s"
        f" for {args.steady_seconds:g} s; {args.rounds} round(s)"
    )


Child = Callable[..., dict[str, Any]]


def compare(
    args: argparse.Namespace,
    stream: dict[str, Any],
    child: Child,
    describe_side: Callable[[dict[str, Any]], list[str]],
    ratio_name: str,
    started: float,
    load: tuple[float, float, float],
) -> None:
    """Both sides, in alternating child processes, for the rounds asked; the median round of each side is
    described, and the last line is `<ratio_name>=<phare throughput / ptb throughput>`."""
    sides = [side for side in ("phare", "ptb") if args.only in (None, side)]
    rounds: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="phare-bench-stream-") as tmp:
        stream_file = Path(tmp) / "stream.json"
        stream_file.write_text(json.dumps(stream, ensure_ascii=False))
        for number in range(max(1, args.rounds)):
            for side in sides:
                rounds[side].append(child(side, stream_file, args, first=number == 0))
    results = {side: combine(runs) for side, runs in rounds.items()}
    for result in results.values():
        print("\n".join(describe_side(result)))
    print(
        f"total wall time {time.perf_counter() - started:.1f} s; machine load average (1 min) {load[0]:.2f} before,"
        f" {os.getloadavg()[0]:.2f} after (other work on the machine skews the figures)"
    )
    if "phare" in results and "ptb" in results:
        ratio = results["phare"]["main"]["throughput"] / results["ptb"]["main"]["throughput"]
        print(f"{ratio_name}={ratio:.3f}")
    else:
        print(f"{ratio_name}=n/a")


if __name__ == "__main__":
    main()
