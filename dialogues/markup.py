"""Phare's light markup: *bold* and _italic_ where Phare writes them, and a backslash for what must stay as typed.

Dialogue texts are markup: `*Respirer*` is bold. The values put into them are not: what people wrote (a letter,
a note, a situation), but also names, dates and paths. `escape` puts a backslash before each `*` and `_` of a
value that could otherwise open or close an emphasis (and before a `\\` that would otherwise escape something),
so that `Text.render` gives a text in which the asterisks a person typed come back as typed on every platform.
A `*` or `_` between two letters or digits (`snake_case`, `2*3`) can do neither and is left alone.

`render` reads a text once, for every transport that shows emphasis: escaped markers become plain characters,
emphasis opens and closes by the rules Phare has always used (the patterns below), and an italic that would
cross a bold is dropped, so the result is always well nested (Telegram refuses `<b>a <i>b</b> c</i>`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ESCAPE = "\\"
MARKERS = "*_"
_ESCAPABLE = MARKERS + ESCAPE
# The emphasis rules are the regular expressions Phare used before this module (and Matrix still uses):
#   bold    (?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])
#   italic  (?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])
# followed here character by character, so that an escaped marker is never one.


@dataclass(frozen=True)
class Styles:
    """What opens and closes each emphasis for one kind of output (HTML tags, ANSI codes, nothing)."""

    bold: tuple[str, str] = ("", "")
    italic: tuple[str, str] = ("", "")


PLAIN = Styles()


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches in a str pattern


def escape(value: str) -> str:
    """`value` as it must appear in a text for every transport to show it exactly as written."""
    if not any(c in value for c in _ESCAPABLE):
        return value
    out: list[str] = []
    last = len(value) - 1
    for i, char in enumerate(value):
        if char in MARKERS:
            between_words = 0 < i < last and _word(value[i - 1]) and _word(value[i + 1])
            out.append(char if between_words else ESCAPE + char)
        elif char == ESCAPE:
            # A backslash escapes only what follows it in _ESCAPABLE; at the end of the value, what follows is
            # the text around it, so it is escaped too.
            out.append(ESCAPE + char if i == last or value[i + 1] in _ESCAPABLE else char)
        else:
            out.append(char)
    return "".join(out)


def unescape(text: str) -> str:
    """The text with its escapes taken out, markers left as they are (for a renderer that reads no escapes)."""
    return _read(text)[0] if ESCAPE in text else text


def _read(text: str) -> tuple[str, frozenset[int]]:
    """The characters a text stands for, and the positions (in them) of the markers that were escaped."""
    chars: list[str] = []
    escaped: set[int] = set()
    length = at = 0  # characters read so far; where the rest of the text starts
    while (found := text.find(ESCAPE, at)) >= 0 and found + 1 < len(text):
        following = text[found + 1]
        chars.append(text[at:found])
        length += found - at
        if following in _ESCAPABLE:
            if following != ESCAPE:
                escaped.add(length)
            chars.append(following)
            at = found + 2
        else:
            chars.append(ESCAPE)
            at = found + 1
        length += 1
    chars.append(text[at:])
    return "".join(chars), frozenset(escaped)


def _spans(text: str, escaped: frozenset[int], marker: str) -> list[tuple[int, int]]:
    """The (opening, closing) marker positions of each emphasis, left to right, never overlapping."""
    free: list[int] = []
    at = text.find(marker)
    while at >= 0:
        if at not in escaped:
            free.append(at)
        at = text.find(marker, at + 1)
    found: list[tuple[int, int]] = []
    end = len(text)
    index = 0
    while index < len(free):
        i = free[index]
        index += 1
        if i + 1 >= end or text[i + 1].isspace() or (i > 0 and (_word(text[i - 1]) or text[i - 1] == marker)):
            continue
        # The content holds no free marker and no line break, so the next free marker closes, or (as the
        # pattern's last `\S` may be a marker) the one right after it does, or nothing does.
        if index >= len(free):
            break
        j = free[index]
        if "\n" in text[i + 1 : j]:
            continue
        for k in (j, j + 1):
            if _closes(text, escaped, marker, i, k):
                found.append((i, k))
                index += 1 if k == j else 2
                break
    return found


def _closes(text: str, escaped: frozenset[int], marker: str, opening: int, at: int) -> bool:
    after = text[at + 1] if at + 1 < len(text) else " "
    return (
        at < len(text)
        and text[at] == marker
        and at not in escaped
        and at > opening + 1
        and not text[at - 1].isspace()
        and not (_word(after) or after == marker)
    )


def render(text: str, styles: Styles = PLAIN, quote: Callable[[str], str] = str) -> str:
    """The text for one output: emphasis as `styles` says, every other character through `quote` (an HTML
    escape, say) once, escapes resolved."""
    if not any(c in text for c in _ESCAPABLE):
        return quote(text)
    chars, escaped = _read(text) if ESCAPE in text else (text, frozenset[int]())
    bold = _spans(chars, escaped, "*") if "*" in chars else []
    italic = [s for s in _spans(chars, escaped, "_") if not any(_cross(s, b) for b in bold)] if "_" in chars else []
    if not bold and not italic:
        return quote(chars)
    marks: dict[int, str] = {}
    for spans, (opening, closing) in ((bold, styles.bold), (italic, styles.italic)):
        for start, stop in spans:
            marks[start], marks[stop] = opening, closing
    out: list[str] = []
    run_start = 0
    for at in sorted(marks):
        out.append(quote(chars[run_start:at]))
        out.append(marks[at])
        run_start = at + 1
    out.append(quote(chars[run_start:]))
    return "".join(out)


def plain(text: str) -> str:
    """What a reader sees without formatting: emphasis markers taken out, escapes resolved."""
    return render(text)


def _cross(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[0] < a[1] < b[1] or b[0] < a[0] < b[1] < a[1]
