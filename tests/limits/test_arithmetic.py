"""The GCRA arithmetic both back ends share (security/limits.py), as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twofold.config import MIN_REFILL_SECONDS, Bucket
from twofold.errors import TooManyAttemptsError
from twofold.security.limits import (
    NEVER,
    QUANTUM,
    became_exhausted,
    charge,
    ensure_allowed,
    expires_at,
    is_exhausted,
    next_allow_at,
    timestamp,
    to_datetime,
)

T0 = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)

refilling = st.builds(
    Bucket,
    burst=st.integers(min_value=1, max_value=400),
    refill_seconds=st.one_of(
        st.sampled_from([0.1, 1.0, 30.0, 360.0]),
        st.floats(min_value=MIN_REFILL_SECONDS, max_value=86_400, allow_nan=False),
    ),
)
offsets = st.lists(st.integers(min_value=0, max_value=10**11), min_size=1, max_size=60)
"""Microseconds after T0 (up to about 28 hours)."""


def at(micros: int) -> dt.datetime:
    return T0 + micros * MICROSECOND


def allowed_failures(bucket: Bucket, times: list[dt.datetime]) -> list[dt.datetime]:
    """What a flow lets through: check first, count a failure only when the check passed."""
    allow_at: float | None = None
    allowed = []
    for now in sorted(times):
        if allow_at is not None and is_exhausted(allow_at, now):
            continue
        allow_at = next_allow_at(allow_at, charge(bucket, now))
        allowed.append(now)
    return allowed


def fail_times(bucket: Bucket, count: int, *, now: dt.datetime) -> float | None:
    allow_at: float | None = None
    for _ in range(count):
        allow_at = next_allow_at(allow_at, charge(bucket, now))
    return allow_at


@given(refilling, offsets)
def test_no_window_lets_through_more_than_burst_plus_its_refills(
    bucket: Bucket, micros: list[int]
) -> None:
    allowed = allowed_failures(bucket, [at(m) for m in micros])
    interval = charge(bucket, T0).interval
    for first, start in enumerate(allowed):
        for last in range(first, len(allowed)):
            window = timestamp(allowed[last]) - timestamp(start)
            assert last - first + 1 <= bucket.burst + int(window // interval)


@given(refilling, st.integers(min_value=0, max_value=10**6))
def test_burst_failures_at_once_exhaust_at_exactly_the_last(bucket: Bucket, micros: int) -> None:
    now = at(micros)
    allow_at: float | None = None
    exhausted_by = []
    for _ in range(bucket.burst):
        assert allow_at is None or not is_exhausted(allow_at, now)
        allow_at = next_allow_at(allow_at, charge(bucket, now))
        exhausted_by.append(became_exhausted(allow_at, charge(bucket, now), now))
    assert exhausted_by == [False] * (bucket.burst - 1) + [True]
    assert allow_at is not None
    assert is_exhausted(allow_at, now)


@given(refilling, st.integers(min_value=0, max_value=10**6))
def test_one_more_failure_is_allowed_from_one_interval_later(bucket: Bucket, micros: int) -> None:
    now = at(micros)
    allow_at = fail_times(bucket, bucket.burst, now=now)
    assert allow_at is not None
    retry_at = to_datetime(allow_at)
    assert 0 <= timestamp(retry_at) - timestamp(now) - charge(bucket, now).interval < 1e-6
    assert is_exhausted(allow_at, retry_at - MICROSECOND)
    assert not is_exhausted(allow_at, retry_at)
    cost = charge(bucket, retry_at)
    again = next_allow_at(allow_at, cost)
    assert became_exhausted(again, cost, retry_at)
    assert to_datetime(again) > retry_at


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_a_full_bucket_takes_burst_intervals_to_refill(burst: int, micros: int) -> None:
    bucket = Bucket(burst=burst, refill_seconds=60)
    now = at(micros)
    allow_at = fail_times(bucket, min(burst, 50), now=now)
    assert allow_at is not None
    full_at = expires_at(allow_at, charge(bucket, now))
    assert full_at == timestamp(now) + min(burst, 50) * 60
    later = to_datetime(full_at)
    assert next_allow_at(allow_at, charge(bucket, later)) == next_allow_at(
        None, charge(bucket, later)
    )


@given(
    st.integers(min_value=1, max_value=1000),
    st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=40),
)
def test_a_bucket_without_refill_is_a_counter(burst: int, micros: list[int]) -> None:
    """Failures years apart still add up; once exhausted, it stays so (only reset clears it)."""
    bucket = Bucket(burst=burst, refill_seconds=0)
    times = sorted(at(m) for m in micros)
    allow_at: float | None = None
    for count, now in enumerate(times, start=1):
        cost = charge(bucket, now)
        allow_at = next_allow_at(allow_at, cost)
        assert is_exhausted(allow_at, now) is (count >= burst)
        assert became_exhausted(allow_at, cost, now) is (count == burst)
        assert expires_at(allow_at, cost) >= NEVER
    assert allow_at is not None
    if len(times) >= burst:
        assert is_exhausted(allow_at, dt.datetime(2200, 1, 1, tzinfo=dt.UTC))
        assert to_datetime(allow_at) == LATEST


def test_sums_of_a_fractional_interval_do_not_drift() -> None:
    """300 failures of 0.1 s at once: the 299th leaves one, the 300th exhausts (no rounding)."""
    bucket = Bucket(burst=300, refill_seconds=0.1)
    cost = charge(bucket, T0)
    assert fail_times(bucket, 299, now=T0) == timestamp(T0)
    allow_at = fail_times(bucket, 300, now=T0)
    assert allow_at == timestamp(T0) + cost.interval
    assert abs(cost.interval - 0.1) < QUANTUM


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_retry_at_is_the_first_microsecond_allowed(micros: int) -> None:
    """Anywhere within 30 years of T0 (the arithmetic is exact before 2**33 s)."""
    when = at(micros)
    seconds = timestamp(when)
    retry_at = to_datetime(seconds)
    assert timestamp(retry_at) >= seconds
    assert timestamp(retry_at - MICROSECOND) < seconds
    assert retry_at <= when


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        timestamp(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_ensure_allowed_names_the_latest_retry_among_exhausted_keys() -> None:
    now = timestamp(T0)
    ensure_allowed([], T0)
    ensure_allowed([now, now - 5], T0)
    with pytest.raises(TooManyAttemptsError) as raised:
        ensure_allowed([now - 5, now + 30, now + 90, now], T0)
    assert raised.value.retry_at == T0 + dt.timedelta(seconds=90)
    assert raised.value.code == "too_many_attempts"


@pytest.mark.parametrize("refill", [0.000_001, 0.000_999])
def test_an_interval_below_a_millisecond_is_refused(refill: float) -> None:
    with pytest.raises(ValueError, match="refill_seconds"):
        Bucket(burst=1, refill_seconds=refill)
