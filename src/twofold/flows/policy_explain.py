"""The explain endpoint's use case (ADR 009): a hypothetical login through the real decision.

The facts are given (or read for an existing user) instead of observed at a door, then handed
to the same `policy_check.evaluate` the doors call, so an explanation is what a real login
with those facts is told and audited. Nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field, replace

from twofold.domain import Application, JsonObject, User
from twofold.errors import InvalidRequestError
from twofold.flows.clients import get_application
from twofold.flows.management import get_user, metadata, plain_text, unicode_text
from twofold.flows.policy_check import (
    Device,
    LoginFacts,
    Observed,
    evaluate,
    last_login_of,
    observe,
)
from twofold.flows.runtime import Runtime
from twofold.policy.context import activation
from twofold.policy.geo import Geo
from twofold.policy.risk import LastLogin
from twofold.types import FactorType, UserId

RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
"""RFC 3339 `date-time`: the offset is mandatory (a naive time has no instant)."""
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
"""Times are bounded so the assessors' windows (`now - 30 days`) cannot overflow."""
MADE_UP_USER_ID = UserId("")
"""A made-up user has no id: `user.id` is empty, and no stored history can match it."""


@dataclass(frozen=True, slots=True)
class MadeUpUser:
    """A user who does not exist: only what rules read, and no history (a first login)."""

    email: str = ""
    roles: tuple[str, ...] = ()
    app_metadata: JsonObject = field(default_factory=dict)
    user_metadata: JsonObject = field(default_factory=dict)
    enrolled: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PreviousLogin:
    """A what-if last successful login: where from and when (RFC 3339 with offset)."""

    ip: str
    time: str


@dataclass(frozen=True, slots=True)
class Hypothetical:
    """A login that did not happen. Exactly one of `user_id` (an existing user, with their
    stored history) and `user` (a made-up one). `last_login` and `failed_logins_from_ip`
    replace what the store says, for what-if questions."""

    ip: str
    user_id: str | None = None
    user: MadeUpUser | None = None
    client_id: str | None = None
    time: str | None = None
    user_agent: str | None = None
    device_cookie: str | None = None
    """The raw `twofold_device` cookie a browser holds; hashed as the hosted login does."""
    last_login: PreviousLogin | None = None
    failed_logins_from_ip: int | None = None


def address(ip: str, name: str) -> str:
    """A valid IPv4 or IPv6 address, as given (the doors hand the policy the raw peer). A
    scoped IPv6 address (`fe80::1%eth0`) is refused: its zone is free text no peer sends."""
    try:
        ipaddress.ip_address(ip)
    except ValueError as exc:
        raise InvalidRequestError(f"{name} must be an IPv4 or IPv6 address.") from exc
    if "%" in ip:
        raise InvalidRequestError(f"{name} must be an address without a zone.")
    return ip


def moment(text: str, name: str) -> dt.datetime:
    """An RFC 3339 time with its offset, as aware UTC; a naive time is refused, not guessed."""
    if not RFC3339.fullmatch(text):
        raise InvalidRequestError(f"{name} must be an RFC 3339 time with an offset.")
    try:
        parsed = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequestError(f"{name} must be an RFC 3339 time with an offset.") from exc
    if not EARLIEST <= parsed < LATEST:
        raise InvalidRequestError(f"{name} must be between 1970 and 9000.")
    return parsed.astimezone(dt.UTC)


def made_up(user: MadeUpUser, at: dt.datetime) -> User:
    """A `User` the decision can read, checked as stored users' fields are (plain Unicode
    text, bounded metadata), so a what-if cannot see what no stored user could hold."""
    for role in user.roles:
        plain_text(unicode_text(role, "user.roles"), "user.roles")
    email = plain_text(unicode_text(user.email, "user.email"), "user.email")
    for kind in user.enrolled:
        try:
            FactorType(kind)
        except ValueError as exc:
            raise InvalidRequestError("user.enrolled names an unknown factor type.") from exc
    return User(
        id=MADE_UP_USER_ID,
        email=email,
        name=email,
        password_hash="",
        created_at=at,
        updated_at=at,
        roles=user.roles,
        app_metadata=metadata(user.app_metadata, "user.app_metadata"),
        user_metadata=metadata(user.user_metadata, "user.user_metadata"),
    )


async def _user(rt: Runtime, request: Hypothetical, at: dt.datetime) -> User:
    if (request.user_id is None) == (request.user is None):
        raise InvalidRequestError("Give exactly one of user_id and user.")
    if request.user is not None:
        return made_up(request.user, at)
    return await get_user(rt, request.user_id or "")


def _given_last_login(rt: Runtime, given: PreviousLogin) -> LastLogin:
    """Placed as a real login places it (looked up, kept as JSON on the user, read back), so
    a what-if answers as the stored one would."""
    geo = rt.geo.lookup(address(given.ip, "last_login.ip"))
    placed = Geo.from_json(geo.to_json()) if geo else None
    return LastLogin(geo=placed, at=moment(given.time, "last_login.time"))


def _observed(observed: Observed, request: Hypothetical) -> Observed:
    if request.user is not None:
        enrolled = tuple(sorted(set(request.user.enrolled)))
        observed = replace(observed, enrolled=enrolled, known_devices=())
    if request.failed_logins_from_ip is not None:
        if request.failed_logins_from_ip < 0:
            raise InvalidRequestError("failed_logins_from_ip must not be negative.")
        observed = replace(observed, failed_logins_from_ip=request.failed_logins_from_ip)
    return observed


async def explain(rt: Runtime, request: Hypothetical) -> JsonObject:
    """The decision a login with these facts gets, with the trace, the risk assessment and
    the variables its rules saw. Reads only."""
    ip = address(request.ip, "ip")
    at = rt.clock.now() if request.time is None else moment(request.time, "time")
    user_agent = plain_text(unicode_text(request.user_agent or "", "user_agent"), "user_agent")
    given = _given_last_login(rt, request.last_login) if request.last_login else None
    user = await _user(rt, request, at)
    application: Application | None = None
    if request.client_id is not None:
        application = await get_application(rt, request.client_id)
    stored = None if request.user is not None else last_login_of(user)
    device = Device(cookie=request.device_cookie, user_agent=user_agent)
    async with rt.store.read() as tx:
        observed = await observe(rt, tx, user, ip)
    check = evaluate(
        rt,
        LoginFacts(
            user=user,
            application=application,
            ip=ip,
            user_agent=user_agent,
            at=at,
            device_id_hash=device.id_hash(rt),
            last_login=given or stored,
            observed=_observed(observed, request),
        ),
    )
    return {
        "decision": check.decision_json(),
        "trace": check.decision.trace.as_json(),
        "risk_assessment": check.risk.to_json(),
        "context": activation(check.context),
    }
