"""Check-ins: what a user's settings mean for their schedule, and what a due prompt becomes. No I/O here.

A user's preferences live in `users.settings["checkin"]` (and `users.timezone`); the `schedules` rows are
derived from them (`spec_for`) and carry the next due time in UTC. Times are computed with APScheduler's
CronTrigger in the user's zone, so DST is handled as CronTrigger does: an hour that does not exist
(02:30 on the spring-forward day) fires once, shifted forward (03:30); an hour that happens twice (02:30 on
the fall-back day) fires once, because prompts are keyed by the user's local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger

from bot.messages import Button, Outgoing
from dialogues.loader import Library
from dialogues.model import CHECKIN_KEYS
from dialogues.texts import Context
from dialogues.validators import (
    DAY_NAMES,
    EVERY_DAY,
    WEEKDAYS,
    days_label,
    parse_days,
    parse_hour,
    parse_timezone,
    zone,
)
from storage.records import UserRecord

DAILY, WEEKLY, LETTER = "daily", "weekly", "letter"
KINDS = (DAILY, WEEKLY, LETTER)  # a letter reminder fires once, at the daily hour, on the chosen date
PROMPT_DIALOGUE = "checkin_prompt"
SETTINGS_DIALOGUE = "checkin"
BUTTON_PREFIX = "checkin_"  # do:checkin_start, do:checkin_later, do:checkin_tonight, do:checkin_skip
BUTTONS = ("checkin_start", "checkin_later", "checkin_tonight", "checkin_skip")
REF_PREFIX = "ci:"
DEFAULT_HOUR, DEFAULT_WEEKLY_HOUR, DEFAULT_WEEKLY_DAY = "08:30", "18:00", "sun"
DEFAULT_ZONE = "Europe/Paris"
TONIGHT = time(20, 0)
LATER = timedelta(hours=1)
RECHECK = timedelta(seconds=60)  # a prompt waiting for an exercise to end looks again this often
BUSY_FOR = timedelta(hours=2)  # a run untouched for longer is not "in the middle" any more
REFLECTIONS = tuple(f"reflection_{n:02d}" for n in range(1, 17))
NO_REPEAT = timedelta(days=14)

__all__ = ["CHECKIN_KEYS"]


# --- settings ----------------------------------------------------------------------------------------


def _prefs(user: UserRecord) -> dict[str, Any]:
    return dict(user.settings.get("checkin") or {})


def apply_setting(user: UserRecord, key: str, value: str, now: datetime | None = None) -> None:
    """A SetProfile effect from the check-in dialogue. Values were validated by the dialogue; anything else
    is ignored rather than stored."""
    prefs = _prefs(user)
    if key == "letter_reminder":
        # "3" or "7" days from today in the user's zone; anything else cancels a pending reminder.
        tz = user.timezone or suggested_zone(user.country)
        if value.isdigit() and 0 < int(value) <= 60 and now is not None:
            prefs["letter_on"] = (local_date(now, tz) + timedelta(days=int(value))).isoformat()
        else:
            prefs.pop("letter_on", None)
        user.settings = {**user.settings, "checkin": prefs}
        return
    if key == "timezone":
        found = parse_timezone(value)
        if found is not None:
            user.timezone = found.value
        return
    if key in ("checkin_hour", "weekly_hour"):
        hour = parse_hour(value)
        if hour is None:
            return
        prefs["hour" if key == "checkin_hour" else "weekly_hour"] = hour.value
        prefs["on" if key == "checkin_hour" else "weekly"] = True
    elif key == "checkin_days":
        if value in (EVERY_DAY, WEEKDAYS):
            prefs["days"] = value
        elif (days := parse_days(value)) is not None:
            prefs["days"] = days.value
    elif key == "weekly_day" and value in DAY_NAMES:
        prefs["weekly_day"] = value
    elif key == "checkin_pause_until":
        if value in ("", "none", "—"):
            prefs.pop("pause_until", None)
        else:
            try:
                prefs["pause_until"] = date.fromisoformat(value).isoformat()
            except ValueError:
                return
    elif key in ("checkin", "weekly"):
        prefs["on" if key == "checkin" else "weekly"] = value == "on"
        if key == "checkin" and value != "on":
            prefs.pop("snooze", None)
    else:
        return
    if user.timezone is None:
        user.timezone = suggested_zone(user.country)
    user.settings = {**user.settings, "checkin": prefs}


def suggested_zone(country: str | None) -> str:
    from dialogues.validators import country_zones

    return country_zones(country)[0] if country else DEFAULT_ZONE


def spec_for(user: UserRecord, kind: str) -> dict[str, Any] | None:
    """What the user's schedule of this kind is computed from; None when there is none."""
    prefs = _prefs(user)
    tz = user.timezone or suggested_zone(user.country)
    if kind == LETTER:
        if not prefs.get("letter_on"):
            return None
        hour = prefs.get("hour", DEFAULT_HOUR)
        return {"hour": hour, "days": EVERY_DAY, "tz": tz, "resume": prefs["letter_on"], "once": True}
    if kind == DAILY:
        if not prefs.get("on"):
            return None
        return {
            "hour": prefs.get("hour", DEFAULT_HOUR),
            "days": prefs.get("days", EVERY_DAY),
            "tz": tz,
            "resume": prefs.get("pause_until"),
            "skip": prefs.get("skip"),
            "snooze": prefs.get("snooze"),
        }
    if not prefs.get("weekly"):
        return None
    return {
        "hour": prefs.get("weekly_hour", DEFAULT_WEEKLY_HOUR),
        "days": prefs.get("weekly_day", DEFAULT_WEEKLY_DAY),
        "tz": tz,
        "resume": prefs.get("pause_until"),
    }


# --- times --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _trigger(hour: str, days: str, tz: str) -> CronTrigger:
    hh, mm = (int(x) for x in hour.split(":"))
    day_of_week = {EVERY_DAY: "*", WEEKDAYS: "mon-fri"}.get(days, days)
    return CronTrigger(hour=hh, minute=mm, day_of_week=day_of_week, timezone=zone(tz))


@lru_cache(maxsize=65536)
def _fire(hour: str, days: str, tz: str, after: datetime) -> datetime | None:
    found: datetime | None = _trigger(hour, days, tz).get_next_fire_time(None, after)
    return found


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local date, in UTC (never inside a DST gap: midnight exists everywhere we care)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(zone(tz)).date()


def next_prompt(spec: dict[str, Any], after: datetime) -> tuple[datetime, str] | None:
    """The first regular fire time at or after `after` (UTC) whose local date is neither paused nor skipped,
    with that local date. Cached: users sharing a setting and a moment share the computation."""
    tz = zone(spec["tz"])
    resume = date.fromisoformat(spec["resume"]) if spec.get("resume") else None
    skip = spec.get("skip")
    moment = after.astimezone(UTC)
    for _ in range(400):
        fire = _fire(spec["hour"], spec["days"], spec["tz"], moment)
        if fire is None:
            return None
        day = fire.astimezone(tz).date()
        if (resume is not None and day < resume) or day.isoformat() == skip:
            moment = local_midnight(max(day + timedelta(days=1), resume or day), tz)
            continue
        return fire.astimezone(UTC), day.isoformat()
    return None


def first_due(spec: dict[str, Any], now: datetime) -> tuple[datetime, str, int] | None:
    """Where a freshly (re)computed schedule starts: a pending "later" of today first, else the next fire."""
    snooze = spec.get("snooze")
    if snooze:
        at = datetime.fromisoformat(snooze["at"])
        if at > now - timedelta(minutes=1) and snooze["date"] >= local_date(now, spec["tz"]).isoformat():
            return at, snooze["date"], int(snooze["round"])
    found = next_prompt(spec, now)
    return (found[0], found[1], 0) if found else None


def after_prompt(
    spec: dict[str, Any], handled_date: str, now: datetime, grace: timedelta
) -> tuple[datetime, str] | None:
    """The next regular prompt once the one of `handled_date` is dealt with (sent, skipped or too late):
    on a later local date, and not one already too late to send."""
    if spec.get("once"):
        return None
    tz = zone(spec["tz"])
    start = local_midnight(date.fromisoformat(handled_date) + timedelta(days=1), tz)
    return next_prompt(spec, max(start, now - grace))


# --- what a due row becomes --------------------------------------------------------------------------------

Verdict = Literal["send", "wait", "skip", "late", "inactive", "gone"]


@dataclass(frozen=True)
class DueRow:
    id: str
    user_id: str
    kind: str
    next_due: datetime
    local_date: str
    round: int
    spec: dict[str, Any]


def verdict(row: DueRow, user: UserRecord | None, run_busy: bool, now: datetime, grace: timedelta) -> Verdict:
    if user is None:
        return "gone"
    if not user.active:
        return "inactive"  # blocked the bot: paused, never retried; the schedule simply moves on
    if now - row.next_due > grace:
        return "late"  # missed by more than the grace (downtime): skipped, not sent hours late
    if row.kind == DAILY and row.local_date == (_prefs(user).get("skip") or ""):
        return "skip"
    if run_busy:
        today = local_date(now, row.spec["tz"]).isoformat()
        return "skip" if today > row.local_date else "wait"
    return "send"


def busy(run_status: str | None, run_updated: datetime | None, now: datetime) -> bool:
    """In the middle of an exercise: a run touched recently, or paused by the safety layer."""
    if run_status is None or run_updated is None:
        return False
    return run_status == "paused" or now - run_updated < BUSY_FOR


def clear_letter(user: UserRecord) -> bool:
    """The letter reminder fired (or was too late): it is done."""
    prefs = _prefs(user)
    if prefs.pop("letter_on", None) is None:
        return False
    user.settings = {**user.settings, "checkin": prefs}
    return True


def clear_handled(user: UserRecord, handled_date: str) -> bool:
    """Forget a "later" or a "skip" once its day is dealt with; True if the settings changed."""
    prefs = _prefs(user)
    changed = False
    snooze = prefs.get("snooze")
    if snooze and snooze.get("date", "") <= handled_date:
        prefs.pop("snooze")
        changed = True
    if prefs.get("skip") and prefs["skip"] <= handled_date:
        prefs.pop("skip")
        changed = True
    if changed:
        user.settings = {**user.settings, "checkin": prefs}
    return changed


# --- the prompt and its buttons ------------------------------------------------------------------------------


def prompt_ref(day: str, round_: int) -> str:
    return f"{REF_PREFIX}{day}:{round_}"


def daily_prompt(library: Library, ctx: Context, day: str, round_: int) -> Outgoing:
    ref = prompt_ref(day, round_)
    buttons = (
        Button("do:checkin_start", library.text("checkin_yes").render(ctx), ref),
        Button("do:checkin_later", library.text("checkin_later").render(ctx), ref),
        Button("do:checkin_tonight", library.text("checkin_tonight").render(ctx), ref),
        Button("do:checkin_skip", library.text("checkin_skip").render(ctx), ref),
    )
    key = "checkin_prompt_again" if round_ else "checkin_prompt"
    return Outgoing(library.text(key).render(ctx), buttons, scheduled=True)


@dataclass(frozen=True)
class ButtonReply:
    key: str
    values: dict[str, str]


def on_button(user: UserRecord, action: str, ref: str | None, now: datetime) -> ButtonReply:
    """ "Later (1 h)", "tonight", "skip today" on a prompt: recorded in the settings; the schedule follows."""
    prefs = _prefs(user)
    tz_name = user.timezone or suggested_zone(user.country)
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    day, round_ = _parse_ref(ref)
    if day is None or day != today.isoformat() or not prefs.get("on"):
        return ButtonReply("checkin_button_stale", {})
    if action == "checkin_skip":
        prefs.pop("snooze", None)
        prefs["skip"] = day
        user.settings = {**user.settings, "checkin": prefs}
        return ButtonReply("checkin_skip_done", {})
    if action == "checkin_tonight":
        at = datetime.combine(today, TONIGHT, tzinfo=tz).astimezone(UTC)
        if at < now + timedelta(minutes=30):
            at = now + LATER
    else:
        at = now + LATER
    if at.astimezone(tz).date() != today:
        prefs.pop("snooze", None)
        prefs["skip"] = day
        user.settings = {**user.settings, "checkin": prefs}
        return ButtonReply("checkin_too_late_today", {})
    prefs["snooze"] = {"date": day, "at": at.isoformat(), "round": round_ + 1}
    prefs.pop("skip", None)
    user.settings = {**user.settings, "checkin": prefs}
    return ButtonReply("checkin_later_done", {"time": at.astimezone(tz).strftime("%H:%M")})


def _parse_ref(ref: str | None) -> tuple[str | None, int]:
    if not ref or not ref.startswith(REF_PREFIX):
        return None, 0
    day, _, round_ = ref[len(REF_PREFIX) :].partition(":")
    return day, int(round_) if round_.isdigit() else 0


# --- reflections for a day that goes fine --------------------------------------------------------------


def pick_reflection(shown: list[list[str]], today: date, pool: tuple[str, ...] = REFLECTIONS) -> str:
    """The next prompt in the rotation that was not shown in the last two weeks."""
    recent = {key for key, day in shown if today - date.fromisoformat(day) < NO_REPEAT}
    last = shown[-1][0] if shown else None
    start = (pool.index(last) + 1) if last in pool else 0
    for offset in range(len(pool)):
        candidate = pool[(start + offset) % len(pool)]
        if candidate not in recent:
            return candidate
    return pool[start % len(pool)]  # only with fewer prompts than days in two weeks


def record_reflection(user: UserRecord, key: str, today: date) -> None:
    prefs = _prefs(user)
    shown = [s for s in prefs.get("shown", []) if today - date.fromisoformat(s[1]) < NO_REPEAT]
    prefs["shown"] = [*shown, [key, today.isoformat()]]
    user.settings = {**user.settings, "checkin": prefs}


def reflection_for(user: UserRecord, now: datetime) -> str:
    """Pick, record and return the catalog key of today's reflection prompt."""
    today = local_date(now, user.timezone or suggested_zone(user.country))
    key = pick_reflection(list(_prefs(user).get("shown", [])), today)
    record_reflection(user, key, today)
    return key


# --- what the settings say, in words -------------------------------------------------------------------------


def status_text(library: Library, ctx: Context, user: UserRecord) -> str:
    prefs = _prefs(user)
    tz = user.timezone or suggested_zone(user.country)
    lines: list[str] = []
    daily = spec_for(user, DAILY)
    if daily is None:
        lines.append(library.text("checkin_status_off").render(ctx))
    else:
        days = days_label(daily["days"], ctx.locale)
        values = {"days": days, "hour": daily["hour"], "zone": tz}
        lines.append(library.text("checkin_status_on").render(ctx, values))
    weekly = spec_for(user, WEEKLY)
    if weekly is not None:
        from babel.dates import get_day_names

        day = str(get_day_names("wide", locale=ctx.locale)[DAY_NAMES.index(weekly["days"])])
        lines.append(library.text("weekly_status_on").render(ctx, {"day": day, "hour": weekly["hour"]}))
    if prefs.get("pause_until") and (daily or weekly):
        from dialogues.validators import date_label

        shown = date_label(date.fromisoformat(prefs["pause_until"]), ctx.locale)
        lines.append(library.text("checkin_status_paused").render(ctx, {"date": shown}))
    if (daily or weekly) and tz.startswith("UTC"):
        lines.append(library.text("checkin_status_fixed_offset").render(ctx, {"zone": tz}))
    return "\n".join(lines)
