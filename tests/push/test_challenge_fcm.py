"""A push to a device enrolled with an FCM token, through the FCM sender and a loopback FCM:
delivered, then refused as UNREGISTERED, which marks the device unreachable (503)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import mfa_token
from tests.api.oob import audit_of
from tests.builders import a_client, a_user, an_ip
from tests.fakes.fcm import FakeFcm, fake_fcm
from tests.push.devices import associate_push, enable_push
from tests.push.pushes import Enrolled, challenge, challenged, poll, push_id_of
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import ChannelSettings, Settings
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import PushAddress, enrol

TOKEN = "fcm-registration-token-" + "y" * 120


@pytest.fixture
def fcm(clock: FrozenClock) -> Iterator[FakeFcm]:
    with fake_fcm(clock) as fake:
        yield fake


@pytest.fixture
async def fcm_runtime(
    settings: Settings,
    tenant: None,  # a prepared database; the tenant's factors are put back afterwards
    clock: FrozenClock,
    fcm: FakeFcm,
    tmp_path: Path,
) -> AsyncIterator[Runtime]:
    push = {
        "fcm": {"service_account_file": fcm.write_service_account(tmp_path), "base_url": fcm.url}
    }
    configured = settings.model_copy(
        update={"channels": ChannelSettings.model_validate({"push": push})}
    )
    rt = await build_runtime(configured, clock=clock)
    await enable_push(rt, enabled=True)
    yield rt
    await close_runtime(rt)


@pytest.fixture
async def fcm_client(fcm_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(fcm_runtime.settings, runtime=fcm_runtime)
    transport = httpx.ASGITransport(app=app, client=(an_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield http


async def _fcm_device(http: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock) -> Enrolled:
    person, app = await a_user(runtime), await a_client(runtime)
    token = await mfa_token(http, app, person)
    body = (await associate_push(http, token)).json()
    account = await enrol(
        body["barcode_uri"],
        name="Android",
        push=PushAddress("fcm", TOKEN),
        http=http,
        now=clock.now(),
    )
    assert (await poll(http, app, token, body["oob_code"])).status_code == 200
    return Enrolled(person, app, account)


async def test_a_push_goes_through_fcm_and_a_dead_token_marks_the_device_unreachable(
    fcm_client: httpx.AsyncClient, fcm_runtime: Runtime, clock: FrozenClock, fcm: FakeFcm
) -> None:
    device = await _fcm_device(fcm_client, fcm_runtime, clock)

    _, body = await challenged(fcm_client, device)

    txn = await push_id_of(fcm_runtime, body["oob_code"])
    assert [m["data"] for m in fcm.messages] == [
        {"txn": txn, "base_url": fcm_runtime.settings.issuer}
    ]
    fcm.unregistered.add(TOKEN)
    token = await mfa_token(fcm_client, device.app, device.person)

    failed = await challenge(fcm_client, device.app, token)

    assert failed.status_code == 503
    assert failed.json() == {
        "error": "delivery_failed",
        "error_description": "The push notification could not be delivered. Try again in a moment.",
    }
    async with fcm_runtime.store.read() as tx:
        stored = await tx.push_devices.get(device.account.device_id)
    assert stored is not None
    assert stored.params["unreachable"] is True
    failures = await audit_of(fcm_runtime, device.person.user_id, "gd_send_pn_failure")
    assert [
        (e.details["reason"], e.details["provider"], e.details["status"]) for e in failures
    ] == [("unreachable", "fcm", 404)]
    sent = await audit_of(fcm_runtime, device.person.user_id, "gd_send_pn")
    assert [e.details["provider"] for e in sent] == ["fcm"]
