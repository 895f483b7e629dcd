"""Choosing a shown button by typing its number or its label, for transports without real buttons."""

from __future__ import annotations

from bot.messages import Button
from dialogues.numbers import fold, parse_number


def match_button(text: str, buttons: tuple[Button, ...]) -> Button | None:
    """The button a typed answer names. A lone button is matched by label (or an empty line) only: "1"
    there may be an answer to the question itself."""
    if not buttons:
        return None
    if not text.strip() and len(buttons) == 1:
        return buttons[0]  # pressing Enter takes the only choice offered (Continue, Skip)
    wanted = fold(text).rstrip(" .!")
    for button in buttons:
        if wanted and wanted == fold(button.label):
            return button
    number = parse_number(text) if text.strip().isdigit() else None
    if number is not None and len(buttons) > 1 and 1 <= number <= len(buttons):
        return buttons[number - 1]
    return None
