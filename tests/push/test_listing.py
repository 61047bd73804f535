"""A push device among the user's authenticators, in Auth0's shapes: listed by
`/mfa/authenticators` (`oob`, channel `auth0`, `push|dev_…`), offered by `mfa_requirements`
as `push-notification`, and removed with `remove:authenticators`, after which the device
itself is refused."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import password_login
from tests.push.pushes import challenge, enrolled, poll, push_id_of
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.sdk.authenticator import approve, details, device_token

pytestmark = pytest.mark.usefixtures("push_on")

SCOPES = "read:authenticators remove:authenticators"


async def test_a_push_device_is_listed_offered_and_removed(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    device = await enrolled(client, runtime, clock)
    login = await password_login(
        client,
        device.app,
        device.person,
        audience=runtime.settings.mfa_audience,
        scope=SCOPES,
    )
    assert login.status_code == 403
    offered = login.json()["mfa_requirements"]["challenge"]
    assert {"type": "push-notification"} in offered
    token = login.json()["mfa_token"]

    sent = await challenge(client, device.app, token)
    assert sent.status_code == 200, sent.text
    txn = await push_id_of(runtime, sent.json()["oob_code"])
    number = int(sent.json()["number"])
    assert number in (await details(device.account, txn, http=client, now=clock.now())).choices
    await approve(device.account, txn, number, http=client, now=clock.now())
    granted = await poll(client, device.app, token, sent.json()["oob_code"])
    assert granted.status_code == 200, granted.text
    access = {"authorization": f"Bearer {granted.json()['access_token']}"}

    listed = (await client.get("/mfa/authenticators", headers=access)).json()
    [push] = [item for item in listed if item.get("oob_channel") == "auth0"]
    assert push["id"].startswith("push|dev_")
    assert push["id"] == device.account.device_id
    assert (push["authenticator_type"], push["active"], push["name"]) == (
        "oob",
        True,
        "Test phone",
    )

    path = "/mfa/authenticators/" + push["id"].replace("|", "%7C")
    assert (await client.delete(path, headers=access)).status_code == 204
    me = await client.get(
        "/api/device/me",
        headers={"authorization": f"Bearer {device_token(device.account, now=clock.now())}"},
    )
    assert me.status_code == 401
