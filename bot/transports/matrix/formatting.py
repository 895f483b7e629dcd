"""Phare's light markdown as Matrix message content: a plain `body` and an HTML `formatted_body`.

Options become a numbered list; the bot also reacts to its own message with 1️⃣ 2️⃣ … so a tap on a
reaction answers. Everything but Phare's own *bold* and _italic_ is escaped, so no text can inject markup.
"""

from __future__ import annotations

import html
from typing import Any

from bot.messages import Button, Outgoing
from dialogues import markup

PRIVATE_PREFIX = "private:"  # a "continue in private" button: Phare opens the direct chat itself
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")

_HTML = markup.Styles(bold=("<strong>", "</strong>"), italic=("<em>", "</em>"))


def _escape_html(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def to_html(text: str) -> str:
    """Phare's own *bold* and _italic_ as tags, always well nested (dialogues/markup.py); what people wrote,
    escaped in the text, comes back as they typed it, asterisks included."""
    return markup.render(text, _HTML, _escape_html)


def to_plain(text: str) -> str:
    """The body clients without HTML show (and notifications): the markers dropped, the words kept."""
    return markup.plain(text)


def answer_buttons(message: Outgoing) -> tuple[Button, ...]:
    """The buttons a person answers by number, label or reaction (not the "continue in private" link)."""
    return tuple(b for b in message.buttons if not b.ref.startswith(PRIVATE_PREFIX))


def reaction_index(key: str) -> int | None:
    """1️⃣ → 0 … 🔟 → 9; also the bare digit clients sometimes send (without the variation selector)."""
    normalised = key.replace("\ufe0f", "")
    for index, cap in enumerate(KEYCAPS):
        if normalised == cap.replace("\ufe0f", ""):
            return index
    return None


def content(message: Outgoing, *, bot_link: str | None = None) -> dict[str, Any] | None:
    """The m.room.message content for a reply's text and options; None when it has neither (a lone file).

    Replies are m.notice, the convention for bots (clients never answer them automatically), except
    scheduled check-ins: Element's default push rule silences notices, and a check-in should notify.
    """
    buttons = answer_buttons(message)
    links = [b for b in message.buttons if b.ref.startswith(PRIVATE_PREFIX)]
    if not message.text and not buttons and not message.scale and not links:
        return None
    plain: list[str] = [to_plain(message.text)] if message.text else []
    rich = to_html(message.text) if message.text else ""
    if buttons:
        plain.append("\n".join(f"{KEYCAPS[i] if i < len(KEYCAPS) else f'{i + 1}.'} {b.label}"
                               for i, b in enumerate(buttons)))  # fmt: skip
        rich += "<ol>" + "".join(f"<li>{html.escape(b.label, quote=False)}</li>" for b in buttons) + "</ol>"
    if message.scale:
        low, high = message.scale
        plain.append(f"({low}–{high})")
        rich += f"<p>({low}–{high})</p>"
    for link in links:
        if bot_link:
            plain.append(f"→ {link.label}: {bot_link}")
            rich += f'<p>→ <a href="{html.escape(bot_link)}">{html.escape(link.label, quote=False)}</a></p>'
    body = "\n\n".join(plain)
    return {
        "msgtype": "m.text" if message.scheduled else "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": rich,
    }
