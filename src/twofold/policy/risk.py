"""Adaptive MFA's assessors (NewDevice, ImpossibleTravel, UntrustedIP) and the confidence.

Pure functions over plain facts the flow gathers once per login (docs/decisions/009); each
answers with Auth0's codes, so a `riskAssessment` reads as it does in Auth0's logs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from twofold.config import PolicySettings
from twofold.policy.geo import Geo

AssessorName = Literal["NewDevice", "ImpossibleTravel", "UntrustedIP"]
Confidence = Literal["high", "medium", "low", "neutral"]
JsonValue = str | int | float | bool | None
Details = dict[str, JsonValue | dict[str, JsonValue]]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NOT_AVAILABLE = "assessment_not_available"
MINIMAL_TRAVEL_KM = 100.0
SUBSTANTIAL_TRAVEL_KM = 1000.0
CLOCK_SKEW = dt.timedelta(seconds=60)
"""A last login this far in the future is clock skew between nodes (travel time 0)."""
EARTH_RADIUS_KM = 6371.0088
_MEDIUM_CODES = frozenset({"partial_match"})
"""Auth0's logs show a partial device match as medium confidence: no MFA, but less trust."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """One assessor's verdict. `risky` is None when the assessor had nothing to judge by."""

    assessor: AssessorName
    code: str
    risky: bool | None
    details: Details = field(default_factory=dict)

    @property
    def confidence(self) -> Confidence:
        if self.risky or self.code == NOT_AVAILABLE:
            return "low"
        if self.risky is None:
            return "neutral"
        return "medium" if self.code in _MEDIUM_CODES else "high"

    def to_json(self) -> dict[str, JsonValue | Details]:
        return {"confidence": self.confidence, "code": self.code, "details": dict(self.details)}


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A device this user signed in from: its cookie's hash, its user-agent family, when."""

    device_id_hash: str
    ua_family: str
    last_seen: dt.datetime


@dataclass(frozen=True, slots=True)
class LastLogin:
    """The user's last successful login: where (None if it could not be placed) and when."""

    geo: Geo | None
    at: dt.datetime


def assess_new_device(
    device_id_hash: str | None,
    ua_family: str | None,
    *,
    known: Sequence[KnownDevice],
    first_login: bool,
    now: dt.datetime,
    days: int,
) -> Assessment:
    """NewDevice: has this user used this device (cookie and user-agent family) lately?

    `match` needs the cookie and the family seen together within `days`; one of them alone
    is `partial_match` (a cleared cookie, or a cookie copied into another browser)."""
    if first_login:
        return Assessment("NewDevice", "initial_login", None)
    if not device_id_hash and not ua_family:
        return Assessment("NewDevice", "unknown_device", True, _device(None, None))
    if not known:
        return Assessment("NewDevice", "no_device_history", True)
    since = now - dt.timedelta(days=days)
    recent = [device for device in known if device.last_seen >= since]
    both = any(d.device_id_hash == device_id_hash and d.ua_family == ua_family for d in recent)
    cookie = bool(device_id_hash) and any(d.device_id_hash == device_id_hash for d in recent)
    family = bool(ua_family) and any(d.ua_family == ua_family for d in recent)
    details = _device(cookie, family)
    if both:
        return Assessment("NewDevice", "match", False, details)
    if cookie or family:
        return Assessment("NewDevice", "partial_match", False, details)
    return Assessment("NewDevice", "no_match", True, details)


def _device(cookie: bool | None, family: bool | None) -> Details:
    def word(seen: bool | None) -> str:
        return "known" if seen else "unknown"

    return {"device": word(cookie), "useragent": word(family)}


def assess_impossible_travel(
    current: Geo | None,
    last: LastLogin | None,
    *,
    now: dt.datetime,
    max_kmh: float,
) -> Assessment:
    """ImpossibleTravel: the great-circle speed from the last successful login's location.

    Under 100 km is minimal whatever the time (two lookups of one city differ by that much);
    beyond, a speed above `max_kmh`, or any distance in no time, is impossible."""
    if last is None:
        return Assessment("ImpossibleTravel", "initial_login", None)
    if current is None:
        return Assessment("ImpossibleTravel", "missing_geoip", None)
    if not current.has_coordinates:
        return Assessment("ImpossibleTravel", "unknown_location", None, _places(current, None))
    if last.geo is None or not last.geo.has_coordinates:
        return Assessment("ImpossibleTravel", "location_history_not_found", None)
    return _travel(current, last.geo, elapsed=now - last.at, max_kmh=max_kmh)


def _travel(current: Geo, last: Geo, *, elapsed: dt.timedelta, max_kmh: float) -> Assessment:
    details = _places(current, last)
    distance = haversine_km(last, current)
    valid = _on_earth(current) and _on_earth(last) and math.isfinite(distance)
    if not valid or elapsed < -CLOCK_SKEW or not max_kmh > 0:
        return Assessment("ImpossibleTravel", "invalid_travel", True, details)
    hours = max(elapsed.total_seconds(), 0.0) / 3600
    details["distance_km"] = round(distance, 1)
    details["elapsed_hours"] = round(hours, 3)
    if distance < MINIMAL_TRAVEL_KM:
        return Assessment("ImpossibleTravel", "minimal_travel_from_last_login", False, details)
    speed = distance / hours if hours > 0 else math.inf
    details["speed_kmh"] = round(speed, 1) if math.isfinite(speed) else None
    if speed > max_kmh:
        return Assessment("ImpossibleTravel", "impossible_travel_from_last_login", True, details)
    if distance > SUBSTANTIAL_TRAVEL_KM:
        code = "substantial_travel_from_last_login"
        return Assessment("ImpossibleTravel", code, False, details)
    return Assessment("ImpossibleTravel", "travel_from_last_login", False, details)


def _on_earth(geo: Geo) -> bool:
    lat, lon = geo.latitude, geo.longitude
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    return abs(lat) <= 90 and abs(lon) <= 180


def haversine_km(start: Geo, end: Geo) -> float:
    """Great-circle distance on the mean Earth radius; NaN when a position is missing."""
    if start.latitude is None or start.longitude is None:
        return math.nan
    if end.latitude is None or end.longitude is None:
        return math.nan
    lat1, lon1 = math.radians(start.latitude), math.radians(start.longitude)
    lat2, lon2 = math.radians(end.latitude), math.radians(end.longitude)
    half = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, half)))


def _places(current: Geo, last: Geo | None) -> Details:
    places: Details = {"location": _place(current)}
    if last is not None:
        places["last_location"] = _place(last)
    return places


def _place(geo: Geo) -> dict[str, JsonValue]:
    return dict(geo.to_json())


@dataclass(frozen=True, slots=True)
class DenyList:
    """The operator's untrusted addresses and networks, parsed once."""

    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> DenyList:
        """Raises ValueError for an entry that is neither an address nor a CIDR."""
        return cls(tuple(ipaddress.ip_network(entry.strip(), strict=True) for entry in entries))

    def match(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> IPNetwork | None:
        for network in self.networks:
            if network.version == address.version and address in network:
                return network
        return None


def assess_untrusted_ip(
    ip: str,
    *,
    deny_list: DenyList,
    failed_logins: int,
    max_failures: int,
) -> Assessment:
    """UntrustedIP: the operator's deny list, then local velocity (`failed_logins` from this
    IP across every account within the configured window, `max_failures` or more is found).

    An IPv4-mapped IPv6 address is matched as its IPv4 address, so `::ffff:203.0.113.9`
    cannot slip past `203.0.113.0/24`."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return Assessment("UntrustedIP", "invalid_ip_address", True)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    network = deny_list.match(address)
    if network is not None:
        details: Details = {"ip": str(address), "source": "deny_list", "matches": str(network)}
        return Assessment("UntrustedIP", "found_on_deny_list", True, details)
    if failed_logins >= max_failures:
        details = {"ip": str(address), "source": "velocity", "failed_logins": failed_logins}
        return Assessment("UntrustedIP", "found_on_deny_list", True, details)
    return Assessment("UntrustedIP", "not_found_on_deny_list", False, {"ip": str(address)})


def guarded(assessor: AssessorName, run: Callable[[], Assessment]) -> Assessment:
    """Run one assessor; if it raises, it answers `assessment_not_available` (low).

    A broken assessor must neither end the login with a 500 nor let it skip MFA."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - any failure is a verdict: not available
        return Assessment(assessor, NOT_AVAILABLE, None, {"error": type(exc).__name__})


_RANK: dict[Confidence, int] = {"low": 0, "medium": 1, "high": 2}


def confidence(assessments: Sequence[Assessment]) -> Confidence:
    """The lowest confidence of the assessors that could judge: any risk or failure is low.

    `neutral` when none could judge (a first login from an unplaceable address); ADR 009
    treats it as low (`needs_mfa`) so a login about which nothing is known fails closed."""
    verdicts = [a.confidence for a in assessments if a.confidence != "neutral"]
    if not verdicts:
        return "neutral"
    return min(verdicts, key=_RANK.__getitem__)


def needs_mfa(level: Confidence) -> bool:
    """Adaptive policy: MFA at low confidence, and at neutral (ADR 009: fail closed)."""
    return level in ("low", "neutral")


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """The whole assessment, stored on the login's audit event (Auth0's `riskAssessment`)."""

    confidence: Confidence
    assessments: tuple[Assessment, ...]

    @classmethod
    def of(cls, assessments: Iterable[Assessment]) -> RiskAssessment:
        found = tuple(assessments)
        return cls(confidence(found), found)

    def find(self, assessor: AssessorName) -> Assessment | None:
        return next((a for a in self.assessments if a.assessor == assessor), None)

    def found_risk(self, assessor: AssessorName) -> bool:
        """What rules see as `risk.assessments.<name>`: a low verdict, a failed assessor, or
        one that did not run at all all count as risk (fail closed)."""
        found = self.find(assessor)
        return found is None or found.confidence == "low"

    def codes(self) -> dict[str, str]:
        """Assessor name -> Auth0 code, as rules see `risk.codes`."""
        return {a.assessor: a.code for a in self.assessments}

    def to_json(self) -> dict[str, object]:
        return {
            "confidence": self.confidence,
            "version": "1",
            "assessments": {a.assessor: a.to_json() for a in self.assessments},
        }


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """What the flow knows of one login, gathered once (geo, device and last-login lookups)."""

    ip: str
    geo: Geo | None
    device_id_hash: str | None
    ua_family: str | None
    known_devices: tuple[KnownDevice, ...]
    last_login: LastLogin | None
    """None for the user's first successful login."""
    failed_logins_from_ip: int
    now: dt.datetime


def assess_risk(
    facts: RiskFacts, *, settings: PolicySettings, deny_list: DenyList
) -> RiskAssessment:
    """The three assessors, each guarded, and their confidence."""
    return RiskAssessment.of(
        (
            guarded(
                "NewDevice",
                lambda: assess_new_device(
                    facts.device_id_hash,
                    facts.ua_family,
                    known=facts.known_devices,
                    first_login=facts.last_login is None,
                    now=facts.now,
                    days=settings.new_device_days,
                ),
            ),
            guarded(
                "ImpossibleTravel",
                lambda: assess_impossible_travel(
                    facts.geo,
                    facts.last_login,
                    now=facts.now,
                    max_kmh=settings.impossible_travel_kmh,
                ),
            ),
            guarded(
                "UntrustedIP",
                lambda: assess_untrusted_ip(
                    facts.ip,
                    deny_list=deny_list,
                    failed_logins=facts.failed_logins_from_ip,
                    max_failures=settings.ip_velocity.failures,
                ),
            ),
        )
    )
