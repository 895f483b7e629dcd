"""What the console prints: Phare's light markdown as a terminal shows it, never as literal asterisks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.messages import Attachment, Delivery, Outgoing
from bot.transports.console import ConsoleTransport, terminal_text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_light_markdown_is_plain_text_off_a_terminal() -> None:
    assert terminal_text("*Your week*", ansi=False) == "Your week"
    assert terminal_text("• /break — *Pause* : _quelques_ minutes", ansi=False) == "• /break — Pause : quelques minutes"
    assert terminal_text("2 * 3 and snake_case_name stay", ansi=False) == "2 * 3 and snake_case_name stay"
    assert terminal_text(r"*Votre lettre* : \*a \_b\* c\_", ansi=False) == "Votre lettre : *a _b* c_", "as typed"


def test_light_markdown_is_ansi_bold_and_italic_on_a_terminal() -> None:
    assert (
        terminal_text("*Ta semaine*, _doucement_", ansi=True) == "\x1b[1mTa semaine\x1b[22m, \x1b[3mdoucement\x1b[23m"
    )
    assert terminal_text(r"\*a\* _b_", ansi=True) == "*a* \x1b[3mb\x1b[23m", "what people typed is never styled"


async def _printed(out: io.StringIO, tmp_path: Path, message: Outgoing, transcript: Path | None = None) -> str:
    transport = ConsoleTransport(out, tmp_path / "exports", transcript)
    await transport.deliver(Delivery("d1", "console", "local", message))
    return out.getvalue()


async def test_a_pipe_gets_no_asterisks_and_no_escape_codes(tmp_path: Path) -> None:
    printed = await _printed(io.StringIO(), tmp_path, Outgoing("*Votre semaine*\n• 1 point du jour, à 3/10."))
    assert printed == "Votre semaine\n• 1 point du jour, à 3/10.\n\n"


async def test_a_terminal_gets_bold_and_the_transcript_stays_plain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    transcript = tmp_path / "transcript.jsonl"
    printed = await _printed(_Terminal(), tmp_path, Outgoing("*Your week*"), transcript)
    assert printed == "\x1b[1mYour week\x1b[22m\n\n"
    assert '"text": "Your week"' in transcript.read_text(encoding="utf-8")


async def test_no_color_keeps_a_terminal_plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert await _printed(_Terminal(), tmp_path, Outgoing("*Your week*")) == "Your week\n\n"


async def test_an_image_is_saved_and_its_path_printed_with_how_to_open_it(tmp_path: Path) -> None:
    chart = Outgoing("", attachment=Attachment("phare-20270509.png", "image/png", b"\x89PNG", kind="image"))
    printed = await _printed(io.StringIO(), tmp_path, chart)
    saved = (tmp_path / "exports" / "phare-20270509.png").resolve()
    assert saved.read_bytes() == b"\x89PNG" and str(saved) in printed


async def test_forget_deletes_the_files_the_console_saved(tmp_path: Path) -> None:
    transport = ConsoleTransport(io.StringIO(), tmp_path / "exports")
    export = Outgoing("", attachment=Attachment("phare-export.json", "application/json", b"{}", kind="file"))
    chart = Outgoing("", attachment=Attachment("phare-20270509.png", "image/png", b"\x89PNG", kind="image"))
    for number, message in enumerate((export, chart)):
        await transport.deliver(Delivery(f"d{number}", "console", "local", message))
    assert len(list((tmp_path / "exports").iterdir())) == 2
    await transport.deliver(Delivery("d9", "console", "local", Outgoing("Tout est effacé.", erase=True)))
    assert list((tmp_path / "exports").iterdir()) == [], "no decrypted copy is left on disk"
    assert Outgoing.from_dict(Outgoing("x", erase=True).to_dict()).erase, "the outbox keeps the flag"
