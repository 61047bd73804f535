"""HTTP steps of the Auth0 MFA flow, shared by the API tests."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from tests.builders import Client, Person
from twofold.factors.otp import totp_now

MFA_OTP = "http://auth0.com/oauth/grant-type/mfa-otp"
MFA_RECOVERY = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"


async def password_login(
    http: httpx.AsyncClient, client: Client, person: Person, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "username": person.email,
            "password": person.password,
            **extra,
        },
    )


async def mfa_token(http: httpx.AsyncClient, client: Client, person: Person, **extra: Any) -> str:
    response = await password_login(http, client, person, **extra)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "mfa_required"
    token: str = response.json()["mfa_token"]
    return token


async def associate(http: httpx.AsyncClient, bearer: str) -> httpx.Response:
    return await http.post(
        "/mfa/associate",
        headers={"authorization": f"Bearer {bearer}"},
        json={"authenticator_types": ["otp"]},
    )


def secret_of(barcode_uri: str) -> str:
    return parse_qs(urlparse(barcode_uri).query)["secret"][0]


async def otp_grant(
    http: httpx.AsyncClient, client: Client, token: str, otp: str
) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": MFA_OTP,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "mfa_token": token,
            "otp": otp,
        },
    )


def code(secret: str, now: dt.datetime) -> str:
    return totp_now(secret, now=now)


async def enrolled(
    http: httpx.AsyncClient, client: Client, person: Person, now: dt.datetime
) -> tuple[str, str]:
    """Enrol an OTP authenticator for `person`; returns (otp secret, recovery code)."""
    token = await mfa_token(http, client, person)
    body = (await associate(http, token)).json()
    confirm = await otp_grant(http, client, token, code(body["secret"], now))
    assert confirm.status_code == 200, confirm.text
    return body["secret"], body["recovery_codes"][0]
