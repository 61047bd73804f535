"""Geolocation databases for the policy tests: tiny fixtures and the packaged snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.policy.mmdb import city_record, write_mmdb
from twofold.policy.geo import GeoLookup

LONDON = city_record("GB", "London", latitude=51.5072, longitude=-0.1276, time_zone="Europe/London")
PARIS = city_record("FR", "Paris", latitude=48.8566, longitude=2.3522, time_zone="Europe/Paris")
TOKYO = city_record("JP", "Tokyo", latitude=35.6762, longitude=139.6503, time_zone="Asia/Tokyo")
FIXTURE_NETWORKS = {
    "81.2.69.0/24": LONDON,
    "2a01:e00::/26": PARIS,
    "2400:4050::/32": TOKYO,
    "5.39.0.0/17": city_record("FR"),
    "2a02:26f0::/29": city_record(None, latitude=47.0, longitude=8.0, time_zone="Europe/Vaduz"),
}


@pytest.fixture
def fixture_geo(tmp_path: Path) -> Iterator[GeoLookup]:
    """London (IPv4), Paris and Tokyo (IPv6), a country-only and a position-only network."""
    lookup = GeoLookup(write_mmdb(tmp_path / "city.mmdb", FIXTURE_NETWORKS))
    yield lookup
    lookup.close()


@pytest.fixture
def everywhere_geo(tmp_path: Path) -> Iterator[GeoLookup]:
    """Every address, special ones included, is in Antarctica: what must not be looked up."""
    anywhere = city_record("AQ", latitude=-75.0, longitude=0.0)
    path = write_mmdb(tmp_path / "everywhere.mmdb", {"::/1": anywhere, "8000::/1": anywhere})
    lookup = GeoLookup(path)
    yield lookup
    lookup.close()


@pytest.fixture(scope="session")
def snapshot_geo() -> Iterator[GeoLookup]:
    """The GeoLite2 City snapshot `maxminddb-geolite2` ships (2018)."""
    lookup = GeoLookup()
    yield lookup
    lookup.close()
