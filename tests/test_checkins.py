"""Check-ins: settings, the daily prompt at the right local time across DST, its buttons, waiting for an
exercise, downtime, several processes, the weekly review and its chart. Real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import checkins
from bot.checkin_jobs import sync_schedules
from bot.messages import Delivery, Outgoing
from bot.scheduler import CheckinScheduler
from dialogues.validators import parse_date, parse_days, parse_hour, parse_timezone, timezone_suggestions
from storage import schedules as store
from storage.records import Changes, UserRecord, new_id
from storage.tables import checkin_prompts, schedules
from tests.harness import App, FakeClock, RecordingTransport, User, make_app, text_of

PARIS = "Europe/Paris"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class CheckinUser(User):
    """A user whose chat includes what Phare sends to their private chat on its own (the prompts)."""

    @property
    def chat(self) -> list[Outgoing]:
        keys = (self.key, "@user:" + self.key)
        return [d.message for d in self.app.transport.sent if d.chat_key in keys]

    def new(self) -> list[Outgoing]:
        fresh = self.chat[self.seen :]
        self.seen = len(self.chat)
        return fresh


def prompts(transport: RecordingTransport) -> list[Delivery]:
    return [d for d in transport.sent if any(b.id == "do:checkin_later" for b in d.message.buttons)]


def prompt_keys(deliveries: list[Delivery]) -> Counter[tuple[str, str]]:
    """(chat, "ci:<local date>:<round>") of each prompt delivered."""
    return Counter((d.chat_key, d.message.buttons[0].ref) for d in prompts_of(deliveries))


def prompts_of(deliveries: list[Delivery]) -> list[Delivery]:
    return [d for d in deliveries if any(b.id == "do:checkin_later" for b in d.message.buttons)]


async def add_users(
    app: App, count: int, now: datetime, *, hour: str = "08:00", tz: str = PARIS, days: str = "every",
    weekly: tuple[str, str] | None = None,
) -> list[UserRecord]:  # fmt: skip
    """Users who went through onboarding and set a check-in, written the way the writer writes them."""
    users = []
    for _ in range(count):
        user = UserRecord(id=new_id(), platform="test", external_id=new_id()[:12], locale="fr", address="vous",
                          created_at=now, country="FR", consent_version=1, consent_at=now, onboarded=True)  # fmt: skip
        for key, value in (("timezone", tz), ("checkin_hour", hour), ("checkin_days", days)):
            checkins.apply_setting(user, key, value)
        if weekly:
            checkins.apply_setting(user, "weekly_day", weekly[0])
            checkins.apply_setting(user, "weekly_hour", weekly[1])
        users.append(user)
    async with app.db.begin() as conn:
        await app.repo.flush(conn, Changes(users_new={u.id: u for u in users}))
        await sync_schedules(conn, users, now)
    return users


async def row_of(app: App, user_id: str, kind: str = "daily") -> store.ScheduleRow:
    async with app.db.begin() as conn:
        return (await store.rows_of(conn, [user_id]))[(user_id, kind)]


async def run(app: App, scheduler: CheckinScheduler) -> int:
    claimed = await scheduler.drain()
    await app.settle()
    return claimed


# --- the validators (pure) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [("8", "08:00"), ("8h30", "08:30"), ("08:30", "08:30"), ("20.15", "20:15"), ("8 pm", "20:00"),
     ("7 h 45", "07:45"), ("midi", "12:00"), ("25h", None), ("8h75", None), ("bientôt", None)],
)  # fmt: skip
def test_hours_are_read_the_way_people_write_them(typed: str, value: str | None) -> None:
    found = parse_hour(typed)
    assert (found.value if found else None) == value


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        # words for the hour and the minutes, French and English
        ("vingt-deux heures", "22:00"), ("quinze heures quinze", "15:15"), ("six forty-five", "06:45"),
        ("seven-thirty", "07:30"), ("une heure du matin", "01:00"), ("at one", "01:00"), ("nine oclock", "09:00"),
        # halves and quarters
        ("onze heures et demie", "11:30"), ("5h et quart", "05:15"), ("11h moins le quart", "10:45"),
        ("dix heures moins dix", "09:50"), ("minuit et demi", "00:30"), ("midi moins le quart", "11:45"),
        ("midi quinze", "12:15"), ("half past ten", "10:30"), ("half six", "06:30"), ("quarter to seven", "06:45"),
        ("twenty to twelve", "11:40"), ("a quarter past 4", "04:15"), ("10 after 6", "06:10"),
        ("quarter past noon", "12:15"), ("4 and a half", "04:30"),
        # the part of the day moves a bare hour
        ("huit heures du soir", "20:00"), ("2h de l'après-midi", "14:00"), ("à 6h à soir", "18:00"),
        ("ce soir 10", "22:00"), ("11 at night", "23:00"), ("at 7 in the eve", "19:00"), ("5 in the morning", "05:00"),
        ("le matin vers 6", "06:00"), ("9:15 p.m.", "21:15"), ("12am", "00:00"), ("12 pm", "12:00"),
        ("1115pm", "23:15"), ("0830", "08:30"), ("20h45min", "20:45"), ("17.15h", "17:15"),
        ("le soir à 8h, pas le matin", "20:00"), ("le matin à 8h, pas le soir", "08:00"),
        ("22H10", "22:10"), ("6ish", "06:00"), ("midday-ish", "12:00"),
        # a sentence around the hour, and numbers that are not hours
        ("plutôt vers 20h si ça vous va", "20:00"), ("je finis tard, disons 21 h 30 ?", "21:30"),
        ("après mes 4 séances, 19h", "19:00"), ("my last 2 clients leave at 6pm", "18:00"),
        ("après 10h de boulot, 20h", "20:00"), ("before my 12 hour shift, 5am", "05:00"), ("dans 2 heures", None),
        ("in 3 hours", None), ("le 14/05 à 9h", "09:00"), ("vers les 9", "09:00"),
        # two times, or none
        ("7h ou 8h", None), ("entre 19h et 20h", None), ("6 or 7pm", None), ("noon or half twelve", None),
        ("20h-21h", None), ("10h30 ou 11h", None), ("vers 8 ou 9 le matin", None), ("entre trois patients", None),
        ("après le repas", None), ("whenever I get home", None), ("aucune préférence, vraiment", None), ("25:00", None),
        ("13 am", None),
    ],
)  # fmt: skip
def test_hours_in_sentences_words_and_parts_of_the_day(typed: str, value: str | None) -> None:
    found = parse_hour(typed)
    assert (found.value if found else None) == value


@pytest.mark.parametrize(
    ("typed", "value", "shown"),
    [("Lyon", PARIS, "Lyon"), ("Montréal", "America/Toronto", "Montréal"), ("genève", "Europe/Zurich", "Genève"),
     ("UTC+2", "UTC+02:00", "UTC+02:00"), ("+02:00", "UTC+02:00", "UTC+02:00"), ("GMT-5", "UTC-05:00", "UTC-05:00"),
     ("utc+5:30", "UTC+05:30", "UTC+05:30"), ("Europe/Brussels", "Europe/Brussels", "Brussels"),
     ("Tokyo", "Asia/Tokyo", "Tokyo"), ("Atlantide", None, None), ("UTC+19", None, None)],
)  # fmt: skip
def test_time_zones_from_cities_names_and_offsets(typed: str, value: str | None, shown: str | None) -> None:
    found = parse_timezone(typed)
    assert (found.value if found else None) == value
    if found is not None and shown is not None:
        assert shown in found.label


def test_time_zones_suggested_from_the_country() -> None:
    assert [s.value for s in timezone_suggestions("FR")] == [PARIS]
    assert [s.value for s in timezone_suggestions("BE")] == ["Europe/Brussels"]
    assert [s.value for s in timezone_suggestions("CH")] == ["Europe/Zurich"]
    canada = timezone_suggestions("CA")
    assert [s.value for s in canada] == ["America/Toronto", "America/Vancouver"] and "Montréal" in canada[0].label
    assert [s.value for s in timezone_suggestions("US")] == ["America/New_York"]
    assert [s.value for s in timezone_suggestions("GB")] == ["Europe/London"]
    assert [s.value for s in timezone_suggestions("IE")] == ["Europe/Dublin"]


def test_dates_and_days() -> None:
    today = date(2027, 3, 20)
    assert parse_date("12/04", today).value == "2027-04-12"  # type: ignore[union-attr]
    assert parse_date("12 avril", today).value == "2027-04-12"  # type: ignore[union-attr]
    assert parse_date("April 12", today, "en").value == "2027-04-12"  # type: ignore[union-attr]
    assert parse_date("2027-04-12", today).label == "lundi 12 avril 2027"  # type: ignore[union-attr]
    assert parse_date("15/03", today).value == "2028-03-15", "a day already past is next year's"  # type: ignore[union-attr]
    assert parse_date("2027-03-01", today) is None and parse_date("31/02", today) is None
    assert parse_days("lun, mer et ven").value == "mon,wed,fri"  # type: ignore[union-attr]
    assert parse_days("lundi au vendredi").value == "mon,tue,wed,thu,fri"  # type: ignore[union-attr]
    assert parse_days("sat sun", "en").label == "Saturday, Sunday"  # type: ignore[union-attr]
    assert parse_days("parfois") is None


def test_reflections_rotate_and_never_repeat_within_two_weeks() -> None:
    shown: list[list[str]] = []
    day = date(2027, 1, 1)
    for n in range(90):
        today = day + timedelta(days=n if n < 40 else 40 + (n - 40) // 3)  # some days get several
        key = checkins.pick_reflection(shown, today)
        recent = [k for k, d in shown if today - date.fromisoformat(d) < timedelta(days=14)]
        if len(set(recent)) < len(checkins.REFLECTIONS):
            assert key not in recent
        shown.append([key, today.isoformat()])
    assert len({k for k, _ in shown}) == len(checkins.REFLECTIONS)


# --- the settings dialogue ---------------------------------------------------------------------------------


async def test_settings_reask_kindly_and_store_what_was_meant(app: App) -> None:
    user = CheckinUser(app)
    await user.onboard(country="ca")
    await user.send("/checkin")
    await user.tap("setup")
    again = await user.send("vers l'heure du déjeuner")  # no hour in it ("vers midi et demi" is read: 12:30)
    assert "Je n'ai pas reconnu d'heure" in text_of(again) and await user.step() == "hour"
    zone = await user.send("12h30")
    assert [b.label for b in zone[-1].buttons] == ["Montréal / Toronto", "Vancouver"], "suggested from Canada"
    assert "Montréal" in text_of(await user.send("Montréal"))
    await user.tap("weekdays")
    closing = await user.tap("done")
    assert "du lundi au vendredi, à 12:30 (America/Toronto)" in text_of(closing)
    async with app.db.begin() as conn:
        stored = (await app.repo.users_by_key(conn, [("test", user.key)]))[("test", user.key)]
    assert stored.timezone == "America/Toronto"
    assert stored.settings["checkin"]["hour"] == "12:30" and stored.settings["checkin"]["days"] == "weekdays"
    row = await row_of(app, stored.id)
    assert row.next_due is not None and row.next_due.astimezone(checkins.zone("America/Toronto")).hour == 12


async def test_settings_reachable_from_settings_and_an_offset_is_confirmed(app: App) -> None:
    user = CheckinUser(app)
    await user.onboard()
    await user.send("/settings")
    await user.tap("checkin")
    await user.tap("setup")
    await user.tap("18:00")
    confirmed = await user.send("UTC+2")
    assert "UTC+02:00" in text_of(confirmed) and "heure d'été" in text_of(confirmed), "said when it is typed"
    saved = await user.tap("every")
    assert "tous les jours à 18:00" in text_of(saved)
    closing = await user.tap("done")
    words = text_of(closing)
    assert "à 18:00 (UTC+02:00)" in words and "heure d'été" in words, "a fixed offset is said to be fixed"
    assert closing[-1].buttons, "back in /settings: its question comes last, with its buttons"


# --- the daily prompt at the right instant, across DST -------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "start", "fires", "then"),
    [
        ("08:00", "2027-03-27T12:00", "2027-03-28T06:00", "2027-03-29T06:00"),  # 08:00 CEST, the change day
        ("02:30", "2027-03-27T12:00", "2027-03-28T01:30", "2027-03-29T00:30"),  # does not exist: 03:30 CEST
        ("02:30", "2027-10-30T12:00", "2027-10-31T00:30", "2027-11-01T01:30"),  # happens twice: first one only
        ("08:00", "2027-10-30T12:00", "2027-10-31T07:00", "2027-11-01T07:00"),  # 08:00 CET after the change
    ],
    ids=["spring-08:00", "spring-02:30-gap", "autumn-02:30-twice", "autumn-08:00"],
)
async def test_dst_in_paris_fires_once_at_the_right_instant(
    db_url: str, hour: str, start: str, fires: str, then: str
) -> None:
    clock = FakeClock(at(start))
    app = await make_app(db_url, clock=clock)
    try:
        (user,) = await add_users(app, 1, clock(), hour=hour)
        scheduler = CheckinScheduler(app.writer, rate=None)
        clock.now = at(fires) - timedelta(seconds=1)
        assert await run(app, scheduler) == 0 and not prompts(app.transport)
        clock.now = at(fires)
        assert await run(app, scheduler) == 1
        assert len(prompts(app.transport)) == 1
        # Walk the rest of the day minute by minute past the second 02:30 of the autumn change: nothing more.
        for _ in range(4 * 60):
            clock.advance(minutes=1)
            await scheduler.drain()
        await app.settle()
        assert len(prompts(app.transport)) == 1
        row = await row_of(app, user.id)
        assert row.next_due == at(then)
    finally:
        await app.close()


async def test_users_in_many_zones_due_in_one_tick(db_url: str) -> None:
    clock = FakeClock(at("2027-03-27T12:00"))
    app = await make_app(db_url, clock=clock)
    try:
        # All of these are 06:00 UTC on 2027-03-28; for Los Angeles it is still the evening of the 27th.
        zones = {PARIS: ("08:00", "2027-03-28"), "America/Toronto": ("02:00", "2027-03-28"),
                 "Asia/Tokyo": ("15:00", "2027-03-28"), "UTC+05:30": ("11:30", "2027-03-28"),
                 "Europe/London": ("07:00", "2027-03-28"), "America/Los_Angeles": ("23:00", "2027-03-27")}  # fmt: skip
        users = {}
        for tz, (hour, _day) in zones.items():
            (users[tz],) = await add_users(app, 1, clock(), hour=hour, tz=tz)
        scheduler = CheckinScheduler(app.writer, rate=None)
        clock.now = at("2027-03-28T06:00")
        assert await scheduler.tick() == len(zones), "one tick takes them all"
        await app.settle()
        keys = prompt_keys(app.transport.sent)
        for tz, (_, day) in zones.items():
            assert keys[("@user:" + users[tz].external_id, f"ci:{day}:0")] == 1, tz
    finally:
        await app.close()


# --- downtime ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("down", "sent"), [(timedelta(minutes=90), True), (timedelta(hours=3), False),
                                            (timedelta(days=3, hours=3), False)])  # fmt: skip
async def test_downtime_shorter_than_the_grace_sends_late_once_longer_skips(
    db_url: str, down: timedelta, sent: bool
) -> None:
    clock = FakeClock(at("2027-05-02T12:00"))
    app = await make_app(db_url, clock=clock)
    try:
        (user,) = await add_users(app, 1, clock())
        scheduler = CheckinScheduler(app.writer, rate=None, grace=timedelta(hours=2))
        clock.now = at("2027-05-03T06:00") + down  # the bot was down from before 08:00 until now
        await run(app, scheduler)
        await run(app, scheduler)
        assert len(prompts(app.transport)) == (1 if sent else 0)
        row = await row_of(app, user.id)
        assert row.next_due is not None and clock.now < row.next_due <= clock.now + timedelta(days=1)
        assert row.next_due.astimezone(checkins.zone(PARIS)).strftime("%H:%M") == "08:00"
    finally:
        await app.close()


# --- processes: crash, restart, race -----------------------------------------------------------------------------


async def test_restart_in_the_middle_of_a_drain_loses_and_doubles_nothing(sqlite_db: str) -> None:
    clock = FakeClock(at("2027-05-02T12:00"))
    first = await make_app(sqlite_db, clock=clock)
    users = await add_users(first, 120, clock())
    clock.now = at("2027-05-03T06:00")
    a = CheckinScheduler(first.writer, rate=None, max_claim=40, lease=timedelta(minutes=5))
    assert await a.tick() == 40  # committed and sent
    await first.settle()
    async with first.db.begin() as conn:  # a second claim, then the process dies before committing it
        lost = await store.claim(conn, clock(), 30, "dead-claim", timedelta(minutes=5))
    assert len(lost) == 30
    await first.dispatcher.stop()  # the sender stops; the next claim commits to the outbox, undelivered
    assert await a.tick() == 40
    sent_before = list(first.transport.sent)
    assert len(prompts_of(sent_before)) == 40
    await first.writer.stop()  # the crash
    await first.db.dispose()

    second = await make_app(sqlite_db, clock=clock)  # the restart: the outbox sends what was committed
    try:
        b = CheckinScheduler(second.writer, rate=None)
        await run(second, b)
        assert len(prompts_of(second.transport.sent)) == 40 + 10, "the outbox backlog and the free rows"
        clock.advance(minutes=6)  # the dead claim's lease lapses
        await run(second, b)
        keys = prompt_keys(sent_before + second.transport.sent)
        assert len(keys) == len(users) and set(keys.values()) == {1}
    finally:
        await second.close()


async def test_two_dispatchers_racing_on_5000_due_rows_send_each_once(pg_url: str) -> None:
    clock = FakeClock(at("2027-05-02T12:00"))
    one = await make_app(pg_url, clock=clock)
    two = await make_app(pg_url, clock=clock, migrate=False)
    try:
        await add_users(one, 5000, clock())
        clock.now = at("2027-05-03T06:00:30")
        first = CheckinScheduler(one.writer, rate=None, max_claim=400)
        second = CheckinScheduler(two.writer, rate=None, max_claim=400)
        claimed = await asyncio.gather(first.drain(), second.drain())
        await asyncio.gather(one.settle(), two.settle())
        assert sum(claimed) == 5000
        keys = prompt_keys(one.transport.sent + two.transport.sent)
        assert len(keys) == 5000 and set(keys.values()) == {1}
        async with one.db.begin() as conn:
            recorded = (await conn.execute(select(func.count()).select_from(checkin_prompts))).scalar_one()
            waiting = (await conn.execute(select(func.count()).where(schedules.c.next_due <= clock()))).scalar_one()
        assert recorded == 5000 and waiting == 0
    finally:
        await two.close()
        await one.close()


async def test_claims_are_paced_to_the_configured_rate(sqlite_db: str) -> None:
    clock = FakeClock(at("2027-05-02T12:00"))
    app = await make_app(sqlite_db, clock=clock)
    try:
        await add_users(app, 50, clock())
        clock.now = at("2027-05-03T06:00")
        scheduler = CheckinScheduler(app.writer, rate=10, tick_seconds=1.0)
        assert await scheduler.tick() == 20, "a fresh bucket holds two ticks' worth"
        assert await scheduler.tick() == 0, "no time passed: no new tokens"
        clock.advance(seconds=0.5)
        assert await scheduler.tick() == 5
        clock.advance(seconds=10)
        assert await scheduler.tick() == 20, "a burst is at most two ticks' worth"
    finally:
        await app.close()


# --- what the user sees: waiting for an exercise, later, tonight, skip --------------------------------------------


async def checkin_user(app: App, hour: str = "08:00") -> CheckinUser:
    user = CheckinUser(app)
    await user.onboard()
    await user.send("/checkin")
    await user.tap("setup")
    await user.send(hour)
    await user.tap(PARIS)
    await user.tap("every")
    await user.tap("done")
    user.new()
    return user


async def test_the_prompt_waits_while_an_exercise_is_running(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app)
    scheduler = CheckinScheduler(app.writer, rate=None)
    app.clock.now = at("2027-05-03T05:58")
    await user.send("/break")
    await user.tap("overload")
    app.clock.now = at("2027-05-03T06:00")
    await run(app, scheduler)
    assert not user.new(), "no prompt in the middle of the break"
    app.clock.advance(minutes=3)
    await user.send("stop")
    user.new()
    app.clock.advance(seconds=61)
    await run(app, scheduler)
    arrived = user.new()
    assert len(arrived) == 1 and arrived[0].scheduled and "petit point" in arrived[0].text


async def test_a_prompt_still_waiting_when_the_day_ends_is_skipped(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app, "23:30")
    scheduler = CheckinScheduler(app.writer, rate=None)
    app.clock.now = at("2027-05-02T21:20")
    await user.send("/break")
    for minutes in range(0, 80, 5):  # the break is still open at local midnight (22:00 UTC)
        app.clock.now = at("2027-05-02T21:25") + timedelta(minutes=minutes)
        await run(app, scheduler)
    assert not prompts(app.transport)
    assert (await row_of(app, await _user_id(app, user))).local_date == "2027-05-03"


async def _user_id(app: App, user: User) -> str:
    async with app.db.begin() as conn:
        return (await app.repo.users_by_key(conn, [("test", user.key)]))[("test", user.key)].id


async def test_later_comes_back_in_an_hour_once_and_tomorrow_still_comes(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app)
    scheduler = CheckinScheduler(app.writer, rate=None)
    app.clock.now = at("2027-05-03T06:00")
    await run(app, scheduler)
    user.new()
    app.clock.advance(minutes=1)
    assert "vers 09:01" in text_of(await user.tap("do:checkin_later"))
    app.clock.advance(minutes=59)
    await run(app, scheduler)
    assert not user.new()
    app.clock.advance(minutes=1)
    await run(app, scheduler)
    again = user.new()
    assert len(again) == 1 and "comme convenu" in again[0].text
    app.clock.advance(hours=2)
    await run(app, scheduler)
    assert not user.new()
    app.clock.now = at("2027-05-04T06:00")
    await run(app, scheduler)
    assert "petit point" in text_of(user.new())


async def test_skip_today_and_tonight(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app)
    scheduler = CheckinScheduler(app.writer, rate=None)
    app.clock.now = at("2027-05-03T06:00")
    await run(app, scheduler)
    user.new()
    assert "vers 20:00" in text_of(await user.tap("do:checkin_tonight"))
    assert "demain" in text_of(await user.tap("do:checkin_skip")), "changing one's mind: skip wins"
    for hour in range(7, 23):
        app.clock.now = at("2027-05-03T00:00") + timedelta(hours=hour)
        await run(app, scheduler)
    assert not user.new()
    app.clock.now = at("2027-05-04T06:00")
    await run(app, scheduler)
    tomorrow = user.new()
    assert len(tomorrow) == 1
    stale = await user.tap("do:checkin_later", ref="ci:2027-05-03:0")
    assert "passé" in text_of(stale), "yesterday's button says so and changes nothing"


async def test_a_user_who_blocked_the_bot_is_paused_not_retried(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    (user,) = await add_users(app, 1, app.clock())
    scheduler = CheckinScheduler(app.writer, rate=None)
    async with app.db.begin() as conn:
        await app.repo.set_active(conn, user.id, False)
    app.writer._cache = None  # the writer reads the flag from storage, as after a restart
    app.clock.now = at("2027-05-03T06:00")
    await run(app, scheduler)
    assert not prompts(app.transport)
    assert (await row_of(app, user.id)).next_due == at("2027-05-04T06:00")


async def test_stop_and_forget_remove_the_schedule(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app)
    user_id = await _user_id(app, user)
    await user.send("/checkin")
    await user.tap("stop")
    assert "arrêtés" in text_of(await user.tap("yes"))
    async with app.db.begin() as conn:
        assert await store.rows_of(conn, [user_id]) == {}
    await checkin_user_again(user)
    await user.send("/forget")
    await user.tap(user.last_buttons()[0].id)
    async with app.db.begin() as conn:
        assert await store.rows_of(conn, [user_id]) == {}
        assert await app.repo.rows_about(conn, user_id) == 0


async def checkin_user_again(user: CheckinUser) -> None:
    await user.send("/checkin")
    await user.tap("setup")
    await user.send("9h")
    await user.tap(PARIS)
    await user.tap("every")
    await user.tap("done")


async def test_a_fine_day_gets_a_reflection_prompt_never_the_same_twice_in_two_weeks(app: App) -> None:
    app.clock.now = at("2027-05-02T12:00")
    user = await checkin_user(app)
    scheduler = CheckinScheduler(app.writer, rate=None)
    seen: list[str] = []
    for day in range(3, 17):
        app.clock.now = at(f"2027-05-{day:02d}T06:00")
        await run(app, scheduler)
        user.new()
        await user.tap("do:checkin_start")
        await user.send("8")
        await user.tap("skip")
        replies = await user.tap("fine")
        seen.append(replies[-1].text)
    assert len(set(seen)) == len(seen) == 14


# --- the weekly review and the chart ---------------------------------------------------------------------------


def png_size_and_spread(data: bytes) -> tuple[int, int, float]:
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(data)).convert("L")
    return image.width, image.height, ImageStat.Stat(image).stddev[0]


async def test_the_weekly_review_has_a_summary_and_a_legible_chart(app: App) -> None:
    app.clock.now = at("2027-05-01T12:00")
    user = await checkin_user(app)
    for day in range(2, 8):  # a week of check-ins, one exercise
        app.clock.now = at(f"2027-05-0{day}T15:00")
        await _checkin(user, 3 + day % 5)
    app.clock.now = at("2027-05-07T16:00")
    await user.send("/break")
    for step in ("overload", "continue", "5", "continue", "continue", "done", "continue", "skip", "3"):
        await (user.send(step) if step.isdigit() else user.tap(step))
    await user.send("/checkin")
    await user.tap("weekly")
    await user.tap("sun")
    await user.send("18h")
    await user.tap("done")
    user.new()
    scheduler = CheckinScheduler(app.writer, rate=None)
    app.clock.now = at("2027-05-09T16:00")  # Sunday 18:00 in Paris
    await run(app, scheduler)
    review = user.new()
    summary = text_of(review).replace("\u00a0", " ")
    assert "Votre semaine" in summary and "5 → 3" in summary
    assert "5 points du jour, en moyenne" in summary, "the last seven local days: 3 to 9 May"
    assert "1 exercice : Pause d'autocompassion." in summary
    image = next(m.attachment for m in review if m.attachment is not None)
    assert image.kind == "image" and image.mime == "image/png"
    width, height, spread = png_size_and_spread(image.data)
    assert width >= 1080 and height >= 1080 and spread > 20, "a phone-sized picture with something drawn"
    history = await user.send("/history")
    assert any(m.attachment is not None and m.attachment.kind == "image" for m in history), "/history sends it too"


async def _checkin(user: CheckinUser, mood: int) -> None:
    await user._submit(user._incoming(option="do:checkin_start", ref="", kind="option"))
    await user.send(str(mood))
    await user.tap("skip")
    await user.tap("nothing")


def test_chart_in_english_says_so_and_draws_nothing_for_nothing() -> None:
    from bot import charts
    from tests.harness import library

    user = UserRecord("u", "test", "x", "en", "vous", at("2027-05-01T00:00"), consent_version=1)
    empty = charts.chart_data(library(), _ctx("en"), user, [], at("2027-05-09T16:00"))
    assert empty.title == "Your last four weeks" and empty.ticks[0][1] == "12 Apr"
    assert not empty.checkins and not empty.exercises
    width, _, spread = png_size_and_spread(charts.render_png(empty))
    assert width == 1080 and spread > 5


def test_one_check_in_is_counted_in_words_never_as_a_decimal() -> None:
    from bot import charts
    from storage.records import HistoryRecord
    from tests.harness import library

    user = UserRecord("u", "test", "x", "fr", "vous", at("2027-05-01T00:00"), consent_version=1)
    one = [HistoryRecord("h", "u", checkins.PROMPT_DIALOGUE, at("2027-05-08T18:00"), outcome="completed",
                         measures={"checkin_mood": 3})]  # fmt: skip
    french = charts.weekly_text(library(), _ctx("fr"), user, one, at("2027-05-09T16:00")).replace("\u00a0", " ")
    assert "• 1 point du jour, à 3/10." in french and "1, 3/10" not in french
    english = charts.weekly_text(library(), _ctx("en"), user, one, at("2027-05-09T16:00"))
    assert "• 1 check-in, at 3/10." in english


def test_chart_says_what_0_means_on_each_axis_and_keeps_last_day_markers_inside() -> None:
    from bot import charts
    from storage.records import HistoryRecord
    from tests.harness import library

    user = UserRecord("u", "test", "x", "en", "vous", at("2027-05-01T00:00"), consent_version=1)
    now = at("2027-05-09T16:00")
    entries = [HistoryRecord(f"e{i}", "u", "compassion_break", now - timedelta(minutes=i), outcome="completed",
                             measures={"intensity_before": 7, "intensity_after": 4}) for i in range(3)]  # fmt: skip
    entries.append(HistoryRecord("s", "u", "selfcheck", now, outcome="completed", measures={"selfcheck_total": 3.92}))
    data = charts.chart_data(library(), _ctx("en"), user, entries, now)
    assert data.checkin_axis == "0 = very low · 10 = very well"
    assert data.exercise_axis == "0 = no charge · 10 = the most intense"
    assert data.selfchecks == ((date(2027, 5, 9), 3.92),), "the self-check's score is in the trend"
    assert len(data.exercises) == 3 and {e.day for e in data.exercises} == {data.end}
    drawn = _drawn_figure(data)
    exercise_axes = drawn.axes[1]
    right = exercise_axes.get_xlim()[1]
    last_x = max(o[0] for c in exercise_axes.collections for o in c.get_offsets())
    assert right - last_x >= charts.MARKER_MARGIN - 1e-9, "three exercises on the last day still fit, markers whole"
    assert all(not c.get_clip_on() for c in exercise_axes.collections)
    assert [ax.get_ylabel() for ax in drawn.axes[:3]] == [
        "0 = very low\n10 = very well",
        "0 = no charge\n10 = the most intense",
        "1 = low\n5 = high",
    ]


def _drawn_figure(data: Any) -> Any:
    """The figure render_png draws, caught at savefig."""
    from unittest import mock

    from matplotlib.figure import Figure

    from bot import charts

    caught: list[Figure] = []
    real = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        caught.append(self)
        real(self, *args, **kwargs)

    with mock.patch.object(Figure, "savefig", keep):
        charts.render_png(data)
    return caught[0]


def _ctx(locale: Any) -> Any:
    from dialogues.texts import Context

    return Context(locale=locale)


# --- the engine's `validate:` on text steps (pure) -------------------------------------------------------------

VALIDATED = """
id: when
version: 1
title: {en: "When", fr: "Quand"}
summary: {en: "When", fr: "Quand"}
start: hour
steps:
  hour:
    kind: text
    validate: hour
    save: at
    say: {en: "When?", fr: "Quand ?"}
    next: ok
  ok:
    kind: say
    say: {en: "At {at_label}.", fr: "À {at_label}."}
    effects: [{set: checkin_hour, value: "{at}"}]
    next: done
  done:
    kind: end
"""


def test_a_validated_text_step_normalises_reasks_and_feeds_an_effect(tmp_path: Any) -> None:
    from dialogues.engine import Engine
    from dialogues.loader import Library, load_dialogue
    from dialogues.results import Input, SaveNote, SetProfile
    from dialogues.texts import Context
    from tests.harness import library as shipped

    path = tmp_path / "when.yaml"
    path.write_text(VALIDATED, encoding="utf-8")
    engine = Engine(Library({"when": load_dialogue(path)}, shipped().catalog))
    ctx, now = Context(locale="fr"), at("2027-05-02T12:00")
    started = engine.start("when", ctx, now)
    assert [c.label for c in started.replies[-1].options] == ["08:00", "12:30", "18:00", "21:00"]
    again = engine.handle(started.state, Input(text="bientôt"), ctx, now)
    assert not again.accepted and "reconnu d'heure" in again.replies[0].text
    assert again.replies[-1].options, "the suggestions come back with the re-prompt"
    done = engine.handle(again.state, Input(text="7 h 45"), ctx, now)
    assert done.replies[0].text == "À 07:45."
    assert SetProfile("checkin_hour", "07:45") in done.effects
    assert not any(isinstance(e, SaveNote) for e in done.effects), "a setting is not a private note"
    tapped = engine.handle(started.state, Input(option="18:00", seq=started.state.seq), ctx, now)
    assert SetProfile("checkin_hour", "18:00") in tapped.effects


def test_the_checker_rejects_an_unknown_validator_and_unknown_values_in_effects(tmp_path: Any) -> None:
    from dialogues.loader import DialogueError, load_dialogue

    path = tmp_path / "when.yaml"
    for broken, problem in ((VALIDATED.replace("validate: hour", "validate: mood"), "validate is one of"),
                            (VALIDATED.replace('"{at}"', '"{never}"'), "unknown value {never}")):  # fmt: skip
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(DialogueError) as caught:
            load_dialogue(path)
        assert problem in "\n".join(caught.value.problems)


async def test_a_letter_reminder_comes_once_on_the_chosen_day(db_url: str) -> None:
    """After /letter, "in 3 days" sends one reminder on that day at the check-in hour, then never again."""
    from datetime import UTC, datetime

    from bot.scheduler import CheckinScheduler
    from tests.harness import FakeClock, User, make_app, text_of

    clock = FakeClock(datetime(2027, 3, 26, 9, 0, tzinfo=UTC))
    app = await make_app(db_url, clock=clock)
    scheduler = CheckinScheduler(app.writer)
    try:
        user = User(app, locale="en")
        await user.onboard(language="en")
        await user.send("/letter")
        while await user.step() not in ("reminder", None):
            buttons = user.last_buttons()
            if await user.step() in ("judged", "letter"):
                await user.send("Dear me, you did what you could.")
            elif buttons:
                await user.tap(buttons[0].id)
            else:
                clock.advance(seconds=60)
                await app.writer.tick()
                await app.settle()
        await user.tap("in_3_days")
        assert await user.step() is None

        def reminders() -> list[str]:
            everything = app.transport.chat(user.key)  # with "@user:KEY", this person's private chat
            return [m.text for m in everything if "letter" in m.text and "few days ago" in m.text]

        for hours in (24, 24, 21):  # 2027-03-29 06:00 UTC, 08:00 in Paris (summer time): before 08:30
            clock.advance(hours=hours)
            await scheduler.drain()
            await app.settle()
        assert reminders() == []
        clock.advance(minutes=40)  # past 08:30 CEST on the third day
        await scheduler.drain()
        await app.settle()
        assert len(reminders()) == 1
        clock.advance(days=3)
        await scheduler.drain()
        await app.settle()
        assert len(reminders()) == 1, "once, not every day"
        assert "reread" in text_of([m for m in app.transport.chat(f"@user:{user.key}")])
    finally:
        scheduler.close()
        await app.close()
