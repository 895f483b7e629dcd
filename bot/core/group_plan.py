"""A supervision group's calendar and session plan, pure: when the next session is (in the group's time zone,
DST-correct), which phases its format has and for how long, and what a round may show of its answers."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dialogues.validators import zone

FREQUENCIES = ("weekly", "biweekly", "monthly")
FORMATS = ("intervision", "balint", "free")
PACES = {"short": 0.67, "standard": 1.0, "long": 1.33}
# Each format's phases and their minutes at the standard pace (../shared/domain.md, "Group supervision").
PHASES: dict[str, tuple[tuple[str, int], ...]] = {
    "intervision": (("checkin", 10), ("case", 15), ("questions", 10), ("reflections", 20), ("response", 10),
                    ("closing", 10)),
    "balint": (("checkin", 5), ("case", 15), ("exploration", 35), ("response", 10), ("closing", 10)),
    "free": (("checkin", 10), ("exchange", 60), ("closing", 10)),
}  # fmt: skip
DEFAULT_REMINDERS = (1440, 60)  # minutes before: the day before, and an hour before
MIN_ANSWERS = 3  # below this a round shows nothing: with two answers, each one knows the other's


@dataclass(frozen=True)
class Phase:
    key: str
    minutes: int


def phases(settings: dict[str, object]) -> tuple[Phase, ...]:
    fmt = str(settings.get("format") or "intervision")
    pace = PACES.get(str(settings.get("pace") or "standard"), 1.0)
    plan = PHASES.get(fmt, PHASES["intervision"])
    return tuple(Phase(key, max(5, round(minutes * pace / 5) * 5)) for key, minutes in plan)


def scheduled(settings: dict[str, object]) -> bool:
    return all(settings.get(k) for k in ("frequency", "time", "zone")) and settings.get("weekday") is not None


def _local(day: date, hhmm: str, zone_name: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone(zone_name)).astimezone(UTC)


def _nth_weekday(day: date) -> int:
    return min(4, (day.day - 1) // 7 + 1)  # a 5th Tuesday does not exist every month: the 4th stands for it


def next_session(settings: dict[str, object], after: datetime) -> datetime | None:
    """The first session strictly after `after` (UTC), or None when the group has no schedule."""
    if not scheduled(settings):
        return None
    zone_name, hhmm = str(settings["zone"]), str(settings["time"])
    weekday = int(str(settings["weekday"]))
    frequency = str(settings["frequency"])
    anchor = date.fromisoformat(str(settings["anchor"])) if settings.get("anchor") else None
    day = after.astimezone(zone(zone_name)).date()
    for _ in range(800):
        if day.weekday() == weekday and _fits(day, frequency, anchor):
            when = _local(day, hhmm, zone_name)
            if when > after:
                return when
        day += timedelta(days=1)
    return None


def _fits(day: date, frequency: str, anchor: date | None) -> bool:
    if frequency == "biweekly" and anchor is not None:
        return (day - anchor).days % 14 == 0
    if frequency == "monthly" and anchor is not None:
        return _nth_weekday(day) == _nth_weekday(anchor)
    return True


def anchor_for(settings: dict[str, object], now: datetime) -> str | None:
    """The first session's local date, from which every-two-weeks and monthly sessions are counted."""
    first = next_session({**settings, "frequency": "weekly", "anchor": None}, now)
    if first is None:
        return None
    return first.astimezone(zone(str(settings["zone"]))).date().isoformat()


@dataclass(frozen=True)
class Aggregate:
    count: int
    median: float | None = None
    low: int | None = None
    high: int | None = None
    words: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return self.count >= MIN_ANSWERS


def aggregate(scores: list[int | None], words: list[str], seed: str) -> Aggregate:
    """How many answered, the median and range of the scores, the words in an order no one can map back to
    who wrote them; nothing but the count below three answers."""
    count = max(len(scores), 0)
    if count < MIN_ANSWERS:
        return Aggregate(count)
    numbers = [s for s in scores if s is not None]
    shuffled = sorted(w for w in words if w)  # sorted first: the shuffle must not depend on arrival order
    random.Random(seed).shuffle(shuffled)
    if len(shuffled) < MIN_ANSWERS:
        # Three answers but one word: the two who gave none would know whose it is.
        shuffled = []
    if not numbers:
        return Aggregate(count, words=tuple(shuffled))
    return Aggregate(count, statistics.median(numbers), min(numbers), max(numbers), tuple(shuffled))
