"""Two real server processes on one database: single use and lockouts hold across nodes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.api.helpers import MFA_OTP, secret_of
from tests.builders import a_client, a_user
from tests.cluster.conftest import Node
from twofold.clock import SystemClock
from twofold.factors.otp import totp_now
from twofold.flows.runtime import Runtime


def _mfa_token(base: str, client_id: str, secret: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base}/oauth/token",
        json={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": secret,
            "username": email,
            "password": password,
        },
    )
    assert response.status_code == 403, response.text
    token: str = response.json()["mfa_token"]
    return token


def _otp(base: str, client_id: str, secret: str, token: str, otp: str) -> httpx.Response:
    return httpx.post(
        f"{base}/oauth/token",
        data={
            "grant_type": MFA_OTP,
            "client_id": client_id,
            "client_secret": secret,
            "mfa_token": token,
            "otp": otp,
        },
    )


@pytest.mark.cluster
@pytest.mark.parametrize("limiter", ["sql", pytest.param("redis", marks=pytest.mark.redis)])
async def test_codes_and_lockouts_hold_across_two_nodes(
    node: Node, runtime: Runtime, redis_url: str, limiter: str
) -> None:
    redis = redis_url if limiter == "redis" else None
    a, b = (
        await asyncio.to_thread(node, redis_url=redis),
        await asyncio.to_thread(node, redis_url=redis),
    )
    app, person = await a_client(runtime), await a_user(runtime)
    await asyncio.to_thread(
        _scenario,
        a,
        b,
        cid=app.client_id,
        csecret=app.client_secret,
        email=person.email,
        password=person.password,
    )


def _scenario(a: str, b: str, *, cid: str, csecret: str, email: str, password: str) -> None:
    def login(base: str) -> str:
        return _mfa_token(base, cid, csecret, email, password)

    token = login(a)
    enrolment = httpx.post(
        f"{a}/mfa/associate",
        headers={"authorization": f"Bearer {token}"},
        json={"authenticator_types": ["otp"]},
    ).json()
    code = totp_now(secret_of(enrolment["barcode_uri"]), now=SystemClock().now())
    assert _otp(b, cid, csecret, token, code).status_code == 200

    # The same code, accepted by node B, is refused by node A (and by B itself).
    for base in (a, b):
        replay = _otp(base, cid, csecret, login(base), code)
        assert replay.status_code == 403
        assert replay.json()["error_description"] == "Invalid otp_code."

    # Those two failures and eight more, spread over both nodes, lock the user out on both.
    for attempt in range(8):
        base = a if attempt % 2 else b
        assert _otp(base, cid, csecret, login(base), "000000").status_code == 403
    for base in (a, b):
        locked = _otp(base, cid, csecret, login(base), "123456")
        assert locked.status_code == 429
        assert locked.json()["error"] == "too_many_attempts"
