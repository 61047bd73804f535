"""Adaptive MFA at the token endpoint (issue 6): the assessors (NewDevice, ImpossibleTravel,
UntrustedIP: deny list and IP velocity) decide over HTTP, from what earlier logins left behind
(the last login's place, the known devices); a risky login of a user with no factor is refused.

The app runs with settings of its own: a deny list, and IP velocity lowered to a few failures
(far below the per-(user, IP) and per-IP brute-force buckets, so those never trip first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import TokenFactory
from tests.api.helpers import password_login
from tests.api.policy import (
    ADAPTIVE,
    ALWAYS,
    CHROME,
    FIREFOX,
    STOCKHOLM,
    TOKYO,
    Caller,
    assert_mfa,
    assert_tokens,
    caller,
    events_of,
    last_decision,
    office_ip,
    pass_otp,
    set_policy,
    with_otp,
)
from tests.builders import Person, a_client, a_user
from twofold.app import build_runtime, close_runtime, create_app
from twofold.cli.setup import prepare
from twofold.clock import FrozenClock
from twofold.config import IpVelocity, Settings
from twofold.domain import JsonObject
from twofold.flows.runtime import Runtime
from twofold.types import UserId

__all__ = ["caller"]
pytestmark = pytest.mark.usefixtures("tenant")
DENIED = "198.51.100.0/24"
VELOCITY = 3
"""Failed logins from one IP, across accounts, that make it untrusted (default 20)."""


@pytest.fixture
async def runtime(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock
) -> AsyncIterator[Runtime]:
    policy = settings.policy.model_copy(
        update={
            "ip_deny_list": [DENIED],
            "ip_velocity": IpVelocity(failures=VELOCITY, window_seconds=600),
        }
    )
    custom = settings.model_copy(update={"policy": policy})
    await prepare(custom, migrate_embedded=False)
    rt = await build_runtime(custom, clock=clock)
    yield rt
    await close_runtime(rt)


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


async def risk_of(runtime: Runtime, person: Person) -> JsonObject:
    """The assessments of the user's latest policy decision, by assessor."""
    assessments: JsonObject = (await last_decision(runtime, person.user_id))["risk_assessment"][
        "assessments"
    ]
    return assessments


async def enrolled_at(
    http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    *,
    runtime: Runtime,
    clock: FrozenClock,
) -> tuple[Person, str]:
    """A user who enrolled OTP (under Always) from `http`'s address and user agent, then the
    tenant switched to Adaptive; returns the user and the OTP secret."""
    await set_policy(client, auth, ALWAYS)
    person = await a_user(runtime)
    secret = await with_otp(http, await a_client(runtime), person, clock)
    await set_policy(client, auth, ADAPTIVE)
    return person, secret


async def test_a_first_login_is_not_asked(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, ADAPTIVE)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_tokens(caller(STOCKHOLM), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["trace"]["decided_by"] == "tenant policy: adaptive"
    assert decided["risk_assessment"]["confidence"] == "high"
    risk = decided["risk_assessment"]["assessments"]
    assert risk["NewDevice"]["code"] == "initial_login"
    assert risk["ImpossibleTravel"]["code"] == "initial_login"
    assert risk["UntrustedIP"]["code"] == "not_found_on_deny_list"
    [success] = await events_of(runtime, person.user_id, "s")
    assert success.details["risk_assessment"] == decided["risk_assessment"]


async def test_a_known_user_agent_family_is_not_asked_and_another_is(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    ip = office_ip()
    person, secret = await enrolled_at(
        caller(ip, CHROME), client, auth, runtime=runtime, clock=clock
    )
    app = await a_client(runtime)
    # another Chrome version on the same system is the same family
    await assert_tokens(caller(ip, CHROME.replace("130.0", "131.0")), app, person)
    assert (await risk_of(runtime, person))["NewDevice"]["code"] == "partial_match"

    token = await assert_mfa(caller(ip, FIREFOX), app, person)
    risk = await risk_of(runtime, person)
    assert risk["NewDevice"]["code"] == "no_match"
    assert risk["NewDevice"]["details"] == {"device": "unknown", "useragent": "unknown"}
    # once Firefox passed MFA, it is a known device too
    assert (await pass_otp(caller(ip, FIREFOX), app, token, secret, clock)).status_code == 200
    await assert_tokens(caller(ip, FIREFOX), app, person)
    await assert_tokens(caller(ip, CHROME), app, person)  # and Chrome still is


async def test_impossible_travel_asks_for_mfa(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    person, secret = await enrolled_at(
        caller(STOCKHOLM), client, auth, runtime=runtime, clock=clock
    )
    app = await a_client(runtime)
    clock.advance(600)
    await assert_tokens(caller(STOCKHOLM), app, person)
    travel = (await risk_of(runtime, person))["ImpossibleTravel"]
    assert travel["code"] == "minimal_travel_from_last_login"

    clock.advance(600)  # ten minutes later, 8,000 km east
    token = await assert_mfa(caller(TOKYO), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["decision"]["outcome"] == "mfa"
    assert decided["risk_assessment"]["confidence"] == "low"
    travel = decided["risk_assessment"]["assessments"]["ImpossibleTravel"]
    assert travel["code"] == "impossible_travel_from_last_login"
    assert travel["details"]["location"]["country"] == "JP"
    assert travel["details"]["last_location"]["city"] == "Stockholm"
    assert travel["details"]["speed_kmh"] > 900

    # the MFA passed from Tokyo moves the last login there
    assert (await pass_otp(caller(TOKYO), app, token, secret, clock)).status_code == 200
    await assert_tokens(caller(TOKYO), app, person)
    travel = (await risk_of(runtime, person))["ImpossibleTravel"]
    assert travel["code"] == "minimal_travel_from_last_login"
    assert travel["details"]["last_location"]["country"] == "JP"


async def test_after_mfa_the_next_login_sees_the_place_and_the_device(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    """Under Always too: the OTP grant records where and on what the user signed in."""
    person, _ = await enrolled_at(caller(STOCKHOLM), client, auth, runtime=runtime, clock=clock)
    await set_policy(client, auth, ALWAYS)
    await assert_mfa(caller(STOCKHOLM), await a_client(runtime), person)
    risk = await risk_of(runtime, person)
    assert risk["NewDevice"]["code"] == "partial_match"
    assert risk["NewDevice"]["details"] == {"device": "unknown", "useragent": "known"}
    assert risk["ImpossibleTravel"]["code"] == "minimal_travel_from_last_login"
    async with runtime.store.read() as tx:
        user = await tx.users.get(person.user_id)
        devices = await tx.known_devices.for_user(
            UserId(person.user_id), since=clock.now() - dt.timedelta(days=1)
        )
    assert user is not None
    assert user.last_login_geo is not None
    assert user.last_login_geo["city"] == "Stockholm"
    assert [device.ua_family for device in devices] == ["Chrome on Linux"]


async def test_an_ip_on_the_deny_list_is_asked(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    ip = office_ip()
    person, _ = await enrolled_at(caller(ip), client, auth, runtime=runtime, clock=clock)
    app = await a_client(runtime)
    await assert_tokens(caller(ip), app, person)
    await assert_mfa(caller("198.51.100.77"), app, person)
    untrusted = (await risk_of(runtime, person))["UntrustedIP"]
    assert untrusted["code"] == "found_on_deny_list"
    assert untrusted["details"] == {
        "ip": "198.51.100.77",
        "source": "deny_list",
        "matches": DENIED,
    }
    await assert_mfa(caller("::ffff:198.51.100.78"), app, person)
    untrusted = (await risk_of(runtime, person))["UntrustedIP"]
    assert untrusted["details"]["matches"] == DENIED
    await assert_tokens(caller("198.51.101.77"), app, person)


async def test_failed_logins_across_accounts_make_an_ip_untrusted(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    home, attacker = office_ip(), office_ip()
    person, _ = await enrolled_at(caller(home), client, auth, runtime=runtime, clock=clock)
    app = await a_client(runtime)
    guessing = caller(attacker)
    # one wrong password for each of several accounts: no (user, IP) bucket comes near full
    victims = [await a_user(runtime) for _ in range(VELOCITY)]
    for victim in victims[:-1]:
        wrong = await password_login(guessing, app, Person(victim.user_id, victim.email, "nope"))
        assert wrong.status_code == 403
        assert wrong.json()["error"] == "invalid_grant"
    await assert_tokens(guessing, app, person)  # one failure short of the threshold
    last = victims[-1]
    wrong = await password_login(guessing, app, Person(last.user_id, last.email, "nope"))
    assert wrong.json()["error"] == "invalid_grant"

    await assert_mfa(guessing, app, person)
    untrusted = (await risk_of(runtime, person))["UntrustedIP"]
    assert untrusted["code"] == "found_on_deny_list"
    assert untrusted["details"] == {
        "ip": attacker,
        "source": "velocity",
        "failed_logins": VELOCITY,
    }
    await assert_tokens(caller(home), app, person)
    # the window passes: the address is trusted again
    clock.advance(601)
    await assert_tokens(guessing, app, person)


async def test_a_risky_login_without_a_factor_is_refused(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    """The API cannot verify the account's email (the hosted pages do), and enrolling a factor
    now would let whoever holds the password enrol theirs."""
    await set_policy(client, auth, ADAPTIVE)
    app, person = await a_client(runtime), await a_user(runtime)
    ip = office_ip()
    await assert_tokens(caller(ip, CHROME), app, person)
    refused = await password_login(caller(ip, FIREFOX), app, person)
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    assert "hosted login page" in refused.json()["error_description"]
    decided = await last_decision(runtime, person.user_id)
    assert decided["decision"]["outcome"] == "mfa"
    assert decided["risk_assessment"]["assessments"]["NewDevice"]["code"] == "no_match"
    assert await events_of(runtime, person.user_id, "mfar") == []
    assert len(await events_of(runtime, person.user_id, "s")) == 1
