"""Enrolling again with an access token, pending enrolments in the list, the QR endpoint."""

from __future__ import annotations

import httpx

from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime


async def _enrol_scoped_access_token(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> tuple[str, str, str]:
    """A user with one confirmed OTP; returns (access token with `enroll`, secret, client)."""
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client,
        app,
        person,
        audience=runtime.settings.mfa_audience,
        scope="enroll read:authenticators remove:authenticators",
    )
    first = (await associate(client, token)).json()
    granted = await otp_grant(client, app, token, code(first["secret"], clock.now()))
    assert granted.status_code == 200, granted.text
    return granted.json()["access_token"], first["secret"], app.client_id


async def test_a_second_enrolment_needs_the_enroll_scope_and_gets_no_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    access, _, _ = await _enrol_scoped_access_token(client, runtime, clock)
    second = await associate(client, access)
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["authenticator_type"] == "otp"
    assert "recovery_codes" not in body
    assert body["barcode_uri"].startswith("otpauth://totp/")

    listed = (
        await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {access}"})
    ).json()
    by_id = {item["id"]: item for item in listed}
    assert by_id[body["id"]]["active"] is False
    assert sum(1 for item in listed if item["active"] and item["authenticator_type"] == "otp") == 1


async def test_an_access_token_without_enroll_cannot_associate(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="read:authenticators"
    )
    first = (await associate(client, token)).json()
    granted = await otp_grant(client, app, token, code(first["secret"], clock.now()))
    refused = await associate(client, granted.json()["access_token"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "insufficient_scope"


async def test_a_further_enrolment_is_confirmed_by_its_first_code_at_the_next_login(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client, app, person, audience=runtime.settings.mfa_audience, scope="enroll"
    )
    first = (await associate(client, token)).json()
    access = (await otp_grant(client, app, token, code(first["secret"], clock.now()))).json()
    second = (await associate(client, access["access_token"])).json()

    clock.advance(30)
    login = await mfa_token(client, app, person)
    confirmed = await otp_grant(client, app, login, code(second["secret"], clock.now()))
    assert confirmed.status_code == 200, confirmed.text
    async with runtime.store.read() as tx:
        items = await tx.authenticators.for_user(person.user_id)
    assert {item.id: item.status.value for item in items}[second["id"]] == "active"
    assert sorted(item.type.value for item in items if item.status.value == "active") == [
        "otp",
        "otp",
        "recovery-code",
    ]


async def test_barcode_renders_svg_and_png_for_a_bearer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    uri = (await associate(client, token)).json()["barcode_uri"]
    auth = {"authorization": f"Bearer {token}"}
    svg = await client.post("/mfa/barcode", headers=auth, json={"barcode_uri": uri})
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    png = await client.post(
        "/mfa/barcode", headers=auth, json={"barcode_uri": uri, "format": "png"}
    )
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    anonymous = await client.post("/mfa/barcode", json={"barcode_uri": uri})
    assert anonymous.status_code == 401
    not_otpauth = await client.post(
        "/mfa/barcode", headers=auth, json={"barcode_uri": "https://evil.example/"}
    )
    assert not_otpauth.status_code == 400
    assert not_otpauth.json()["error"] == "invalid_request"
