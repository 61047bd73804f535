"""Building blocks for push tests: associating, registering a device by hand (the refusal
tests need malformed requests the SDK never sends), and signing device JWTs."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from twofold.flows.runtime import Runtime

ASSOCIATE_PUSH = {"authenticator_types": ["oob"], "oob_channels": ["auth0"]}


async def enable_push(rt: Runtime, *, enabled: bool) -> None:
    async with rt.store.transaction() as tx:
        await tx.tenant.set_factor("push-notification", enabled=enabled)


async def associate_push(http: httpx.AsyncClient, bearer: str) -> httpx.Response:
    return await http.post(
        "/mfa/associate", headers={"authorization": f"Bearer {bearer}"}, json=ASSOCIATE_PUSH
    )


def uri_query(barcode_uri: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(barcode_uri).query).items()}


def a_key() -> ECKey:
    return ECKey.generate_key("P-256")


def public(key: ECKey) -> dict[str, Any]:
    return dict(key.as_dict(private=False))


def enrol_body(key: ECKey, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": secrets.token_hex(8),
        "name": "Test phone",
        "public_key": public(key),
        "push": {"provider": "stream", "token": ""},
    }
    return body | changes


async def register(
    http: httpx.AsyncClient, ticket: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await http.post(
        "/api/device/enroll",
        json=body,
        headers={"authorization": f'Ticket id="{ticket}"', **headers},
    )


def device_jwt(
    key: ECKey,
    device_id: str,
    *,
    now: dt.datetime,
    audience: str,
    alg: str = "ES256",
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A device JWT as the protocol wants it; keyword arguments replace claims (None drops)."""
    issued = int(now.timestamp())
    body: dict[str, Any] = {
        "iss": device_id,
        "sub": device_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + 60,
        "jti": secrets.token_urlsafe(12),
    }
    body |= claims
    body = {name: value for name, value in body.items() if value is not None}
    return jwt.encode({"alg": alg, **(header or {})}, body, key, [alg])


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
