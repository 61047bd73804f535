"""The sign-in policy over HTTP (ADR 009): callers at chosen addresses and user agents, the
tenant policy and rules set through the Management API, and the policy's audit events."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.conftest import TokenFactory
from tests.api.helpers import code, enrolled, mfa_token, otp_grant, password_login
from tests.builders import Client, Person, an_ip
from twofold.clock import FrozenClock
from twofold.domain import AuditRecord, JsonObject
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

RULES = "/api/v2/mfa/policy/rules"
NEVER: list[str] = []
ALWAYS = ["all-applications"]
ADAPTIVE = ["confidence-score"]
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
STOCKHOLM = "89.160.20.112"
"""Placed in Stockholm (59.33, 18.05) by the packaged GeoLite2 snapshot."""
TOKYO = "133.242.0.3"
"""Placed in Tokyo (35.69, 139.69) by the packaged GeoLite2 snapshot: ~8,200 km away."""

Caller = Callable[..., httpx.AsyncClient]


def office_ip() -> str:
    """A fresh address in 10.0.0.0/8: per-IP attempt buckets never carry over between tests
    (each test's frozen clock starts at the same instant again)."""
    return an_ip()


def home_ip() -> str:
    """A fresh address in 192.168.0.0/16, outside the office range."""
    return "192.168.{}.{}".format(*secrets.token_bytes(2))


def lab_ip(subnet: str = "aa") -> str:
    """A fresh address in 2001:db8:<subnet>::/48."""
    return f"2001:db8:{subnet}::{secrets.token_hex(2)}"


@pytest.fixture
async def caller(app: FastAPI) -> AsyncIterator[Caller]:
    """`caller(ip, user_agent)`: a client whose requests come from `ip` with that user agent
    (the API reads both from the connection and the header, as a real server would)."""
    opened: list[httpx.AsyncClient] = []

    def make(ip: str, user_agent: str = CHROME) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        http = httpx.AsyncClient(
            transport=transport,
            base_url="http://twofold.test",
            headers={"user-agent": user_agent},
        )
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


async def set_policy(http: httpx.AsyncClient, auth: TokenFactory, policies: list[str]) -> None:
    response = await http.put(
        "/api/v2/guardian/policies", json=policies, headers=await auth("update:mfa_policies")
    )
    assert response.status_code == 200, response.text
    assert response.json() == policies


async def add_rule(
    http: httpx.AsyncClient,
    auth: TokenFactory,
    *,
    name: str,
    condition: str,
    action: JsonObject,
    enabled: bool = True,
) -> str:
    """A rule appended after the others, as an operator would; returns its id."""
    body: dict[str, Any] = {
        "name": name,
        "condition": condition,
        "action": action,
        "enabled": enabled,
    }
    response = await http.post(RULES, json=body, headers=await auth("update:mfa_policies"))
    assert response.status_code == 201, response.text
    rule_id: str = response.json()["id"]
    return rule_id


async def events_of(rt: Runtime, user_id: str, kind: str) -> list[AuditRecord]:
    """The user's audit events of one type, oldest first."""
    async with rt.store.read() as tx:
        page = await audit_repo.search(
            tx.conn, user_id=user_id, type=kind, per_page=100, ascending=True
        )
    return list(page.items)


async def last_decision(rt: Runtime, user_id: str) -> JsonObject:
    """The details of the user's latest `tf_policy` event (door, decision, trace, risk)."""
    decided = await events_of(rt, user_id, "tf_policy")
    assert decided, "no policy decision was audited"
    return decided[-1].details


async def assert_tokens(http: httpx.AsyncClient, app: Client, person: Person) -> None:
    response = await password_login(http, app, person)
    assert response.status_code == 200, response.text
    assert "access_token" in response.json()


async def assert_mfa(http: httpx.AsyncClient, app: Client, person: Person) -> str:
    """The login ends in `mfa_required`; returns its `mfa_token`."""
    return await mfa_token(http, app, person)


async def with_otp(http: httpx.AsyncClient, app: Client, person: Person, clock: FrozenClock) -> str:
    """Enrol OTP for `person` (the tenant policy must ask for MFA); returns the secret. The
    confirming OTP grant is a successful login from `http`'s address and user agent."""
    secret, _ = await enrolled(http, app, person, clock.now())
    clock.advance(30)  # the next code is another TOTP step
    return secret


async def pass_otp(
    http: httpx.AsyncClient, app: Client, token: str, secret: str, clock: FrozenClock
) -> httpx.Response:
    response = await otp_grant(http, app, token, code(secret, clock.now()))
    clock.advance(30)
    return response
