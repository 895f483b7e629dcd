"""/history burst: 50 people ask for their chart at once while someone else is talking to Phare.

Run from the repository root:  .venv/bin/python bench/history_burst.py  (see bench/README.md).

In one process: the real Writer on a fresh SQLite data dir (as bench/core.py builds it). Every user onboards
and does the self-compassion break twice (so each has a chart to draw: an untimed warm-up). Then the burst:
`--users` people send /history in the same instant, while one other person sends an ordinary message every
`--interval` seconds (open loop: message i is due at i × interval, latency = committed − due, so a writer
held up by charts counts). The burst ends when every asker got their chart (an image) or a "try again" reply.
Printed: the other person's reply latency p50/p99, how long the charts took, the bot process's RSS before the
burst, right after it and once settled, and the chart workers' RSS if any; last line
`other_reply_p99_ms=<p99>`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from itertools import count, cycle
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.core import ONBOARDING, bench_writer, break_cycle, percentile  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE / 2**20
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def children_rss_mb() -> float:
    """Resident memory of this process's children (the chart workers, when there are any)."""
    total = 0.0
    for task in Path("/proc/self/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        total += sum(rss_mb(pid) for pid in kids)
    return total


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import random

    from bot.messages import Delivery, Incoming

    data_dir, db, writer = await bench_writer("phare-history-burst-")
    ids = count(1)
    rng = random.Random(args.seed)
    images: set[str] = set()
    texts: dict[str, int] = {}
    with_exercises: set[str] = set()  # askers whose /history lists a rated exercise: a chart is due to them

    def on_commit(deliveries: list[Delivery]) -> None:
        for d in deliveries:
            if d.message.attachment is not None and d.message.attachment.kind == "image":
                images.add(d.chat_key)
            else:
                texts[d.chat_key] = texts.get(d.chat_key, 0) + 1
                if re.search(r"→ \d", d.message.text):  # a rated exercise ("4 → 3", not "4 → …")
                    with_exercises.add(d.chat_key)
        # Confirm them as a transport would, so the outbox stays small.
        asyncio.get_running_loop().create_task(writer.mark_sent(tuple(d.id for d in deliveries)))

    writer.on_commit(on_commit)
    await writer.start()

    def incoming(user: str, text: str) -> Incoming:
        return Incoming(platform="bench", user_key=user, chat_key=user, message_id=str(next(ids)),
                        received_at=datetime.now(UTC), text=text, locale="fr")  # fmt: skip

    async def say_all(user: str, texts_: list[str]) -> None:
        for text in texts_:
            await writer.submit(incoming(user, text))

    askers = [f"u{i}" for i in range(args.users)]
    other = "other"
    warm = [say_all(u, [*ONBOARDING, *break_cycle(rng), *break_cycle(rng)]) for u in [*askers, other]]
    await asyncio.gather(*warm)
    gc.collect()
    await asyncio.sleep(0.5)
    rss_before = rss_mb()

    other_script = cycle(break_cycle(rng))
    latencies: list[float] = []
    stop = asyncio.Event()

    async def other_user() -> None:
        start = time.perf_counter()
        for i, text in enumerate(other_script):
            due = start + i * args.interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if stop.is_set() and i >= args.min_other:
                return
            await writer.submit(incoming(other, text))
            latencies.append(time.perf_counter() - due)

    before_texts = dict(texts)
    with_exercises.clear()
    burst_start = time.perf_counter()
    talker = asyncio.create_task(other_user())
    await asyncio.sleep(args.interval * 2)  # the other person is already talking when the burst comes
    asked_at = time.perf_counter()
    await asyncio.gather(*(writer.submit(incoming(u, "/history")) for u in askers))
    committed = time.perf_counter() - asked_at

    def answered() -> int:
        # An asker is answered once their chart came, or when they got a second text (the "try again" reply),
        # or at once when their history has nothing to draw.
        return sum(1 for u in askers
                   if u in images or texts.get(u, 0) - before_texts.get(u, 0) >= 2
                   or (texts.get(u, 0) > before_texts.get(u, 0) and u not in with_exercises))  # fmt: skip

    deadline = time.perf_counter() + args.timeout
    while answered() < len(askers) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    charts_done = time.perf_counter() - asked_at
    stop.set()
    await talker
    burst_seconds = time.perf_counter() - burst_start
    rss_right_after = rss_mb()
    kids_right_after = children_rss_mb()

    # Settle: let an idle chart pool wind down (if the code has one), then collect.
    settle_start = time.perf_counter()
    pool = getattr(writer, "charts", None)
    while pool is not None and getattr(pool, "running", False) and time.perf_counter() - settle_start < args.settle:
        await asyncio.sleep(0.1)
    gc.collect()
    await asyncio.sleep(0.2)
    settled_after = time.perf_counter() - settle_start
    rss_after = rss_mb()
    kids_after = children_rss_mb()

    await writer.stop()
    await db.dispose()
    shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "askers": len(askers),
        "charts_received": sum(1 for u in askers if u in images),
        "answered": answered(),
        "history_committed_s": round(committed, 3),
        "charts_done_s": round(charts_done, 3),
        "burst_s": round(burst_seconds, 3),
        "other_messages": len(latencies),
        "other_reply_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "other_reply_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "other_reply_max_ms": round(max(latencies, default=0.0) * 1000, 1),
        "rss_before_mb": round(rss_before, 1),
        "rss_right_after_mb": round(rss_right_after, 1),
        "chart_workers_rss_right_after_mb": round(kids_right_after, 1),
        "settle_s": round(settled_after, 2),
        "rss_after_mb": round(rss_after, 1),
        "chart_workers_rss_after_mb": round(kids_after, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="people asking /history at once (50)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between the other person's messages")
    parser.add_argument("--min-other", type=int, default=20, help="the other person sends at least this many")
    parser.add_argument("--timeout", type=float, default=180.0, help="give up waiting for the charts after this")
    parser.add_argument("--settle", type=float, default=90.0, help="at most this long for an idle chart pool to stop")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()
    result = asyncio.run(run(args))
    result["load_before"] = [round(x, 2) for x in load_before]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))
    print(f"other reply p50 {result['other_reply_p50_ms']} ms, p99 {result['other_reply_p99_ms']} ms; "
          f"charts {result['charts_received']}/{result['askers']} in {result['charts_done_s']} s; "
          f"RSS {result['rss_before_mb']} MB before, {result['rss_right_after_mb']} MB right after "
          f"(+{result['chart_workers_rss_right_after_mb']} MB chart workers), {result['rss_after_mb']} MB "
          f"settled (+{result['chart_workers_rss_after_mb']} MB)")  # fmt: skip
    print(f"other_reply_p99_ms={result['other_reply_p99_ms']}")


if __name__ == "__main__":
    main()
