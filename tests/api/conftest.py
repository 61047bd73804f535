"""An app wired to the leg's database, a movable clock and an HTTP client over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.builders import an_ip
from twofold.app import build_runtime, close_runtime, create_app
from twofold.cli.setup import prepare
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime


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
