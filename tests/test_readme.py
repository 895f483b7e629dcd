"""The README's two commands are the ones CI runs, and the console answers a piped session."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", head)


def test_the_readme_starts_with_install_and_test_commands() -> None:
    commands = _commands()
    assert len(commands) == 2
    assert commands[0].endswith("phare console")
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8"), "CI must run the README's tests"


def test_the_console_runs_a_piped_break_in_english(tmp_path: Path) -> None:
    answers = "\n".join(["2", "ok", "ok", "1", "1", "/break", "1", "ok", "3", "ok", "ok", "1", "ok", "", "2"])
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--data-dir", str(tmp_path), "--lang", "en"],
        input=answers + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "Before: 3/10 → now: 2/10" in done.stdout, done.stdout[-2000:]
    assert "Traceback" not in done.stderr


def test_the_console_transcript_tells_a_takeover_from_a_question(tmp_path: Path) -> None:
    """A reviewer reading --transcript sees which replies carried the crisis lines, and at which level."""
    transcript = tmp_path / "transcript.jsonl"
    answers = ["2", "ok", "ok", "1", "1", "I attempted suicide when I was 19", "no", "I'm on the bridge right now"]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--data-dir", str(tmp_path), "--lang", "en",
         "--transcript", str(transcript)],
        input="\n".join(answers) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in transcript.read_text(encoding="utf-8").splitlines()]
    levels = [line["safety"] for line in lines if "safety" in line]
    assert levels == ["check", "urgent"], levels
    plain = [line for line in lines if "3114" not in line["text"] and "findahelpline" not in line["text"]]
    assert plain and all("safety" not in line for line in plain), "only replies with the lines are marked"
