"""The whole Auth0 MFA flow over HTTP: mfa_required, associate, confirm, challenge, recover."""

from __future__ import annotations

import base64
import re

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api.helpers import (
    MFA_RECOVERY,
    PASSWORD_REALM,
    associate,
    code,
    enrolled,
    mfa_token,
    otp_grant,
    password_login,
    secret_of,
)
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime


async def test_password_grant_requires_mfa_with_auth0_body(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    response = await password_login(client, app, person)
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "mfa_required"
    assert body["error_description"] == "Multifactor authentication required"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["mfa_token"])
    assert body["mfa_requirements"] == {"enroll": [{"type": "otp"}]}


async def test_form_body_basic_auth_and_password_realm(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    response = await client.post(
        "/oauth/token",
        headers={"authorization": f"Basic {basic}"},
        data={
            "grant_type": PASSWORD_REALM,
            "realm": "Username-Password-Authentication",
            "username": person.email,
            "password": person.password,
        },
    )
    assert response.status_code == 403
    assert response.json()["error"] == "mfa_required"


async def test_json_null_optional_fields_are_absent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    response = await password_login(client, app, person, audience=None, scope=None)
    assert response.status_code == 403
    assert response.json()["error"] == "mfa_required"


async def test_enrol_confirm_and_tokens_carry_amr(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person, scope="openid profile email")
    enrolment = await associate(client, token)
    assert enrolment.status_code == 200
    body = enrolment.json()
    assert body["authenticator_type"] == "otp"
    assert body["barcode_uri"].startswith("otpauth://totp/Twofold:")
    assert secret_of(body["barcode_uri"]) == body["secret"]
    assert len(body["recovery_codes"]) == 1
    assert re.fullmatch(r"[A-Z0-9]{24}", body["recovery_codes"][0])

    listed = await client.get("/mfa/authenticators", headers={"authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    pending = [a for a in listed.json() if a["authenticator_type"] == "otp"]
    assert pending[0]["active"] is False
    assert pending[0]["id"].startswith("totp|dev_")

    granted = await otp_grant(client, app, token, code(body["secret"], clock.now()))
    assert granted.status_code == 200, granted.text
    tokens = granted.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 86400
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    id_claims = jwt.decode(tokens["id_token"], keys).claims
    access_claims = jwt.decode(tokens["access_token"], keys).claims
    assert id_claims["amr"] == ["pwd", "otp", "mfa"]
    assert id_claims["aud"] == app.client_id
    assert id_claims["email"] == person.email
    assert access_claims["amr"] == ["pwd", "otp", "mfa"]
    assert access_claims["auth_time"] == int(clock.now().timestamp())
    assert access_claims["sub"] == person.user_id


async def test_next_login_challenges_and_rejects_a_replayed_code(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    secret, _ = await enrolled(client, app, person, clock.now())
    assert (await associate(client, await mfa_token(client, app, person))).json() == {
        "error": "access_denied",
        "error_description": "User is already enrolled.",
    }
    clock.advance(30)
    token = await mfa_token(client, app, person)
    challenge = await client.post(
        "/mfa/challenge",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": token,
            "challenge_type": "otp",
        },
    )
    assert challenge.status_code == 200
    assert challenge.json() == {"challenge_type": "otp"}
    current = code(secret, clock.now())
    assert (await otp_grant(client, app, token, current)).status_code == 200
    again = await otp_grant(client, app, await mfa_token(client, app, person), current)
    assert again.status_code == 403
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid otp_code."}


async def test_wrong_otp_then_expired_and_malformed_tokens(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    token = await mfa_token(client, app, person)
    wrong = await otp_grant(client, app, token, "000000")
    assert wrong.status_code == 403
    assert wrong.json()["error_description"] == "Invalid otp_code."
    malformed = await otp_grant(client, app, "not-a-token", "123456")
    assert malformed.status_code == 403
    assert malformed.json() == {
        "error": "invalid_grant",
        "error_description": "Malformed mfa_token",
    }
    clock.advance(601)
    expired = await otp_grant(client, app, token, "123456")
    assert expired.status_code == 403
    assert expired.json() == {"error": "expired_token", "error_description": "mfa_token is expired"}


async def test_challenge_errors(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(client, app, person)
    request = {"client_id": app.client_id, "client_secret": app.client_secret, "mfa_token": token}
    unenrolled = await client.post("/mfa/challenge", json={**request, "challenge_type": "otp"})
    assert unenrolled.status_code == 400
    assert unenrolled.json()["error"] == "association_required"
    await enrolled(client, app, person, clock.now())
    token = await mfa_token(client, app, person)
    request["mfa_token"] = token
    unsupported = await client.post("/mfa/challenge", json={**request, "challenge_type": "oob"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_challenge_type"
    bogus = await client.post(
        "/mfa/challenge", json={**request, "challenge_type": "carrier-pigeon"}
    )
    assert bogus.status_code == 400
    assert bogus.json()["error"] == "unsupported_challenge_type"


async def test_recovery_code_signs_in_and_rotates(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    _, recovery = await enrolled(client, app, person, clock.now())

    async def recover(value: str) -> httpx.Response:
        return await client.post(
            "/oauth/token",
            json={
                "grant_type": MFA_RECOVERY,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "mfa_token": await mfa_token(client, app, person),
                "recovery_code": value,
            },
        )

    first = await recover(recovery.lower())
    assert first.status_code == 200, first.text
    fresh = first.json()["recovery_code"]
    assert re.fullmatch(r"[A-Z0-9]{24}", fresh)
    assert fresh != recovery
    reused = await recover(recovery)
    assert reused.status_code == 403
    assert reused.json()["error"] == "invalid_grant"
    assert (await recover(fresh)).status_code == 200


async def test_list_and_delete_need_the_right_token(
    client: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    token = await mfa_token(
        client,
        app,
        person,
        audience=runtime.settings.mfa_audience,
        scope="enroll read:authenticators remove:authenticators",
    )
    body = (await associate(client, token)).json()
    granted = await otp_grant(client, app, token, code(body["secret"], clock.now()))
    access = granted.json()["access_token"]
    assert granted.json()["expires_in"] == 600
    auth = {"authorization": f"Bearer {access}"}
    listed = (await client.get("/mfa/authenticators", headers=auth)).json()
    otp = next(a for a in listed if a["authenticator_type"] == "otp")
    assert otp["active"] is True
    assert {a["authenticator_type"] for a in listed} == {"otp", "recovery-code"}

    with_mfa_token = await client.delete(
        f"/mfa/authenticators/{otp['id'].replace('|', '%7C')}",
        headers={"authorization": f"Bearer {await mfa_token(client, app, person)}"},
    )
    assert with_mfa_token.status_code == 403
    assert with_mfa_token.json()["error"] == "insufficient_scope"
    deleted = await client.delete(
        f"/mfa/authenticators/{otp['id'].replace('|', '%7C')}", headers=auth
    )
    assert deleted.status_code == 204
    missing = await client.delete(
        f"/mfa/authenticators/{otp['id'].replace('|', '%7C')}", headers=auth
    )
    assert missing.status_code == 404
    no_token = await client.get("/mfa/authenticators")
    assert no_token.status_code == 401
    assert no_token.json()["error"] == "invalid_token"
