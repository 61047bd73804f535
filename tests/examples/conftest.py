"""The example app wired to the real Twofold app in process: its JWK Set and token endpoint
answer over ASGI, and the example is registered there as a regular web application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from examples.stepup_app import AppSettings, create_app
from fastapi import FastAPI

from tests.api.conftest import app, runtime
from tests.builders import an_ip
from twofold.clock import FrozenClock
from twofold.flows.clients import create_application
from twofold.flows.runtime import Runtime

__all__ = ["app", "runtime"]

BASE_URL = "http://localhost:5001"
"""Twofold accepts plain-http callbacks only on loopback names."""


@pytest.fixture
async def site_settings(runtime: Runtime) -> AppSettings:
    new = await create_application(
        runtime,
        name="step-up example",
        callbacks=[f"{BASE_URL}/callback"],
        allowed_logout_urls=[f"{BASE_URL}/"],
    )
    return AppSettings(
        issuer=runtime.settings.issuer,
        client_id=new.application.client_id,
        client_secret=new.client_secret or "",
        base_url=BASE_URL,
        step_up_max_age=300,
    )


@pytest.fixture
async def site(
    app: FastAPI, site_settings: AppSettings, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    # Its own address: the token endpoint's per-IP bucket is shared by every test on 127.0.0.1.
    twofold_transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=twofold_transport) as twofold:
        example = create_app(site_settings, http=twofold, clock=lambda: clock.now().timestamp())
        transport = httpx.ASGITransport(app=example)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http
