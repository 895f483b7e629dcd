"""Golden transcripts (tests/transcripts/*.yaml), run through the writer and through the console."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.transports.console import run_console
from dialogues.numbers import fold
from tests.harness import App, FakeClock, User, make_app, sqlite_url, text_of

FILES = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("turns"), f"{path.name}: needs turns"
    return data


def _check_words(where: str, text: str, turn: dict[str, Any]) -> None:
    folded = fold(text)
    for word in turn.get("says", []):
        assert fold(str(word)) in folded, f"{where}: expected {word!r} in:\n{text}"
    for word in turn.get("not_says", []):
        assert fold(str(word)) not in folded, f"{where}: did not expect {word!r} in:\n{text}"


async def _last_history(app: App, user: User) -> dict[str, Any] | None:
    async with app.db.begin() as conn:
        found = await app.repo.users_by_key(conn, [(user.platform, user.key)])
        record = found.get((user.platform, user.key))
        if record is None:
            return None
        entries = await app.repo.history_of(conn, record.id, limit=1)
    if not entries:
        return None
    entry = entries[0]
    return {"dialogue": entry.dialogue_id, "outcome": entry.outcome, "measures": entry.measures}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_transcript_through_router(path: Path, tmp_path: Path) -> None:
    data = _load(path)
    clock = FakeClock()
    app = await make_app(sqlite_url(tmp_path), clock=clock)
    try:
        user = User(app, locale=data.get("locale", "fr"))
        await user.onboard(
            language=data.get("locale", "fr"),
            address=data.get("address", "vous"),
            consent=data.get("consent", True),
            country=data.get("country", "fr"),
        )
        for index, turn in enumerate(data["turns"], start=1):
            where = f"{path.name} turn {index}"
            if "send" in turn:
                replies = await user.send(str(turn["send"]))
            elif "tap" in turn:
                replies = await user.tap(str(turn["tap"]))
            elif "wait" in turn:
                clock.advance(seconds=float(turn["wait"]))
                await app.writer.tick()
                await app.settle()
                replies = user.chat[user.seen :]
                user.seen = len(user.chat)
            else:
                raise AssertionError(f"{where}: a turn needs send, tap or wait")
            _check_words(where, text_of(replies), turn)
            if "step" in turn:
                assert await user.step() == turn["step"], f"{where}: at step {await user.step()!r}"
            if "measures" in turn:
                measures = await _run_measures(app, user)
                for name, value in turn["measures"].items():
                    assert measures.get(name) == value, f"{where}: measures {measures}"
            if "history" in turn:
                entry = await _last_history(app, user)
                assert entry is not None, f"{where}: no history entry"
                expected = turn["history"]
                assert entry["dialogue"] == expected["dialogue"], where
                assert entry["outcome"] == expected.get("outcome", "completed"), f"{where}: {entry}"
                for name, value in expected.get("measures", {}).items():
                    assert entry["measures"].get(name) == value, f"{where}: {entry['measures']}"
    finally:
        await app.close()


async def _run_measures(app: App, user: User) -> dict[str, Any]:
    async with app.db.begin() as conn:
        found = await app.repo.users_by_key(conn, [(user.platform, user.key)])
        record = found[(user.platform, user.key)]
        runs = await app.repo.current_runs(conn, [record.id])
        if record.id in runs:
            return dict(runs[record.id].state.get("measures", {}))
        entries = await app.repo.history_of(conn, record.id, limit=1)
    return dict(entries[0].measures) if entries else {}


def _console_lines(data: dict[str, Any], labels: dict[str, str]) -> list[str]:
    lines = []
    for turn in data["turns"]:
        if "send" in turn:
            lines.append(str(turn["send"]))
        elif "tap" in turn:
            lines.append(labels.get(str(turn["tap"]), str(turn["tap"])))
    return lines


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_transcript_through_console(path: Path, tmp_path: Path) -> None:
    """The same answers typed in the console (taps become the button's label), ending in the same history."""
    data = _load(path)
    if any("wait" in turn for turn in data["turns"]):
        pytest.skip("timed pauses are covered through the writer")
    locale = data.get("locale", "fr")
    labels = await _labels_for(data, tmp_path / "probe")
    onboarding = (
        ["1" if locale == "fr" else "2"]
        + (["1" if data.get("address", "vous") == "vous" else "2"] if locale == "fr" else [])
        + ["ok", "ok", "1" if data.get("consent", True) else "2", "1"]
    )
    script = "\n".join(onboarding + _console_lines(data, labels)) + "\n"
    out = io.StringIO()
    app = await make_app(sqlite_url(tmp_path))
    try:
        await run_console(app.writer, stdin=io.StringIO(script), stdout=out, export_dir=tmp_path / "exports",
                          locale=locale)  # fmt: skip
        final = [t for t in data["turns"] if "history" in t]
        if final:
            user = User(app, key="local", platform="console")
            entry = await _last_history(app, user)
            assert entry is not None and entry["dialogue"] == final[-1]["history"]["dialogue"], out.getvalue()
            for name, value in final[-1]["history"].get("measures", {}).items():
                assert entry["measures"].get(name) == value, out.getvalue()
        all_words = [w for t in data["turns"] for w in [*t.get("says", []), *t.get("console_says", [])]]
        absent = [w for t in data["turns"] for w in t.get("console_not_says", [])]
        _check_words(path.name, out.getvalue(), {"says": all_words, "not_says": absent})
    finally:
        await app.close()


async def _labels_for(data: dict[str, Any], directory: Path) -> dict[str, str]:
    """Button labels by id, learnt by playing the transcript once through the writer."""
    directory.mkdir()
    app = await make_app(sqlite_url(directory))
    labels: dict[str, str] = {}
    try:
        user = User(app, locale=data.get("locale", "fr"))
        await user.onboard(language=data.get("locale", "fr"), address=data.get("address", "vous"),
                           consent=data.get("consent", True), country=data.get("country", "fr"))  # fmt: skip
        for turn in data["turns"]:
            if "send" in turn:
                await user.send(str(turn["send"]))
            elif "tap" in turn:
                labels[str(turn["tap"])] = user.button(str(turn["tap"])).label
                await user.tap(str(turn["tap"]))
    finally:
        await app.close()
    return labels
