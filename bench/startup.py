"""Start-up as a user meets it: `phare console` to its first line, and `phare run` to its first getUpdates
against a local Bot API double. Each measured in a fresh process, on a data directory that already exists
(the usual start: schema current, key present), several times.

    python bench/startup.py [--runs 5]

Prints min / median / max for each, then `run_ready_ms=<median>` as its last line (issue 16: under 2 s for
`phare run`, under 1.5 s for the console's first line).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.telegram_double import TOKEN, BotApiDouble  # noqa: E402


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHARE_")}
    env.update(PHARE_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), **extra)
    return env


async def _prepare(data_dir: Path) -> None:
    """A first start creates the schema and the key: that is not what is measured."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "console", env=_env(data_dir), cwd=data_dir,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await process.communicate(b"/quit\n")


async def console_first_line(data_dir: Path) -> float:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "console", env=_env(data_dir), cwd=data_dir,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    elapsed = time.perf_counter() - started
    assert line, "the console printed nothing"
    process.stdin.write(b"/quit\n")
    await process.stdin.drain()
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
    return elapsed


async def run_first_poll(data_dir: Path, double: BotApiDouble) -> float:
    before = sum(1 for c in double.calls if c.method == "getUpdates")
    started = time.perf_counter()
    env = _env(data_dir, PHARE_TELEGRAM_TOKEN=TOKEN, PHARE_TELEGRAM_BASE_URL=double.base_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while sum(1 for c in double.calls if c.method == "getUpdates") == before:
            if process.returncode is not None:
                raise RuntimeError("phare run stopped before polling")
            await asyncio.sleep(0.005)
        return time.perf_counter() - started
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()


def _line(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"{name}: min {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms ({len(ms)} runs)"


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        console_dir, run_dir = Path(tmp, "console"), Path(tmp, "run")
        console_dir.mkdir()
        run_dir.mkdir()
        await _prepare(console_dir)
        await _prepare(run_dir)
        double = BotApiDouble()
        await double.start()
        try:
            consoles = [await console_first_line(console_dir) for _ in range(args.runs)]
            runs = [await run_first_poll(run_dir, double) for _ in range(args.runs)]
        finally:
            await double.close()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(_line("console, first line", consoles))
    print(_line("phare run, first getUpdates", runs))
    print(f"console_first_line_ms={statistics.median(consoles) * 1000:.0f}")
    print(f"run_ready_ms={statistics.median(runs) * 1000:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
