"""The Mermaid diagrams in docs/dialogues/ are generated from the files and must be up to date."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from dialogues.graph import mermaid
from tests.harness import library

DOCS = Path(__file__).resolve().parents[1] / "docs" / "dialogues"


def test_every_dialogue_has_an_up_to_date_diagram() -> None:
    stale = []
    for dialogue in library().dialogues.values():
        path = DOCS / f"{dialogue.id}.mmd"
        if not path.exists() or path.read_text(encoding="utf-8") != mermaid(dialogue):
            stale.append(dialogue.id)
    assert not stale, f"run `phare dialogues graph --all --out docs/dialogues/` (stale: {', '.join(stale)})"


def test_graph_command_prints_mermaid(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["dialogues", "graph", "compassion_break"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "flowchart TD"
    assert "call_anchor" in out and '-->|"8–10"|' in out


def test_check_command_passes_on_the_shipped_files(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["dialogues", "check"]) == 0
    assert "all good" in capsys.readouterr().out
