"""The Management API's door: a client_credentials bearer token, and one scope per endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from twofold.api.deps import RuntimeDep
from twofold.errors import InsufficientScopeError, InvalidTokenError

scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ManagementToken",
    description="A client_credentials access token for audience `<issuer>api/v2/`.",
)
"""Reads `Authorization: Bearer` and declares the scheme in OpenAPI; never answers by itself."""

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)]

MAX_TOKEN = 8192


@dataclass(frozen=True, slots=True)
class Caller:
    """Who called: the token's subject (`<client_id>@clients`) and what it may do."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    claims: Mapping[str, Any]


def require_scope(scope: str) -> Any:
    """A dependency answering the verified caller, or 401 (no or bad token) / 403 (scope).

    Use as `caller: Annotated[Caller, require_scope("read:users")]`.
    """

    async def dependency(credentials: Credentials, rt: RuntimeDep) -> Caller:
        token = credentials.credentials.strip() if credentials else ""
        if not token:
            raise InvalidTokenError("Missing Authorization: Bearer token.")
        if len(token) > MAX_TOKEN:
            raise InvalidTokenError("The access token is too long.")
        claims = rt.signing.verifier.verify(
            token,
            issuer=rt.settings.issuer,
            audience=rt.settings.management_audience,
            now=rt.clock.now(),
        )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if scope not in scopes:
            raise InsufficientScopeError(f"Insufficient scope, expected: {scope}")
        subject = str(claims.get("sub", ""))
        return Caller(
            subject=subject,
            client_id=str(claims.get("azp", subject.removesuffix("@clients"))),
            scopes=scopes,
            claims=claims,
        )

    return Depends(dependency)
