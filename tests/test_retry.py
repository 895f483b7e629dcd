"""The one retry policy: how its waits grow, where they stop, when the server decides, what it refuses."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.retry import DEFAULT_RETRY, RetryPolicy

STEADY = RetryPolicy(base=0.5, factor=2.0, max_delay=60.0, jitter=0.0)


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    assert [STEADY.delay(n) for n in range(1, 10)] == [0.5, 1, 2, 4, 8, 16, 32, 60, 60]
    assert [RetryPolicy(base=2, factor=1, max_delay=2, jitter=0).delay(n) for n in (1, 5, 50)] == [2, 2, 2]


def test_a_loop_failing_for_days_stays_at_the_cap() -> None:
    assert STEADY.delay(5_000) == 60.0  # 0.5 * 2.0 ** 4999 does not fit in a float


def test_the_servers_retry_after_wins_even_beyond_the_cap() -> None:
    assert STEADY.delay(1, retry_after=7.5) == 7.5
    assert STEADY.delay(9, retry_after=120) == 120.0
    assert STEADY.delay(3, retry_after=0.0) == 0.0  # "go again now" (Telegram's chat migration)
    assert STEADY.delay(3, retry_after=-1) == 0.0
    assert STEADY.delay(3, retry_after=None) == 2.0


def test_jitter_shortens_each_wait_by_at_most_its_share() -> None:
    assert RetryPolicy(jitter=0.5, rng=lambda: 0.0).delay(3) == 2.0
    assert RetryPolicy(jitter=0.5, rng=lambda: 1.0).delay(3) == 1.0
    rng = random.Random(3)
    spread = [RetryPolicy(jitter=0.5, rng=rng.random).delay(4) for _ in range(500)]
    assert all(2.0 <= wait <= 4.0 for wait in spread) and len(set(spread)) > 400
    assert RetryPolicy(jitter=0.5, rng=lambda: 1.0).delay(3, retry_after=5) == 5  # the server's wait is exact


def test_attempts_are_bounded_only_where_a_loop_can_give_up() -> None:
    three = STEADY.with_attempts(3)
    assert [three.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
    assert three.delay(2) == STEADY.delay(2)
    assert not STEADY.with_attempts(None).exhausted(10**6)
    with pytest.raises(ValueError, match="counted from 1"):
        STEADY.delay(0)


def test_the_default_is_what_the_outbox_always_did() -> None:
    # 0.5 s doubling to at most 60 s, each wait between half and all of that, 8 attempts before a message is
    # set aside: the numbers the Dispatcher had before the policy was shared.
    assert (DEFAULT_RETRY.base, DEFAULT_RETRY.factor, DEFAULT_RETRY.max_delay) == (0.5, 2.0, 60.0)
    assert (DEFAULT_RETRY.jitter, DEFAULT_RETRY.max_attempts) == (0.5, 8)
    for r in (0.0, 0.3, 0.99):
        before = min(60.0, 0.5 * 2 ** (4 - 1)) * (0.5 + r / 2)
        assert math.isclose(RetryPolicy(rng=lambda r=r: 1 - r).delay(4), before)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base": 0}, "base delay must be a positive number of seconds, not 0"),
        ({"base": -1.0}, "base delay must be a positive number of seconds"),
        ({"base": math.nan}, "base delay must be a positive number of seconds, not nan"),
        ({"factor": 0.5}, "factor must be at least 1"),
        ({"max_delay": math.inf}, "max delay must be a positive number of seconds, not inf"),
        ({"base": 10, "max_delay": 5}, r"max delay \(5 s\) must not be shorter than the base \(10 s\)"),
        ({"jitter": 1.5}, r"jitter must be between 0 \(none\) and 1, not 1.5"),
        ({"max_attempts": 0}, "max attempts must be a whole number of at least 1, or None, not 0"),
        ({"max_attempts": 2.5}, "max attempts must be a whole number"),
        ({"max_attempts": True}, "max attempts must be a whole number"),
        ({"base": "1"}, "base delay must be a positive number of seconds, not '1'"),
    ],
)
def test_invalid_policies_are_refused_with_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"invalid retry policy: .*{message}"):
        RetryPolicy(**changes)  # type: ignore[arg-type]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError, match=r"base delay.*; factor.*; jitter"):
        RetryPolicy(base=-1, factor=0, jitter=2)


def test_a_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        STEADY.base = 1.0  # type: ignore[misc]


def test_settings_build_one_policy_that_every_transport_shares(tmp_path: Path) -> None:
    from bot.transports.matrix import options_from as matrix_options
    from bot.transports.telegram.service import options_from as telegram_options

    settings = Settings(
        data_dir=tmp_path,
        retry_base=0.25,
        retry_max=30,
        telegram_token="123:abc",
        matrix_homeserver="https://matrix.example.org",
        matrix_user="@phare:example.org",
        matrix_password="pw",
    )
    policy = settings.retry
    assert (policy.base, policy.max_delay) == (0.25, 30.0)
    assert telegram_options(settings).retry is policy and matrix_options(settings).retry is policy
    assert Settings(data_dir=tmp_path).retry == DEFAULT_RETRY


def test_settings_name_the_variables_when_they_make_no_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHARE_RETRY_BASE", "90")
    with pytest.raises(ValidationError, match=r"PHARE_RETRY_BASE=90.0, PHARE_RETRY_MAX=60.0: .*max delay"):
        Settings(data_dir=tmp_path)
    monkeypatch.setenv("PHARE_RETRY_BASE", "0")
    with pytest.raises(ValidationError, match="base delay must be a positive number"):
        Settings(data_dir=tmp_path)
