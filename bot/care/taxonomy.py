"""What the crisis check can find, and how strongly Phare answers each finding (docs/crisis-taxonomy.md).

The categories follow the structure of the Columbia Suicide Severity Rating Scale, plus the situations that make
a crisis urgent. Each maps to one of three answer levels:

- ``urgent``: emergency numbers first, then the crisis lines; the exercise is paused;
- ``crisis``: the crisis lines; the exercise is paused;
- ``check``: one short question, "is this about you?", with the lines already in it; nothing is paused.

A finding whose owner is uncertain (a patient may be meant, an idiom, irony) is answered at ``check`` whatever its
category: asking costs one tap, staying silent could cost a life.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["urgent", "crisis", "check"]
LEVELS: tuple[Level, ...] = ("check", "crisis", "urgent")  # weakest first
RANK: dict[str | None, int] = {None: 0, "check": 1, "crisis": 2, "urgent": 3}

# category -> the level it calls for when the writer is clearly the one at risk
CATEGORY_LEVEL: dict[str, Level] = {
    # Columbia Suicide Severity Rating Scale
    "wish_dead": "crisis",  # "fall asleep and not wake up", "disappear", "better off without me"
    "active_thoughts": "crisis",  # non-specific thoughts of killing oneself
    "method": "crisis",  # thoughts with a method
    "intent": "crisis",  # "I am going to do it"
    "plan": "crisis",  # a date, a place, means decided
    "preparation": "crisis",  # giving things away, goodbye letters, stockpiling, researching doses
    "past_attempt": "check",  # an attempt told in the past: is it now?
    "recent_attempt": "crisis",  # out of hospital after an attempt, days since: the weeks after are the riskiest
    "self_harm": "crisis",
    # urgency: the danger is now
    "means_at_hand": "urgent",
    "already_taken": "urgent",
    "dangerous_place": "urgent",
    "not_safe": "urgent",
    "help_now": "urgent",
}
CATEGORIES = tuple(CATEGORY_LEVEL)
URGENT_CATEGORIES = frozenset(c for c, level in CATEGORY_LEVEL.items() if level == "urgent")


def stronger(a: Level | None, b: Level | None) -> Level | None:
    return a if RANK[a] >= RANK[b] else b
