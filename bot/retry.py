"""How long to wait before trying again: one policy for every retry loop in Phare.

The outbox's sends, Telegram's polling and keyboard edits, Matrix's sync and option reactions all back off
the same way, from one policy built from PHARE_RETRY_BASE and PHARE_RETRY_MAX: an operator tunes them
together, and a homeserver or Bot API outage is waited out alike everywhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class RetryPolicy:
    """After the n-th failure in a row, wait `base * factor ** (n - 1)` seconds, at most `max_delay`, each
    wait shortened at random by up to `jitter` of itself; a server's retry-after replaces all of that.

    `max_attempts` bounds the loops that can give up (for now): the outbox sets a message aside and tries
    again later, reactions and keyboard edits are dropped. Intake loops (polling, sync) never stop and only
    read the delays. Invalid values raise ValueError at construction, naming the value and the fix.
    """

    base: float = 0.5
    factor: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.5
    max_attempts: int | None = 8
    # Jitter's source of randomness: tests replace it to pin the spread; it is not part of the policy.
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if not _finite(self.base) or self.base <= 0:
            problems.append(f"base delay must be a positive number of seconds, not {self.base!r}")
        if not _finite(self.factor) or self.factor < 1:
            problems.append(f"factor must be at least 1 (1: a constant delay), not {self.factor!r}")
        if not _finite(self.max_delay) or self.max_delay <= 0:
            problems.append(f"max delay must be a positive number of seconds, not {self.max_delay!r}")
        elif _finite(self.base) and self.max_delay < self.base:
            problems.append(f"max delay ({self.max_delay!r} s) must not be shorter than the base ({self.base!r} s)")
        if not _finite(self.jitter) or not 0 <= self.jitter <= 1:
            problems.append(f"jitter must be between 0 (none) and 1, not {self.jitter!r}")
        attempts = self.max_attempts
        if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1):
            problems.append(f"max attempts must be a whole number of at least 1, or None, not {attempts!r}")
        if problems:
            raise ValueError("invalid retry policy: " + "; ".join(problems))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first failure)."""
        if attempt < 1:
            raise ValueError(f"attempts are counted from 1, not {attempt!r}")
        if retry_after is not None:
            # The server knows its own load: waiting less would be refused again, waiting more is wasted.
            return max(0.0, float(retry_after))
        try:
            wait = min(self.max_delay, self.base * self.factor ** (attempt - 1))
        except OverflowError:  # a loop failing for days counts past what a float can raise to
            wait = self.max_delay
        return wait * (1.0 - self.jitter * self.rng()) if self.jitter else wait

    def exhausted(self, attempt: int) -> bool:
        """Whether attempt number `attempt` was the last one this policy allows."""
        return self.max_attempts is not None and attempt >= self.max_attempts

    def with_attempts(self, max_attempts: int | None) -> RetryPolicy:
        """The same delays for a loop that gives up sooner (or never)."""
        return replace(self, max_attempts=max_attempts)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# What Settings builds when no PHARE_RETRY_* is set: the default of everything that takes a policy.
DEFAULT_RETRY = RetryPolicy()
