"""A tiny resource server guarded by `TwofoldAuth`, whose JWK Set comes from the real Twofold
app (in process, over ASGI), and tokens signed by that app's signing key.

No `from __future__ import annotations` here: the routes' `Annotated` aliases are local to
`resource_server`, and FastAPI must see them as objects, not as names to look up globally.
"""

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from tests.api.conftest import app, runtime
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.sdk import MULTI_FACTOR_ACR, TokenClaims, TwofoldAuth

__all__ = ["app", "runtime"]

API = "https://api.example.test/"


@dataclass
class Api:
    """The resource server under test and what it takes to call it."""

    http: httpx.AsyncClient
    auth: TwofoldAuth
    jwks_fetches: list[httpx.Request]


def b64url(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(settings: Settings, clock: FrozenClock, **changes: Any) -> dict[str, Any]:
    """Access-token claims as `flows.tokens.mint` writes them after an MFA login, just now."""
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "sub": "auth0|user-1",
        "aud": API,
        "iat": now,
        "exp": now + 3600,
        "azp": "client-1",
        "scope": "openid read:reports",
        "amr": ["pwd", "mfa", "otp"],
        "auth_time": now,
        "acr": MULTI_FACTOR_ACR,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def resource_server(auth: TwofoldAuth) -> FastAPI:
    api = FastAPI()
    auth.install(api)
    Signed = Annotated[TokenClaims, Depends(auth.require())]  # noqa: N806 - type aliases
    Mfa = Annotated[TokenClaims, Depends(auth.require(mfa=True))]  # noqa: N806
    Fresh = Annotated[TokenClaims, Depends(auth.require(max_age=300))]  # noqa: N806
    Both = Annotated[TokenClaims, Depends(auth.require(mfa=True, max_age=300))]  # noqa: N806
    Reports = Annotated[TokenClaims, Depends(auth.require(scopes=("read:reports", "write:x")))]  # noqa: N806

    def body(claims: TokenClaims) -> dict[str, Any]:
        return {"sub": claims.sub, "scopes": sorted(claims.scopes), "amr": list(claims.amr)}

    @api.get("/me")
    async def me(claims: Signed) -> dict[str, Any]:
        return body(claims)

    @api.get("/mfa")
    async def mfa(claims: Mfa) -> dict[str, Any]:
        return body(claims)

    @api.get("/fresh")
    async def fresh(claims: Fresh) -> dict[str, Any]:
        return body(claims)

    @api.get("/both")
    async def both(claims: Both) -> dict[str, Any]:
        return body(claims)

    @api.get("/reports")
    async def reports(claims: Reports) -> dict[str, Any]:
        return body(claims)

    return api


@pytest.fixture
async def resource(
    app: FastAPI, runtime: Runtime, settings: Settings, clock: FrozenClock
) -> AsyncIterator[Api]:
    fetches: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        fetches.append(request)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), event_hooks={"request": [record]}
    ) as twofold:
        auth = TwofoldAuth(
            issuer=settings.issuer,
            audience=API,
            http=twofold,
            clock=lambda: clock.now().timestamp(),
        )
        transport = httpx.ASGITransport(app=resource_server(auth))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            yield Api(http=http, auth=auth, jwks_fetches=fetches)
