"""`request.time` in the tenant's zone (DST included) and what CEL is handed."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.policy.facts import a_context
from twofold.errors import InvalidRequestError
from twofold.policy.context import LocalTime, activation, local_time


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("at", "zone", "expected"),
    [
        # Europe/Berlin springs forward at 01:00 UTC on 2026-03-29: 02:00-02:59 never happen
        ("2026-03-29T00:59", "Europe/Berlin", LocalTime(1, 59, "Sun", "2026-03-29")),
        ("2026-03-29T01:00", "Europe/Berlin", LocalTime(3, 0, "Sun", "2026-03-29")),
        # ...and falls back at 01:00 UTC on 2026-10-25: 02:30 happens twice
        ("2026-10-25T00:30", "Europe/Berlin", LocalTime(2, 30, "Sun", "2026-10-25")),
        ("2026-10-25T01:30", "Europe/Berlin", LocalTime(2, 30, "Sun", "2026-10-25")),
        # America/New_York: forward at 07:00 UTC on 2026-03-08, back at 06:00 UTC on 11-01
        ("2026-03-08T06:59", "America/New_York", LocalTime(1, 59, "Sun", "2026-03-08")),
        ("2026-03-08T07:00", "America/New_York", LocalTime(3, 0, "Sun", "2026-03-08")),
        ("2026-11-01T05:30", "America/New_York", LocalTime(1, 30, "Sun", "2026-11-01")),
        ("2026-11-01T06:30", "America/New_York", LocalTime(1, 30, "Sun", "2026-11-01")),
        # the local date and weekday, not UTC's
        ("2026-03-02T03:00", "America/New_York", LocalTime(22, 0, "Sun", "2026-03-01")),
        ("2026-11-25T23:30", "Asia/Tokyo", LocalTime(8, 30, "Thu", "2026-11-26")),
        ("2026-11-25T12:00", "UTC", LocalTime(12, 0, "Wed", "2026-11-25")),
    ],
)
def test_local_time_follows_the_zone_and_its_dst(at: str, zone: str, expected: LocalTime) -> None:
    assert local_time(utc(at), zone) == expected


def test_local_time_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        local_time(dt.datetime(2026, 11, 25, 12, 0), "UTC")  # noqa: DTZ001 - the point


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd"])
def test_local_time_refuses_an_unknown_zone(zone: str) -> None:
    with pytest.raises(InvalidRequestError, match="Unknown time zone"):
        local_time(utc("2026-11-25T12:00"), zone)


def test_activation_is_exactly_the_declared_variables_as_plain_values() -> None:
    variables = activation(a_context(roles=("admin",), app_metadata={"tier": "gold"}))

    assert set(variables) == {"user", "application", "organization", "request", "risk"}
    assert variables["user"] == {
        "id": "auth0|0123456789abcdef01234567",
        "email": "ada@example.com",
        "roles": ["admin"],
        "app_metadata": {"tier": "gold"},
        "user_metadata": {},
        "enrolled": ["otp"],
    }
    assert variables["request"] == {
        "ip": "203.0.113.7",
        "geo": {"country": "", "city": "", "latitude": None, "longitude": None, "known": False},
        "time": {"hour": 12, "minute": 0, "weekday": "Wed", "date": "2026-11-25"},
        "user_agent": "Mozilla/5.0",
    }
    assert variables["risk"] == {
        "confidence": "high",
        "assessments": {"new_device": False, "impossible_travel": False, "untrusted_ip": False},
        "codes": {
            "NewDevice": "match",
            "ImpossibleTravel": "minimal_travel_from_last_login",
            "UntrustedIP": "not_found_on_deny_list",
        },
    }

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(item) for item in value)
        return value is None or type(value) in {str, int, float, bool}

    assert plain(variables)
