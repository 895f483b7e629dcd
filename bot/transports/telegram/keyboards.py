"""Buttons as inline keyboards, and callback data that fits Telegram's 64 bytes and is never trusted.

A button's callback data carries the option id and the button's reference (the run and step it was
shown at): `o|<ref>|<option id>`. The writer checks the reference, so a forged or replayed tap is
answered as a stale button and changes nothing. When the pair does not fit in 64 bytes, the data is an
index into the message's buttons (`i|<n>`), resolved from memory; after a restart such a tap is stale.

The markup is built as the Bot API's JSON, serialised once: nearly every reply carries a keyboard (eleven
keys for a 0–10 scale), and going through python-telegram-bot's objects cost more than the rest of a send.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from bot.messages import Button, Outgoing

DATA_LIMIT = 64
PRIVATE_PREFIX = "private:"
_DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEYPAD_ROW = 6
_KEYPAD_MAX = 20  # a wider scale is answered by typing: a keypad of a hundred keys helps nobody


@dataclass(frozen=True)
class Tap:
    """What a tapped button's data says; `index` is set when the data points into remembered buttons."""

    option: str | None = None
    ref: str | None = None
    index: int | None = None


@dataclass(frozen=True)
class Keyboard:
    markup: str | None  # an InlineKeyboardMarkup, serialised
    buttons: tuple[Button, ...]  # in callback order, for index data
    indexed: bool  # some data is an index: the buttons must be remembered for this message
    tappable: bool  # has callback buttons (as opposed to links only)


def encode(option: str, ref: str) -> str | None:
    data = f"o|{ref}|{option}"
    return data if len(data.encode("utf-8")) <= DATA_LIMIT else None


def decode(data: str | None) -> Tap | None:
    """The tap the data describes, or None when it is not something Phare could have sent."""
    if not data or len(data.encode("utf-8")) > DATA_LIMIT:
        return None
    kind, _, rest = data.partition("|")
    if kind == "o":
        ref, sep, option = rest.partition("|")
        if not sep or not option:
            return None
        return Tap(option=option, ref=ref)
    if kind == "i" and rest.isdigit() and len(rest) <= 3:
        return Tap(index=int(rest))
    return None


def deep_link(username: str, payload: str) -> str:
    if _DEEP_LINK_PAYLOAD.fullmatch(payload):
        return f"https://t.me/{username}?start={payload}"
    return f"https://t.me/{username}"


def keyboard(message: Outgoing, username: str) -> Keyboard:
    rows: list[list[str]] = []  # each button already as JSON
    callable_buttons: list[Button] = []
    indexed = False

    def callback(button: Button, label: str) -> str:
        nonlocal indexed
        data = f"o|{button.ref}|{button.id}"
        if _plain(data) and len(data) <= DATA_LIMIT:  # encode's answer, without encoding (one byte a character)
            quoted = f'"{data}"'
        else:
            encoded = encode(button.id, button.ref)
            if encoded is None:
                indexed = True
                encoded = f"i|{len(callable_buttons)}"
            quoted = _string(encoded)
        callable_buttons.append(button)
        return f'{{"text":{_label(label)},"callback_data":{quoted}}}'

    scale = message.scale
    if scale is not None and scale[1] - scale[0] <= _KEYPAD_MAX:
        digits, ref = _keypad(*scale), message.scale_ref
        widest = max(map(len, digits[:1] + digits[-1:]), default=0)  # a range's widest number is at one end
        if _plain(ref) and len(ref) + widest + 3 <= DATA_LIMIT:
            # Every key's data fits and needs no escape: the keys are written at once, as `callback` would write
            # them. A 0-10 scale asks at nearly every step.
            keys = [f'{{"text":"{n}","callback_data":"o|{ref}|{n}"}}' for n in digits]
            callable_buttons.extend([Button(n, n, ref) for n in digits])
        else:
            keys = [callback(Button(n, n, ref), n) for n in digits]
        rows.extend(keys[i : i + _KEYPAD_ROW] for i in range(0, len(keys), _KEYPAD_ROW))
    shown: list[str] = []
    for button in message.buttons:
        label = button.label or button.id
        if button.ref.startswith(PRIVATE_PREFIX):
            link = deep_link(username, button.ref[len(PRIVATE_PREFIX) :])
            shown.append(f'{{"text":{_label(label)},"url":{_string(link)}}}')
        else:
            shown.append(callback(button, label))
    width = _width([b.label or b.id for b in message.buttons])
    rows.extend(shown[i : i + width] for i in range(0, len(shown), width))
    markup = '{"inline_keyboard":[' + ",".join("[" + ",".join(row) + "]" for row in rows) + "]}" if rows else None
    return Keyboard(markup, tuple(callable_buttons), indexed, bool(callable_buttons))


# The same text as json.dumps(value, ensure_ascii=False) with compact separators, written out by hand: a reply's
# keyboard was a tenth of a send's CPU as nested dicts serialised. Labels repeat (the same options, the keypad's
# digits), hence the cache; callback data carries each run's reference, and is mostly plain ASCII.
@functools.lru_cache(maxsize=4096)
def _label(text: str) -> str:
    return _string(text)


def _string(text: str) -> str:
    return f'"{text}"' if _plain(text) else json.dumps(text, ensure_ascii=False)


def _plain(text: str) -> bool:
    """Written in JSON as it is, between quotes (and one character a byte)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


@functools.lru_cache(maxsize=64)
def _keypad(low: int, high: int) -> tuple[str, ...]:
    return tuple(str(n) for n in range(low, high + 1))


def _width(labels: list[str]) -> int:
    """Short labels side by side (Oui / Non), long ones one per row so they are never cut off."""
    longest = max((len(label) for label in labels), default=0)
    if longest <= 10 and len(labels) != 4:
        return 3
    if longest <= 18:
        return 2
    return 1
