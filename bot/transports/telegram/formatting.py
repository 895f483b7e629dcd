"""Phare's light markdown as Telegram HTML, and long texts cut into messages Telegram accepts.

HTML rather than MarkdownV2: escaping three characters is all it takes, whereas MarkdownV2 reserves
eighteen, and one missed escape makes Telegram refuse the whole message.
"""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096  # characters after entity parsing, counted by Telegram in UTF-16 code units
CAPTION_LIMIT = 1024

_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")


def to_html(text: str) -> str:
    """*bold* and _italic_ become tags; everything else is escaped, so no text can inject markup."""
    escaped = html.escape(text, quote=False)
    if "*" in escaped:  # most replies have no emphasis: the look-around patterns are skipped then
        escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    if "_" in escaped:
        escaped = _ITALIC.sub(r"<i>\1</i>", escaped)
    return escaped


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
    return max(end, 1)
