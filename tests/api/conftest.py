"""An app wired to the leg's database, a movable clock and an HTTP client over ASGI; a
machine-to-machine client and Management API tokens obtained over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.builders import Client, a_client, an_ip
from twofold.app import build_runtime, close_runtime, create_app
from twofold.cli.setup import prepare
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.factors.registry import FACTOR_NAMES
from twofold.flows.runtime import Runtime
from twofold.flows.tenant import DEFAULT_FACTORS, current_policies
from twofold.flows.webauthn_settings import settings_key
from twofold.flows.webauthn_state import WEBAUTHN_TYPES
from twofold.policy.engine import POLICY_KEY

TokenFactory = Callable[..., Awaitable[dict[str, str]]]
WEBAUTHN_SETTINGS = tuple(settings_key(factor) for factor in WEBAUTHN_TYPES)
"""The WebAuthn factors' settings overrides (`tenant` puts them back too)."""


@pytest.fixture
async def runtime(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock
) -> AsyncIterator[Runtime]:
    await prepare(settings, migrate_embedded=False)
    rt = await build_runtime(settings, clock=clock)
    yield rt
    await close_runtime(rt)


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> FastAPI:
    return create_app(settings, runtime=runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield http


@pytest.fixture
async def machine(runtime: Runtime) -> Client:
    return await a_client(runtime, management=True)


@pytest.fixture
def auth(client: httpx.AsyncClient, machine: Client) -> TokenFactory:
    """`await auth("read:users")`: headers with a client_credentials token for those scopes
    (every Management API scope when none is named)."""

    async def headers(*scopes: str) -> dict[str, str]:
        body: dict[str, str] = {
            "grant_type": "client_credentials",
            "client_id": machine.client_id,
            "client_secret": machine.client_secret,
        }
        if scopes:
            body["scope"] = " ".join(scopes)
        response = await client.post("/oauth/token", data=body)
        assert response.status_code == 200, response.text
        return {"authorization": f"Bearer {response.json()['access_token']}"}

    return headers


@pytest.fixture
async def tenant(runtime: Runtime) -> AsyncIterator[None]:
    """Tenant settings are shared by every test of the session: put them back afterwards,
    and remove the policy rules a test created."""
    async with runtime.store.read() as tx:
        policies = list(await current_policies(tx, runtime.settings.policy))
        factors = await tx.tenant.factor_overrides()
        overrides = {key: await tx.tenant.get(key) for key in WEBAUTHN_SETTINGS}
    yield
    async with runtime.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, policies)
        for key, override in overrides.items():
            await tx.tenant.put(key, override or {})
        for name in FACTOR_NAMES:
            await tx.tenant.set_factor(
                name, enabled=factors.get(name, DEFAULT_FACTORS.get(name, False))
            )
        # no policy rule outlives the test that created it (the default tenant has none)
        for rule in await tx.policy_rules.in_order():
            await tx.policy_rules.delete(rule.id)
