"""Phare's side of bench/core.py on PostgreSQL, beside the same on SQLite, and two processes on one PostgreSQL.

Run from the repository root:  .venv/bin/python bench/pg_core.py  (see bench/README.md for the options).

Same stream and same child as bench/core.py (the real Writer, the untimed onboarding warm-up, the closed loop,
the steady phase at --steady-rate), run on a fresh SQLite data dir and on a fresh PostgreSQL database (created
on the server the tests use, PHARE_TEST_PG, and dropped after), alternating, --rounds times; the median round
stands for each side. Then the two-process mode: two writer processes on one fresh database, the users split
between them (odd and even ids), starting their closed loop together; their throughput is all messages over
the time from the first start to the last end, compared with one process alone on the same stream.
Printed: each side's figures (as core.py prints them, with the statements the driver was handed per writer
transaction), the per-round ratios, and last `pg_vs_sqlite_ratio=<PostgreSQL / SQLite throughput>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkins import admin, pg_url  # noqa: E402 — one copy of the PostgreSQL helpers
from bench.core import combine, describe, make_stream, stream_header  # noqa: E402

CORE = ROOT / "bench" / "core.py"


def command(stream_file: Path, args: argparse.Namespace, *, url: str | None, steady: bool,
            barrier: str | None = None) -> list[str]:  # fmt: skip
    line = [sys.executable, str(CORE), "--child", "phare", "--stream", str(stream_file)]
    line.append("--gc-freeze" if args.gc_freeze else "--no-gc-freeze")
    line.append("--phare-gc" if args.phare_gc else "--no-phare-gc")
    if url:
        line += ["--db-url", url]
    if barrier:
        line += ["--barrier", barrier]
    if not steady:
        line.append("--skip-steady")
    return line


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}


def read_result(stdout: str, what: str) -> dict[str, Any]:
    line = stdout.strip().splitlines()[-1]
    print(f"{what}: {line}", flush=True)
    result: dict[str, Any] = json.loads(line)
    return result


async def fresh_database() -> tuple[str, str]:
    name = f"phare_bench_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    return name, pg_url(name)


async def drop_database(name: str) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_one(stream_file: Path, args: argparse.Namespace, *, url: str | None, steady: bool, what: str) -> dict[str, Any]:
    done = subprocess.run(
        command(stream_file, args, url=url, steady=steady), cwd=ROOT, env=environment(),
        stdout=subprocess.PIPE, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{what} child failed with exit code {done.returncode}")
    return read_result(done.stdout, what)


def run_pair(parts: list[Path], args: argparse.Namespace, url: str, tmp: Path) -> dict[str, Any]:
    """Two children on one database, each with its half of the users, timed together."""
    barrier = str(tmp / f"barrier-{uuid.uuid4().hex[:8]}")
    children = []
    for part in parts:
        line = command(part, args, url=url, steady=False, barrier=barrier)
        children.append(subprocess.Popen(line, cwd=ROOT, env=environment(), stdout=subprocess.PIPE, text=True))
    deadline = time.monotonic() + 1800
    while len(list(tmp.glob(Path(barrier).name + ".ready.*"))) < len(children):
        if any(c.poll() is not None for c in children) or time.monotonic() > deadline:
            for child in children:
                child.kill()
            raise SystemExit("a two-process child stopped before its timed phase")
        time.sleep(0.005)
    Path(barrier + ".go").touch()
    results = []
    for number, child in enumerate(children):
        stdout, _ = child.communicate(timeout=1800)
        if child.returncode != 0:
            raise SystemExit(f"two-process child {number} failed with exit code {child.returncode}")
        results.append(read_result(stdout, f"postgresql, process {number + 1} of 2"))
    mains = [r["main"] for r in results]
    wall = max(m["wall_end"] for m in mains) - min(m["wall_start"] for m in mains)
    messages = sum(m["messages"] for m in mains)
    return {
        "throughput": round(messages / wall, 1),
        "client_cpu_us": round(sum(m["cpu_s"] for m in mains) / messages * 1e6),
        # Both children read the whole server's counters over nearly the same window: the larger counts once.
        "server_cpu_us": round(max(m["server_cpu_s"] for m in mains) / messages * 1e6),
        "each": [m["throughput"] for m in mains],
        "start_skew_ms": round(abs(mains[0]["wall_start"] - mains[1]["wall_start"]) * 1000, 1),
        "statements_per_batch": [m.get("statements_per_batch") for m in mains],
    }


def split(stream: dict[str, Any], parts: int) -> list[dict[str, Any]]:
    """The users shared out by id: each part has its users' warm-up and messages, in the stream's order."""
    return [
        {
            "warmup": [item for item in stream["warmup"] if item[0] % parts == k],
            "main": [item for item in stream["main"] if item[0] % parts == k],
            "steady": [],
            "steady_rate": stream["steady_rate"],
        }
        for k in range(parts)
    ]


def spread(values: list[float]) -> str:
    return f"{min(values):,.3g} / {statistics.median(values):,.3g} / {max(values):,.3g}"


async def main(args: argparse.Namespace) -> None:
    started, load = time.perf_counter(), os.getloadavg()
    stream = make_stream(args.seed, args.users, args.messages, args.steady_rate, args.steady_seconds)
    print(f"{stream_header(args, stream)}; load average {load[0]:.2f}", flush=True)
    rounds: dict[str, list[dict[str, Any]]] = {"sqlite": [], "postgresql": []}
    pairs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="phare-pg-bench-") as tmp_name:
        tmp = Path(tmp_name)
        stream_file = tmp / "stream.json"
        stream_file.write_text(json.dumps(stream, ensure_ascii=False))
        part_files = []
        for k, part in enumerate(split(stream, 2)):
            part_files.append(tmp / f"part-{k}.json")
            part_files[-1].write_text(json.dumps(part, ensure_ascii=False))
        for number in range(max(1, args.rounds)):
            first = number == 0
            rounds["sqlite"].append(run_one(stream_file, args, url=None, steady=first, what="sqlite"))
            name, url = await fresh_database()
            try:
                rounds["postgresql"].append(run_one(stream_file, args, url=url, steady=first, what="postgresql"))
            finally:
                await drop_database(name)
            if args.two_process:
                name, url = await fresh_database()
                try:
                    pairs.append(run_pair(part_files, args, url, tmp))
                finally:
                    await drop_database(name)
    results = {side: combine(runs) for side, runs in rounds.items()}
    for result in results.values():
        print("\n".join(describe(result)))
        if "server_cpu_s" in result["main"]:
            main = result["main"]
            print(
                f"  CPU per message, closed loop: writer {main['cpu_s'] / main['messages'] * 1e6:.0f} µs,"
                f" PostgreSQL (every server process) {main['server_cpu_s'] / main['messages'] * 1e6:.0f} µs"
            )
        print(f"  statements (count x mean time), closed loop: {result['main'].get('statements')}")
        print(f"  statements (count x mean time), steady: {result['steady'].get('statements')}")
    ratios = [
        pg["main"]["throughput"] / lite["main"]["throughput"]
        for lite, pg in zip(rounds["sqlite"], rounds["postgresql"], strict=True)
    ]
    print(f"PostgreSQL / SQLite throughput, per round (min / median / max): {spread(ratios)}")
    waits = {
        side: f" (waiting for a CPU {r['steady']['loop_cpu_wait_share']:.0%} of the time)"
        if "loop_cpu_wait_share" in r["steady"] else ""
        for side, r in results.items()
    }  # fmt: skip
    print(
        f"steady {args.steady_rate:g} msg/s p99: SQLite {results['sqlite']['steady']['p99_ms']} ms{waits['sqlite']},"
        f" PostgreSQL {results['postgresql']['steady']['p99_ms']} ms{waits['postgresql']}"
    )
    if pairs:
        singles = [r["main"]["throughput"] for r in rounds["postgresql"]]
        two = [p["throughput"] / one for p, one in zip(pairs, singles, strict=True)]
        for p in pairs:
            print(
                f"two processes on one PostgreSQL: {p['throughput']:,.0f} msg/s together (each {p['each']},"
                f" started {p['start_skew_ms']} ms apart; statements per transaction {p['statements_per_batch']});"
                f" CPU per message: writers {p['client_cpu_us']} µs, PostgreSQL {p['server_cpu_us']} µs"
            )
        print(f"two processes / one process, per round (min / median / max): {spread(two)}")
        print(f"pg_two_process_ratio={statistics.median(two):.3f}")
    print(
        f"total wall time {time.perf_counter() - started:.1f} s; machine load average (1 min) {load[0]:.2f} before,"
        f" {os.getloadavg()[0]:.2f} after (other work on the machine skews the figures)"
    )
    ratio = results["postgresql"]["main"]["throughput"] / results["sqlite"]["main"]["throughput"]
    print(f"pg_vs_sqlite_ratio={ratio:.3f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--steady-rate", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, alternating; the median counts")
    parser.add_argument(
        "--two-process", action=argparse.BooleanOptionalAction, default=True,
        help="also two writer processes on one database, users split, in each round",
    )  # fmt: skip
    parser.add_argument("--gc-freeze", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--phare-gc", action=argparse.BooleanOptionalAction, default=True)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
