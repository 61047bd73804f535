"""Offline IP geolocation for the policy layer: one `GeoLookup` over a MaxMind DB file.

The default is the GeoLite2 City snapshot `maxminddb-geolite2` ships (2018 data); operators
point `TWOFOLD_POLICY__GEOIP_DATABASE` at a newer GeoLite2/GeoIP2 City or DB-IP City Lite file.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import maxminddb

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class GeoDatabaseError(Exception):
    """The `.mmdb` file is missing, unreadable or not a MaxMind DB (checked at start-up)."""


@dataclass(frozen=True, slots=True)
class Geo:
    """Where an address is, as far as the database knows; any field may be unknown."""

    country: str | None
    """ISO 3166-1 alpha-2 (`GB`); None when the record has a location but no country."""
    city: str | None
    latitude: float | None
    longitude: float | None
    time_zone: str | None

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def to_json(self) -> dict[str, str | float | None]:
        """For audit events: the last login's location is read back from there."""
        return {
            "country": self.country,
            "city": self.city,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "time_zone": self.time_zone,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Geo | None:
        """The inverse of `to_json`, forgiving: a stored value of the wrong type is unknown."""
        return _known(
            country=_country(data.get("country")),
            city=_text(data.get("city")),
            latitude=_number(data.get("latitude"), limit=90),
            longitude=_number(data.get("longitude"), limit=180),
            time_zone=_text(data.get("time_zone")),
        )


def packaged_database() -> Path:
    """The GeoLite2 City snapshot inside the `maxminddb-geolite2` distribution."""
    return Path(str(files("_maxminddb_geolite2").joinpath("GeoLite2-City.mmdb")))


def public_address(ip: str) -> IPAddress | None:
    """The address if it could be anywhere on the Internet, else None.

    Private, loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) and
    documentation ranges say nothing about where a user is, so they are never looked up; an
    IPv4-mapped IPv6 address is judged (and looked up) as its IPv4 address.
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )
    return None if special else address


class GeoLookup:
    """Opened once at start-up (memory-mapped, C reader when available); thread-safe reads."""

    def __init__(self, database: Path | None = None) -> None:
        path = database if database is not None else packaged_database()
        try:
            self._reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            # A server that cannot place anyone would silently turn off impossible travel
            # and geofencing rules: refuse to start instead.
            raise GeoDatabaseError(f"cannot open the GeoIP database {path}: {exc}") from exc
        self.path = path
        self.database_type = str(self._reader.metadata().database_type)

    def lookup(self, ip: str) -> Geo | None:
        """Where `ip` is; None for a special or malformed address, or one not in the database."""
        address = public_address(ip)
        if address is None:
            return None
        try:
            record = self._reader.get(address)
        except ValueError:
            # An IPv6 address asked of an IPv4-only database.
            return None
        if not isinstance(record, dict):
            return None
        return _geo(record)

    def close(self) -> None:
        self._reader.close()


def _geo(record: Mapping[str, object]) -> Geo | None:
    country = _section(record, "country")
    location = _section(record, "location")
    names = _section(_section(record, "city"), "names")
    return _known(
        country=_country(country.get("iso_code")),
        city=_text(names.get("en")),
        latitude=_number(location.get("latitude"), limit=90),
        longitude=_number(location.get("longitude"), limit=180),
        time_zone=_text(location.get("time_zone")),
    )


def _known(
    *,
    country: str | None,
    city: str | None,
    latitude: float | None,
    longitude: float | None,
    time_zone: str | None,
) -> Geo | None:
    """A `Geo`, or None when it has neither a country nor a position (nothing to judge by)."""
    if latitude is None or longitude is None:
        # Half a coordinate pair is no position at all.
        latitude = longitude = None
    if country is None and latitude is None:
        return None
    return Geo(country, city, latitude, longitude, time_zone)


def _section(record: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _country(value: object) -> str | None:
    code = _text(value)
    return code.upper() if code and len(code) == 2 and code.isascii() else None


def _number(value: object, *, limit: float = math.inf) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= limit else None
