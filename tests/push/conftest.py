"""Push tests run against the real app over ASGI (tests/api's fixtures), with the
`push-notification` factor switched on unless a test says otherwise."""

from __future__ import annotations

import pytest

from tests.api.conftest import app, auth, client, machine, runtime, tenant
from tests.push.devices import enable_push
from twofold.flows.runtime import Runtime

__all__ = ["app", "auth", "client", "machine", "runtime", "tenant"]


@pytest.fixture
async def push_on(runtime: Runtime, tenant: None) -> None:
    """Push on for this test; `tenant` puts the factor settings back afterwards."""
    del tenant
    await enable_push(runtime, enabled=True)
