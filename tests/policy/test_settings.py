"""`TWOFOLD_POLICY__*`: the policy engine's settings are checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.policy.mmdb import city_record, write_mmdb
from twofold.config import PolicySettings, Settings
from twofold.policy.geo import GeoLookup
from twofold.policy.risk import DenyList


def test_defaults() -> None:
    policy = Settings().policy
    assert policy.geoip_database is None
    assert policy.time_zone == "UTC"
    assert policy.impossible_travel_kmh == 900
    assert policy.new_device_days == 30
    assert policy.ip_deny_list == []
    assert (policy.ip_velocity.failures, policy.ip_velocity.window_seconds) == (20, 600)


def test_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = write_mmdb(tmp_path / "city.mmdb", {"81.2.69.0/24": city_record("GB")})
    monkeypatch.setenv("TWOFOLD_POLICY__GEOIP_DATABASE", str(database))
    monkeypatch.setenv("TWOFOLD_POLICY__TIME_ZONE", "Europe/Paris")
    monkeypatch.setenv("TWOFOLD_POLICY__IMPOSSIBLE_TRAVEL_KMH", "1200")
    monkeypatch.setenv("TWOFOLD_POLICY__NEW_DEVICE_DAYS", "14")
    monkeypatch.setenv("TWOFOLD_POLICY__IP_DENY_LIST", '["45.0.0.0/8", "2A03:2880:0::/32"]')
    monkeypatch.setenv("TWOFOLD_POLICY__IP_VELOCITY__FAILURES", "50")
    monkeypatch.setenv("TWOFOLD_POLICY__IP_VELOCITY__WINDOW_SECONDS", "300")
    policy = Settings().policy
    assert policy.time_zone == "Europe/Paris"
    assert (policy.impossible_travel_kmh, policy.new_device_days) == (1200, 14)
    assert policy.ip_deny_list == ["45.0.0.0/8", "2a03:2880::/32"]
    assert (policy.ip_velocity.failures, policy.ip_velocity.window_seconds) == (50, 300)
    assert policy.geoip_database is not None
    lookup = GeoLookup(policy.geoip_database)
    assert lookup.lookup("81.2.69.142") is not None
    lookup.close()
    assert len(DenyList.from_entries(policy.ip_deny_list).networks) == 2


def test_a_single_address_is_a_host_network() -> None:
    policy = PolicySettings(ip_deny_list=[" 198.51.100.7 ", "2001:db8::1"])
    assert policy.ip_deny_list == ["198.51.100.7/32", "2001:db8::1/128"]


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "2001:db8::1/32", "example.com", "10.0.0.0/33"])
def test_a_malformed_deny_list_entry_is_refused(entry: str) -> None:
    with pytest.raises(ValidationError, match="deny-list entry"):
        PolicySettings(ip_deny_list=[entry])


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "../etc/passwd", "America"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationError, match="IANA time zone"):
        PolicySettings(time_zone=zone)


def test_a_missing_geoip_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"not a readable \.mmdb file"):
        PolicySettings(geoip_database=tmp_path / "GeoLite2-City.mmdb")


@pytest.mark.parametrize(
    "values",
    [
        {"impossible_travel_kmh": 0},
        {"new_device_days": 0},
        {"ip_velocity": {"failures": 0}},
        {"ip_velocity": {"window_seconds": 1}},
    ],
)
def test_thresholds_out_of_range_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PolicySettings.model_validate(values)
