"""Offline geolocation: fixture databases, the packaged snapshot, special addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.mmdb import city_record, write_mmdb
from twofold.policy.geo import Geo, GeoDatabaseError, GeoLookup, packaged_database


def test_fixture_places_ipv4_and_ipv6(fixture_geo: GeoLookup) -> None:
    assert fixture_geo.lookup("81.2.69.142") == Geo(
        "GB", "London", 51.5072, -0.1276, "Europe/London"
    )
    assert fixture_geo.lookup("2a01:e00::1") == Geo("FR", "Paris", 48.8566, 2.3522, "Europe/Paris")
    assert fixture_geo.lookup(" 2400:4050:1::9 ") == Geo(
        "JP", "Tokyo", 35.6762, 139.6503, "Asia/Tokyo"
    )
    assert fixture_geo.database_type == "GeoLite2-City"


def test_ipv4_mapped_ipv6_is_looked_up_as_ipv4(fixture_geo: GeoLookup) -> None:
    mapped = fixture_geo.lookup("::ffff:81.2.69.142")
    assert mapped is not None
    assert mapped.country == "GB"


def test_address_not_in_the_database_is_none(fixture_geo: GeoLookup) -> None:
    assert fixture_geo.lookup("8.8.8.8") is None
    assert fixture_geo.lookup("2001:4860:4860::8888") is None


def test_country_only_and_position_only_records(fixture_geo: GeoLookup) -> None:
    country_only = fixture_geo.lookup("5.39.1.2")
    assert country_only == Geo("FR", None, None, None, None)
    assert country_only is not None
    assert not country_only.has_coordinates
    position_only = fixture_geo.lookup("2a02:26f0::1")
    assert position_only == Geo(None, None, 47.0, 8.0, "Europe/Vaduz")
    assert position_only is not None
    assert position_only.has_coordinates


@pytest.mark.parametrize(
    "ip",
    [
        "10.0.0.1",  # private
        "192.168.1.20",
        "172.16.5.4",
        "fd12:3456::1",  # unique local
        "127.0.0.1",  # loopback
        "::1",
        "169.254.10.1",  # link-local
        "fe80::1",
        "224.0.0.1",  # multicast
        "239.1.1.1",
        "ff02::1",
        "240.0.0.1",  # reserved
        "0.0.0.0",  # unspecified  # noqa: S104 - an address to classify, not a bind
        "::",
        "100.64.0.1",  # shared address space (CGNAT)
        "192.0.2.10",  # documentation
        "2001:db8::1",
        "::ffff:10.0.0.1",  # IPv4-mapped private
    ],
)
def test_special_addresses_are_never_looked_up(everywhere_geo: GeoLookup, ip: str) -> None:
    # The database places every address in Antarctica, so None proves no lookup happened.
    assert everywhere_geo.lookup(ip) is None


def test_everywhere_database_does_place_public_addresses(everywhere_geo: GeoLookup) -> None:
    placed = everywhere_geo.lookup("81.2.69.142")
    assert placed is not None
    assert placed.country == "AQ"


@pytest.mark.parametrize("ip", ["", "not-an-ip", "999.1.1.1", "1.2.3", "81.2.69.142/32", "::g"])
def test_malformed_addresses_are_none(everywhere_geo: GeoLookup, ip: str) -> None:
    assert everywhere_geo.lookup(ip) is None


def test_ipv6_asked_of_an_ipv4_only_database_is_none(tmp_path: Path) -> None:
    path = write_mmdb(tmp_path / "v4.mmdb", {"81.2.69.0/24": city_record("GB")}, ip_version=4)
    lookup = GeoLookup(path)
    assert lookup.lookup("81.2.69.1") == Geo("GB", None, None, None, None)
    assert lookup.lookup("2a01:e00::1") is None
    lookup.close()


def test_missing_database_is_a_startup_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mmdb"
    with pytest.raises(GeoDatabaseError, match=r"nowhere\.mmdb"):
        GeoLookup(missing)


def test_a_file_that_is_not_an_mmdb_is_a_startup_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"not a maxmind database" * 64)
    with pytest.raises(GeoDatabaseError, match=r"junk\.mmdb"):
        GeoLookup(junk)


def test_the_packaged_snapshot_is_the_default() -> None:
    assert packaged_database().is_file()
    assert packaged_database().name == "GeoLite2-City.mmdb"


@pytest.mark.parametrize(
    ("ip", "country", "city", "time_zone"),
    [
        ("81.2.69.142", "GB", "Willesden", "Europe/London"),
        ("128.101.101.101", "US", "Minneapolis", "America/Chicago"),
        ("210.138.184.59", "JP", "Tokyo", "Asia/Tokyo"),
        ("203.2.218.214", "AU", "Sydney", "Australia/Sydney"),
        ("2001:4860:4860::8888", "US", "Mountain View", "America/Los_Angeles"),
    ],
)
def test_packaged_snapshot_places_public_addresses(
    snapshot_geo: GeoLookup, ip: str, country: str, city: str, time_zone: str
) -> None:
    geo = snapshot_geo.lookup(ip)
    assert geo is not None
    assert (geo.country, geo.city, geo.time_zone) == (country, city, time_zone)
    assert geo.has_coordinates


def test_packaged_snapshot_knows_nothing_of_loopback(snapshot_geo: GeoLookup) -> None:
    assert snapshot_geo.lookup("127.0.0.1") is None
    assert snapshot_geo.lookup("::1") is None


def test_geo_json_round_trip() -> None:
    geo = Geo("GB", "London", 51.5072, -0.1276, "Europe/London")
    assert Geo.from_json(geo.to_json()) == geo


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"country": "Great Britain", "latitude": "51.5"},
        {"latitude": 51.5},  # half a position
        {"latitude": 123.0, "longitude": 0.0},  # off the globe
        {"country": 7, "latitude": True, "longitude": False},
    ],
)
def test_geo_from_unusable_json_is_none(stored: dict[str, object]) -> None:
    assert Geo.from_json(stored) is None
