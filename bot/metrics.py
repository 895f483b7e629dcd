"""What `/metrics` shows (Prometheus, through prometheus-client). Counted by the writer from what a committed
batch produced, never inside the core. Labels name platforms, exercises, levels and kinds: never a user, never
anything a user wrote."""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

MESSAGES = Counter(
    "phare_messages_handled", "Messages handled (committed), by platform", ["platform"], registry=REGISTRY
)
EXERCISES_STARTED = Counter(
    "phare_exercises_started", "Exercises started, by exercise", ["exercise"], registry=REGISTRY
)
EXERCISES_ENDED = Counter(
    "phare_exercises_ended",
    "Exercises ended, by exercise and outcome (completed, stopped…)",
    ["exercise", "outcome"],
    registry=REGISTRY,
)
CHECKINS = Counter(
    "phare_checkins",
    "Due check-ins: sent (queued), skipped (late, inactive, already sent), failed",
    ["result"],
    registry=REGISTRY,
)
CRISIS = Counter(
    "phare_crisis_replies", "Crisis replies, by level (urgent, crisis, check)", ["level"], registry=REGISTRY
)
ERRORS = Counter(
    "phare_errors", "Errors, by kind (the component that logged one, or a failed step)", ["kind"], registry=REGISTRY
)
OUTBOX_DEPTH = Gauge(
    "phare_outbox_depth", "Replies queued and not yet confirmed sent (all processes)", registry=REGISTRY
)
STEP_SECONDS = Histogram(
    "phare_step_latency_seconds",
    "From a job's arrival at the writer to its commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

for _level in ("urgent", "crisis", "check"):
    CRISIS.labels(_level)
for _result in ("sent", "skipped", "failed"):
    CHECKINS.labels(_result)


def crisis_level(fact: str) -> str | None:
    """The level of a crisis reply from the safety fact the core recorded (`crisis_resources_shown`…)."""
    if fact == "check_asked":
        return "check"
    for suffix in ("_resources_shown", "_shown_private"):
        if fact.endswith(suffix):
            return fact[: -len(suffix)]
    return None


def count_batch(
    *,
    messages: Iterable[str],
    started: Iterable[str],
    ended: Iterable[tuple[str, str]],
    safety: Iterable[str],
    checkins_due: int,
    checkins_sent: int,
) -> None:
    """One committed batch: platforms of the messages handled, exercises started and ended, safety facts."""
    for platform, n in Tally(messages).items():
        MESSAGES.labels(platform).inc(n)
    for exercise in started:
        EXERCISES_STARTED.labels(exercise).inc()
    for exercise, outcome in ended:
        EXERCISES_ENDED.labels(exercise, outcome).inc()
    for fact in safety:
        level = crisis_level(fact)
        if level is not None:
            CRISIS.labels(level).inc()
    if checkins_sent:
        CHECKINS.labels("sent").inc(checkins_sent)
    if checkins_due > checkins_sent:
        CHECKINS.labels("skipped").inc(checkins_due - checkins_sent)


def render() -> bytes:
    return generate_latest(REGISTRY)


class ErrorCounter(logging.Handler):
    """Counts every record at ERROR or above by the top of its logger's name (bot.runner → bot.runner,
    httpx → httpx, telegram.ext.Updater → telegram.ext): the message itself is never read."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        ERRORS.labels(".".join(record.name.split(".")[:2])).inc()
