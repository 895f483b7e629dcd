"""Phare's light markup as Telegram HTML, and long texts cut into messages Telegram accepts.

HTML rather than MarkdownV2: escaping three characters is all it takes, whereas MarkdownV2 reserves
eighteen, and one missed escape makes Telegram refuse the whole message. The markup is read by
dialogues/markup.py: only Phare's own *bold* and _italic_ become tags, always well nested, and what people
wrote (escaped in the text) comes back as they typed it.
"""

from __future__ import annotations

import html
import re

from dialogues import markup

MESSAGE_LIMIT = 4096  # characters after entity parsing, counted by Telegram in UTF-16 code units
CAPTION_LIMIT = 1024

_HTML = markup.Styles(bold=("<b>", "</b>"), italic=("<i>", "</i>"))
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")


def _escape_html(text: str) -> str:
    return html.escape(text, quote=False)


def to_html(text: str) -> str:
    """*bold* and _italic_ become tags; everything else is escaped, so no text can inject markup."""
    return markup.render(text, _HTML, _escape_html)


def to_plain(text: str) -> str:
    """The words without markup, for when Telegram refuses the HTML."""
    return markup.plain(text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of at most `limit` units, cut at a paragraph, else a line, else a sentence, else a space.

    The limit is checked on the markdown source, which is never shorter than what Telegram counts.
    """
    rest = text.strip()
    if len(rest) * 2 <= limit:  # even if every character took two UTF-16 units, it would fit
        return [rest] if rest else []
    parts: list[str] = []
    while utf16_len(rest) > limit:
        cut = _cut(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _cut(text: str, limit: int) -> int:
    end = min(len(text), limit)
    while utf16_len(text[:end]) > limit:  # characters outside the BMP count twice
        end -= 1
    window = text[:end]
    floor = end // 2  # a boundary in the first half would make a needlessly short part
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator)
        if at > floor:
            return at
    sentences = [m.end() for m in _SENTENCE_END.finditer(window)]
    if sentences and sentences[-1] > floor:
        return sentences[-1]
    at = window.rfind(" ")
    if at > floor:
        return at
    backslashes = len(window) - len(window.rstrip(markup.ESCAPE))
    if backslashes % 2 and end < len(text) and text[end] in markup.MARKERS + markup.ESCAPE:
        end -= 1  # never between a backslash and what it escapes (no other boundary can fall there)
    return max(end, 1)
