"""Check-ins inside the writer's transaction: a claimed row (`Due`) becomes a prompt, and users' settings become
schedule rows. The claimer that produces `Due` jobs is bot/scheduler.py; this module imports neither it nor the
writer, so the writer can use it without a loop."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import checkins
from bot.checkins import DAILY, KINDS, DueRow, first_due, spec_for
from bot.messages import Outgoing
from storage import schedules as store
from storage.records import RunRecord, UserRecord
from storage.schedules import Planned

log = logging.getLogger(__name__)
DEFAULT_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Due:
    """A writer job: this claimed schedule row is due. `messages` are prepared outside the writer (the weekly
    review's chart); a daily prompt is written by the writer in the user's language."""

    schedule_id: str
    user_id: str
    kind: str
    next_due: datetime
    local_date: str
    round: int
    spec: dict[str, Any] = field(compare=False)  # as claimed: a settings change since then releases the lease
    lease: str = ""
    grace: timedelta = DEFAULT_GRACE
    messages: tuple[Outgoing, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class GroupDue:
    """A supervision group's timer (a reminder, a phase's end, a pause's step) claimed by bot/scheduler.py."""

    timer_id: str
    group_id: str
    key: str
    lease: str


@dataclass
class DueResult:
    user: UserRecord
    messages: list[Outgoing]
    settings_changed: bool
    daily: tuple[str, int] | None = None  # (local date, round) of a daily prompt the writer writes


# --- inside the writer's transaction ----------------------------------------------------------------------


async def sync_schedules(conn: AsyncConnection, users: Sequence[UserRecord], now: datetime) -> None:
    """Bring the schedule rows of these users in line with their settings (only where the settings changed
    what the rows were computed from)."""
    candidates = [u for u in users if "checkin" in u.settings]
    if not candidates:
        return
    rows = await store.rows_of(conn, [u.id for u in candidates])
    moves: list[tuple[str, Planned]] = []
    creates: list[tuple[str, str, Planned]] = []
    gone: list[str] = []
    for user in candidates:
        for kind in KINDS:
            spec = spec_for(user, kind)
            row = rows.get((user.id, kind))
            if spec is None:
                if row is not None:
                    gone.append(row.id)
                continue
            if row is not None and row.spec == spec:
                continue
            start = first_due(spec, now)
            plan = Planned(start[0], start[1], start[2], spec) if start else Planned(None, None, 0, spec)
            if row is None:
                creates.append((user.id, kind, plan))
            else:
                moves.append((row.id, plan))
    await store.create(conn, creates, now)
    await store.move(conn, moves, now)
    await store.remove(conn, gone)


async def handle_due(
    conn: AsyncConnection,
    jobs: Sequence[Due],
    users: dict[str, UserRecord],
    runs: dict[str, RunRecord],
    now: datetime,
    forgotten: set[str],
) -> list[DueResult]:
    """Decide what each due row becomes, record the prompts' keys and move the rows, in the caller's
    transaction. Returns the messages to queue (and users whose settings changed)."""
    held = await store.still_leased(conn, [(j.schedule_id, j.lease) for j in jobs])
    decided: list[tuple[Due, UserRecord, checkins.Verdict]] = []
    keys: list[tuple[str, str, str, int]] = []
    for job in jobs:
        if job.schedule_id not in held:
            continue  # another claim took it over after our lease lapsed, or the settings moved it
        user = None if job.user_id in forgotten else users.get(job.user_id)
        run = runs.get(job.user_id)
        busy = checkins.busy(run.status if run else None, run.updated_at if run else None, now)
        due_row = DueRow(job.schedule_id, job.user_id, job.kind, job.next_due, job.local_date, job.round, job.spec)
        verdict = checkins.verdict(due_row, user, busy, now, job.grace)
        if user is None:
            continue
        if verdict == "send":
            keys.append((user.id, job.kind, job.local_date, job.round))
        decided.append((job, user, verdict))
    fresh = await store.record_prompts(conn, keys, now)
    moves: list[tuple[str, Planned]] = []
    results: list[DueResult] = []
    for job, user, verdict in decided:
        if verdict == "wait":
            moves.append((job.schedule_id, Planned(now + checkins.RECHECK, job.local_date, job.round, job.spec)))
            continue
        if job.kind == DAILY:
            changed = checkins.clear_handled(user, job.local_date)
        else:
            changed = checkins.clear_letter(user) if job.kind == checkins.LETTER else False
        spec = spec_for(user, job.kind) or job.spec
        after = checkins.after_prompt(spec, job.local_date, now, timedelta(0) if verdict == "late" else job.grace)
        plan = Planned(after[0], after[1], 0, spec) if after else Planned(None, None, 0, spec)
        moves.append((job.schedule_id, plan))
        result = DueResult(user, [], changed)
        if verdict == "send" and (user.id, job.kind, job.local_date, job.round) in fresh:
            if job.kind == DAILY:
                result.daily = (job.local_date, job.round)
            else:
                result.messages = list(job.messages)
        if verdict in ("late", "inactive"):
            log.info("check-in %s skipped (%s)", job.kind, verdict)
        if result.messages or result.daily or changed:
            results.append(result)
    await store.move(conn, moves, now)
    return results


# --- the claiming side ----------------------------------------------------------------------------------------
