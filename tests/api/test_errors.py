"""The error mapping's 429 headers: `retry-after` agrees with `x-ratelimit-reset`."""

from __future__ import annotations

import datetime as dt

from twofold.api.errors import NEVER, rate_limit_headers

NOW = dt.datetime(2026, 11, 22, 12, 0, 0, 250_000, tzinfo=dt.UTC)


def test_retry_after_counts_whole_seconds_to_the_reset() -> None:
    headers = rate_limit_headers(NOW + dt.timedelta(seconds=359, microseconds=500_000), now=NOW)
    reset = int(headers["x-ratelimit-reset"])
    assert reset == int(NOW.timestamp()) + 360
    assert headers["retry-after"] == "360"
    assert headers["x-ratelimit-remaining"] == "0"


def test_retry_after_is_at_least_one_second() -> None:
    soon = rate_limit_headers(NOW + dt.timedelta(microseconds=1), now=NOW)
    assert soon["retry-after"] == "1"
    past = rate_limit_headers(NOW - dt.timedelta(seconds=5), now=NOW)
    assert past["retry-after"] == "1"


def test_a_block_that_never_lifts_has_no_retry_after() -> None:
    headers = rate_limit_headers(NEVER, now=NOW)
    assert headers == {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "253402300800"}
