"""`/api/v2/user-blocks/{id}`: first-factor brute-force blocks, listed and lifted."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from tests.api.helpers import password_login
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user, an_ip
from twofold.flows.runtime import Runtime


async def test_block_is_listed_then_lifted(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, app: FastAPI
) -> None:
    ip = an_ip()
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as user_side:
        await _block_then_lift(client, user_side, ip, auth, runtime)


async def _block_then_lift(
    client: httpx.AsyncClient,
    user_side: httpx.AsyncClient,
    ip: str,
    auth: TokenFactory,
    runtime: Runtime,
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    path = f"/api/v2/user-blocks/{quote(person.user_id, safe='')}"
    reader = await auth("read:users")
    assert (await client.get(path, headers=reader)).json() == {"blocked_for": []}

    wrong = replace(person, password="not the password")
    for _ in range(runtime.settings.limits.first_factor_failures.burst):
        assert (await password_login(user_side, app, wrong)).status_code == 403
    blocked = await password_login(user_side, app, person)
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "too_many_attempts"

    listed = await client.get(path, headers=reader)
    assert listed.status_code == 200
    assert listed.json() == {"blocked_for": [{"identifier": person.email, "ip": ip}]}

    lifted = await client.delete(path, headers=await auth("update:users"))
    assert lifted.status_code == 204
    assert (await client.get(path, headers=reader)).json() == {"blocked_for": []}
    after = await password_login(user_side, app, person)
    assert after.status_code == 403
    assert after.json()["error"] == "mfa_required"


async def test_unknown_user_is_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    path = "/api/v2/user-blocks/auth0%7C000000000000000000000000"
    got = await client.get(path, headers=await auth("read:users"))
    assert got.status_code == 404
    assert got.json()["error"] == "not_found"
    deleted = await client.delete(path, headers=await auth("update:users"))
    assert deleted.status_code == 404
    assert deleted.json()["error"] == "not_found"
