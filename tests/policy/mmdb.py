"""Tiny MaxMind DB files for geolocation tests, shaped like GeoLite2 City records."""

from __future__ import annotations

from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet  # type: ignore[import-untyped]

CityRecord = dict[str, object]


def city_record(
    country: str | None,
    city: str | None = None,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    time_zone: str | None = None,
) -> CityRecord:
    """A record with GeoLite2 City's sections (`country.iso_code`, `city.names.en`,
    `location.latitude`...), leaving out those the caller does not give, as the real
    database does for addresses known only to a country or only to a position."""
    record: CityRecord = {}
    if country is not None:
        record["country"] = {"iso_code": country, "names": {"en": country}}
        record["registered_country"] = {"iso_code": country}
    if city is not None:
        record["city"] = {"geoname_id": 1, "names": {"en": city, "de": city}}
    location: dict[str, object] = {"accuracy_radius": 50}
    if latitude is not None and longitude is not None:
        location |= {"latitude": latitude, "longitude": longitude}
    if time_zone is not None:
        location["time_zone"] = time_zone
    if len(location) > 1:
        record["location"] = location
    return record


def write_mmdb(path: Path, networks: dict[str, CityRecord], *, ip_version: int = 6) -> Path:
    """Write `networks` (CIDR -> record; IPv4 CIDRs go in the IPv4-mapped part of an IPv6
    database) as a GeoLite2-City-typed database, broadest first so specifics win."""
    writer = MMDBWriter(
        ip_version=ip_version,
        database_type="GeoLite2-City",
        languages=["en"],
        description="Twofold test fixture",
        ipv4_compatible=ip_version == 6,
    )
    by_breadth = sorted(networks.items(), key=lambda item: int(item[0].rpartition("/")[2]))
    for cidr, record in by_breadth:
        writer.insert_network(IPSet([cidr]), record)
    writer.to_db_file(str(path))
    return path
