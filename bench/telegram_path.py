"""The full Telegram path in process: Phare with its Telegram transport against PTB's ConversationHandler.

Run from the repository root:  .venv/bin/python bench/telegram_path.py  (see bench/README.md for the options).

Same stream and same PTB child as bench/core.py (imported from it). The Phare child runs the real
TelegramService: each payload is parsed with `json.loads` and handed, as the Bot API's JSON object (as the
polling loop does), to `TelegramService.handle` (UpdateReader → writer.enqueue → commit); the commit
listener feeds the outbox Dispatcher, which calls `TelegramTransport.deliver` → limiter → the Bot's request
path (`sendMessage`) through a canned in-process BaseRequest (no network), then marks the replies sent. A
message is done when every reply it caused has been delivered (handed to the canned request and its answer
read), not merely committed. The send limiter is configured with limits far above any reachable rate, so
the figure is Phare's own cost, not Telegram's 30 msg/s. Phare's child runs with Phare's collector setting
(bot.app), PTB's with Python's default. Last line: `phare_telegram_vs_ptb_ratio=<phare/ptb throughput>`.

Not `bench/telegram.py`: a script's folder comes first on sys.path, so that name would hide
python-telegram-bot from core.py and checkins.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core import (  # noqa: E402
    Gauges,
    Profiling,
    bench_writer,
    canned_request_class,
    closed_loop,
    compare,
    make_stream,
    peak_rss_mb,
    phare_young_threshold,
    ptb_child,
    settle_gc,
    summary,
)

TOKEN = "4242:bench"
UNCAPPED = 1e9  # messages per second: the limiter's code runs on every send, but never waits


# --- (a) Phare with its Telegram transport ------------------------------------------------------------------


async def phare_child(stream: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import text

    from bot.messages import Delivery
    from bot.transports.telegram.api import PhareBot
    from bot.transports.telegram.limiter import Limits
    from bot.transports.telegram.service import DEFAULT_API, TelegramOptions, TelegramService, file_url
    from bot.transports.telegram.transport import chat_id_of
    from dialogues.texts import Context

    data_dir, db, writer = await bench_writer("phare-bench-tg-")
    library = writer.library
    limits = Limits(
        overall_per_second=UNCAPPED, private_per_second=UNCAPPED, private_burst=1_000_000, group_per_minute=1_000_000
    )
    service = TelegramService(writer, TelegramOptions(TOKEN, limits=limits, send_concurrency=args.send_concurrency))
    canned = canned_request_class()
    request, updates_request = canned(), canned()
    service.bot = PhareBot(  # the service's own bot, but on the canned request instead of HTTPX
        TOKEN, base_url=DEFAULT_API, base_file_url=file_url(DEFAULT_API), request=request,
        get_updates_request=updates_request,
    )  # fmt: skip
    await service.start()  # getMe, menu, deleteWebhook, transport, Dispatcher, poller (its getUpdates waits)
    transport = service.transport
    assert transport is not None
    loop = asyncio.get_running_loop()

    # Done = delivered: per chat, the deliveries committed and not yet through transport.deliver.
    outstanding: defaultdict[int, int] = defaultdict(int)
    waiters: dict[int, asyncio.Future[None]] = {}
    error_text = library.text("error").render(
        Context(locale="fr", address="vous", vars={"operator_contact": writer.operator_contacts["fr"]})
    )
    counts = {"delivered": 0, "errors": 0}

    def on_commit(deliveries: list[Delivery]) -> None:  # after the Dispatcher's enqueue, same commit
        for delivery in deliveries:
            outstanding[chat_id_of(delivery.chat_key)] += 1

    real_deliver = transport.deliver

    async def deliver(delivery: Delivery) -> None:
        await real_deliver(delivery)
        chat = chat_id_of(delivery.chat_key)
        counts["delivered"] += 1
        counts["errors"] += delivery.message.text == error_text
        outstanding[chat] -= 1
        if outstanding[chat] == 0:
            waiter = waiters.pop(chat, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    writer.on_commit(on_commit)
    transport.deliver = deliver  # type: ignore[method-assign]

    async def handle(raw: str) -> None:
        update = json.loads(raw)  # the poller hands getUpdates' JSON objects to the service as they are
        chat = update["message"]["chat"]["id"]
        await service.handle([update])  # what the polling loop calls: read → submit (chained per person)
        if outstanding[chat]:
            waiter = waiters[chat] = loop.create_future()
            await waiter  # (wait_for's timer cost more than the step's own bookkeeping; the parent has a timeout)

    gauges = Gauges()
    await closed_loop(stream["warmup"], handle)
    await service.idle()
    settle_gc(args.gc_freeze, phare_young_threshold(args))

    calls_before, delivered_before, batches_before = Counter(request.calls), counts["delivered"], writer.batches
    gauges.start()
    with Profiling(args.profile, args.profile_out, args.profile_clock):
        elapsed, latencies = await closed_loop(stream["main"], handle)
    main = {**summary(len(stream["main"]), elapsed, latencies), **gauges.stop()}
    calls = request.calls - calls_before
    transactions = writer.batches - batches_before  # steps and mark-sent writes
    main.update(
        replies=counts["delivered"] - delivered_before,
        send_message_calls=calls["sendMessage"],
        keyboard_edits=calls["editMessageReplyMarkup"],
        transactions=transactions,
    )
    await service.idle()
    await service.stop()
    async with db.begin() as conn:
        outbox_left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
    await writer.stop()
    await db.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "side": "phare+telegram",
        "main": main,
        "steady": None,
        "peak_rss_mb": peak_rss_mb(),
        "gc_freeze": args.gc_freeze,
        "young_threshold": phare_young_threshold(args),
        "warmup_messages": len(stream["warmup"]),
        "replies_total": counts["delivered"],
        "error_replies": counts["errors"],
        "outbox_rows_left": outbox_left,
        "limits": f"overall {UNCAPPED:g}/s, private {UNCAPPED:g}/s: never waits",
        "send_concurrency": args.send_concurrency,
    }


# --- parent ------------------------------------------------------------------------------------------------


def run_child(side: str, stream_file: Path, args: argparse.Namespace, *, first: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", side, "--stream", str(stream_file)]
    command += ["--gc-freeze" if args.gc_freeze else "--no-gc-freeze", "--send-concurrency", str(args.send_concurrency)]
    command.append("--phare-gc" if args.phare_gc else "--no-phare-gc")
    if first and args.profile:
        command += ["--profile", str(args.profile), "--profile-clock", args.profile_clock]
        if args.profile_out:
            out: Path = args.profile_out
            command += ["--profile-out", str(out.with_name(f"{out.stem}-{side}{out.suffix}"))]
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} child failed with exit code {done.returncode}")
    line = done.stdout.strip().splitlines()[-1]
    print(line, flush=True)
    result: dict[str, Any] = json.loads(line)
    return result


def describe(result: dict[str, Any]) -> list[str]:
    main = result["main"]
    each = ", ".join(f"{t:,.0f}" for t in result["rounds_throughput"])
    lines = [
        f"{result['side']}: throughput {main['throughput']:,.0f} msg/s (median of rounds: {each})"
        f" | latency p50 {main['p50_ms']} ms, p99 {main['p99_ms']} ms, max {main['max_ms']} ms"
        f" | CPU {main['cpu_s'] / main['messages'] * 1e6:.0f} µs/message | peak RSS {result['peak_rss_mb']} MB",
        f"  {main['messages']} messages in {main['elapsed_s']} s; CPU {main['cpu_s']} s"
        f" ({main['cpu_loop_thread_s']} s event-loop thread, {main['cpu_other_threads_s']} s other threads);"
        f" GC {main['gc_runs']} runs, {main['gc_total_ms']} ms, max {main['gc_max_ms']} ms; replies {main['replies']}",
    ]
    if "send_message_calls" in main:
        lines.append(
            f"  sendMessage {main['send_message_calls']}, keyboard edits {main['keyboard_edits']},"
            f" writer transactions {main['transactions']} (steps and mark-sent);"
            f" error replies {result['error_replies']}, outbox rows left {result['outbox_rows_left']};"
            f" limiter {result['limits']}; {result['send_concurrency']} send workers"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("phare", "ptb"))
    parser.add_argument("--rounds", type=int, default=5, help="runs per side, alternating; the median counts")
    parser.add_argument("--send-concurrency", type=int, default=16, help="Dispatcher workers (Phare's default: 16)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the first round; top N")
    parser.add_argument("--profile-clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--profile-out", type=Path, metavar="FILE", help="pstats dump, one file per side")
    parser.add_argument("--gc-freeze", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--phare-gc", action=argparse.BooleanOptionalAction, default=True,
        help="Phare's child collects its youngest generation as `phare run` does (--no-phare-gc: Python's default)",
    )  # fmt: skip
    parser.add_argument("--child", choices=("phare", "ptb"), help=argparse.SUPPRESS)
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        stream = json.loads(args.stream.read_text())
        if args.child == "phare":
            result = asyncio.run(phare_child(stream, args))
        else:  # core.py's child: same handlers, same canned request
            args.profile_phase, args.skip_steady = "main", True
            result = asyncio.run(ptb_child(stream, args))
        print(json.dumps(result), flush=True)
        return

    started, load = time.perf_counter(), os.getloadavg()
    stream = make_stream(args.seed, args.users, args.messages, steady_rate=1.0, steady_seconds=0.0)
    print(
        f"stream: {args.messages} messages for {args.users} users (seed {args.seed}), after an untimed warm-up of "
        f"{len(stream['warmup'])} onboarding messages; {args.rounds} round(s); done = reply delivered",
        flush=True,
    )
    compare(args, stream, run_child, describe, "phare_telegram_vs_ptb_ratio", started, load)


if __name__ == "__main__":
    main()
