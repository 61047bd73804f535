"""The facts a policy decision sees (ADR 009): built once per request by the flow, then frozen.

CEL sees exactly what `activation` returns, as plain values: no Python object is reachable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from twofold.domain import JsonObject
from twofold.errors import InvalidRequestError

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Confidence(StrEnum):
    """Auth0's confidence values; `neutral` (nothing could be assessed) counts as low."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class UserFacts:
    id: str
    email: str
    roles: tuple[str, ...] = ()
    app_metadata: JsonObject = field(default_factory=dict)
    user_metadata: JsonObject = field(default_factory=dict)
    enrolled: tuple[str, ...] = ()
    """The factor types the user has an active authenticator of."""


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    client_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class OrganizationFacts:
    """Empty strings when the login is not in an organization."""

    id: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class GeoFacts:
    """Where the request's IP is. `known` is false (country "") for private, loopback and
    unknown addresses; coordinates are then null, so a comparison on them errors (fails
    closed) rather than reading 0,0 as the Gulf of Guinea."""

    country: str = ""
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    known: bool = False


@dataclass(frozen=True, slots=True)
class LocalTime:
    """The request's time in the tenant's zone: CEL has no time-zone aware accessors."""

    hour: int
    minute: int
    weekday: str
    """`Mon`..`Sun`."""
    date: str
    """`YYYY-MM-DD`."""


@dataclass(frozen=True, slots=True)
class RequestFacts:
    ip: str
    time: LocalTime
    geo: GeoFacts = GeoFacts()
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class Assessments:
    """Whether each assessor found risk (an assessor that could not run counts as risk)."""

    new_device: bool
    impossible_travel: bool
    untrusted_ip: bool


@dataclass(frozen=True, slots=True)
class AssessedRisk:
    """The assessors' results, computed before the decision (policy/risk.py) and handed in."""

    confidence: Confidence
    assessments: Assessments
    codes: Mapping[str, str] = field(default_factory=dict)
    """Assessor name (`NewDevice`, `ImpossibleTravel`, `UntrustedIP`) -> Auth0 code."""


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """Everything a rule may read: the CEL variables `user`, `application`, `organization`,
    `request` and `risk`."""

    user: UserFacts
    application: ApplicationFacts
    request: RequestFacts
    risk: AssessedRisk
    organization: OrganizationFacts = OrganizationFacts()


VARIABLES: tuple[str, ...] = ("user", "application", "organization", "request", "risk")
"""The only identifiers a rule may name (rules.py checks conditions against it)."""


def local_time(at: dt.datetime, zone: str) -> LocalTime:
    """`at` (aware) seen in the IANA `zone`; zoneinfo applies the DST rules of that day."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("local_time needs an aware datetime")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequestError(f"Unknown time zone: {zone[:64]}") from exc
    local = at.astimezone(tz)
    return LocalTime(
        hour=local.hour,
        minute=local.minute,
        weekday=WEEKDAYS[local.weekday()],
        date=local.date().isoformat(),
    )


def activation(context: PolicyContext) -> dict[str, object]:
    """The CEL variables: plain dicts, lists, strings, numbers and bools, built field by field
    so that adding an attribute to a dataclass never exposes it by accident."""
    user, request, risk = context.user, context.request, context.risk
    return {
        "user": {
            "id": user.id,
            "email": user.email,
            "roles": list(user.roles),
            "app_metadata": dict(user.app_metadata),
            "user_metadata": dict(user.user_metadata),
            "enrolled": list(user.enrolled),
        },
        "application": {
            "client_id": context.application.client_id,
            "name": context.application.name,
        },
        "organization": {"id": context.organization.id, "name": context.organization.name},
        "request": {
            "ip": request.ip,
            "geo": {
                "country": request.geo.country,
                "city": request.geo.city,
                "latitude": request.geo.latitude,
                "longitude": request.geo.longitude,
                "known": request.geo.known,
            },
            "time": {
                "hour": request.time.hour,
                "minute": request.time.minute,
                "weekday": request.time.weekday,
                "date": request.time.date,
            },
            "user_agent": request.user_agent,
        },
        "risk": {
            "confidence": risk.confidence.value,
            "assessments": {
                "new_device": risk.assessments.new_device,
                "impossible_travel": risk.assessments.impossible_travel,
                "untrusted_ip": risk.assessments.untrusted_ip,
            },
            "codes": dict(risk.codes),
        },
    }


SCHEMA: Mapping[str, object] = {
    "user": {
        "id": str,
        "email": str,
        "roles": list,
        "app_metadata": dict,
        "user_metadata": dict,
        "enrolled": list,
    },
    "application": {"client_id": str, "name": str},
    "organization": {"id": str, "name": str},
    "request": {
        "ip": str,
        "geo": {"country": str, "city": str, "latitude": float, "longitude": float, "known": bool},
        "time": {"hour": int, "minute": int, "weekday": str, "date": str},
        "user_agent": str,
    },
    "risk": {
        "confidence": str,
        "assessments": {"new_device": bool, "impossible_travel": bool, "untrusted_ip": bool},
        "codes": dict,
    },
}
"""The shape `activation` builds: a nested mapping is a record with fixed fields, `dict` a
free-form map (metadata, codes), any other type a leaf. Rules' field paths are checked
against it when saved."""
