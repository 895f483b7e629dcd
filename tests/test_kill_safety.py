"""100 SIGKILLs at random moments of scripted dialogues: no step and no reply lost or doubled."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("PHARE_KILLS", "100"))

ONBOARDING = ["/start", "1", "1", "ok", "ok", "1", "1"]
# One full break with typed answers only (taps would carry run ids, which differ between runs).
BREAK = ["/break", "2", "ok", "4", "ok", "ok", "1", "ok", "Je fais de mon mieux.", "3"]


def _script(users: int, breaks: int) -> dict[str, list[str]]:
    return {f"u{n:02d}": ONBOARDING + BREAK * breaks + ["/history"] for n in range(users)}


def _transcript(data_dir: Path) -> list[dict[str, str]]:
    path = data_dir / "transcript.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in lines:  # files are written under each run's own data dir: compare their names only
        line["text"] = line["text"].replace(str(data_dir), "DATA")
    return lines


def _start(data_dir: Path, script_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.kill_worker", str(data_dir), str(script_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen[str]) -> bool:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return line.strip() == "ready"


def _run_to_end(data_dir: Path, script_path: Path) -> None:
    proc = _start(data_dir, script_path)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert "finished" in out


def test_hundred_kills_lose_and_double_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    script = _script(users=12, breaks=8)
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps(script))

    reference = tmp_path / "reference"
    reference.mkdir()
    _run_to_end(reference, script_path)

    victim = tmp_path / "victim"
    victim.mkdir()
    kills = 0
    finished = False
    while kills < KILLS and not finished:
        proc = _start(victim, script_path)
        # Kill at random moments: mostly while messages flow, sometimes during start-up or recovery.
        if rng.random() < 0.85 and not _wait_ready(proc):
            finished = proc.wait() == 0
            continue
        time.sleep(rng.uniform(0.0, 0.12))
        if proc.poll() is not None:
            finished = proc.returncode == 0
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    _run_to_end(victim, script_path)

    expected = _transcript(reference)
    got = _transcript(victim)
    ids = [line["id"] for line in got]
    assert len(ids) == len(set(ids)), "a reply was delivered twice"
    per_chat_expected: dict[str, list[str]] = defaultdict(list)
    per_chat_got: dict[str, list[str]] = defaultdict(list)
    for line in expected:
        per_chat_expected[line["chat"]].append(line["text"])
    for line in got:
        per_chat_got[line["chat"]].append(line["text"])
    assert kills >= min(KILLS, 20), f"only {kills} kills happened"
    assert set(per_chat_got) == set(per_chat_expected)
    for chat, texts in per_chat_expected.items():
        assert per_chat_got[chat] == texts, f"{chat}: replies differ after {kills} kills"
