"""A push device's offline TOTP codes (its enrolment seed) are accepted wherever an app's
are: the `mfa-otp` grant and the hosted OTP check, once per time step."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import code, mfa_token, otp_grant
from tests.builders import Client, Person, a_client, a_user
from tests.push.devices import a_key, associate_push, enrol_body, register, uri_query
from twofold.clock import FrozenClock
from twofold.errors import InvalidOtpError
from twofold.flows.hosted_mfa import verify_factor
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import Amr, FactorType

pytestmark = pytest.mark.usefixtures("push_on")


async def _device(client: httpx.AsyncClient, runtime: Runtime) -> tuple[Client, Person, str]:
    """A user whose only factor is a push device; returns its TOTP seed."""
    app, person = await a_client(runtime), await a_user(runtime)
    body = (await associate_push(client, await mfa_token(client, app, person))).json()
    ticket = uri_query(body["barcode_uri"])["enrollment_tx_id"]
    response = await register(client, ticket, enrol_body(a_key()))
    assert response.status_code == 201, response.text
    return app, person, response.json()["totp"]["secret"]


async def test_a_device_code_passes_the_mfa_otp_grant_once(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person, seed = await _device(client, runtime)
    otp = code(seed, clock.now())

    granted = await otp_grant(client, app, await mfa_token(client, app, person), otp)

    assert granted.status_code == 200, granted.text
    assert "access_token" in granted.json()
    again = await otp_grant(client, app, await mfa_token(client, app, person), otp)
    assert again.status_code == 403
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid otp_code."}


async def test_a_pending_device_seed_is_not_accepted(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    """Only registering activates a device: its seed alone (a TOTP app that scanned the
    URI) does not confirm the enrolment."""
    app, person = await a_client(runtime), await a_user(runtime)
    body = (await associate_push(client, await mfa_token(client, app, person))).json()
    seed = uri_query(body["barcode_uri"])["secret"]

    refused = await otp_grant(
        client, app, await mfa_token(client, app, person), code(seed, clock.now())
    )

    assert refused.status_code == 403
    assert refused.json()["error_description"] == "Invalid otp_code."


async def test_a_device_code_passes_the_hosted_otp_check_once(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    _, person, seed = await _device(client, runtime)
    otp = code(seed, clock.now())

    passed = await verify_factor(runtime, person.user_id, FactorType.OTP, otp, RequestInfo())

    assert passed.amr == (Amr.OTP,)
    with pytest.raises(InvalidOtpError):
        await verify_factor(runtime, person.user_id, FactorType.OTP, otp, RequestInfo())
