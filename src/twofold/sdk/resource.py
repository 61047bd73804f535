"""Protecting an API with Twofold access tokens: a FastAPI dependency for resource servers.

    twofold = TwofoldAuth(issuer="https://mfa.example.com/", audience="https://api.example.com/")
    twofold.install(app)
    Claims = Annotated[TokenClaims, Depends(twofold.require(mfa=True, max_age=300))]

Checks the signature against the issuer's JWK Set, then `iss`, `aud`, `exp`, and what the route
demands: scopes (RFC 6750), multi-factor authentication and its recency (RFC 9470).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from joserfc import jws, jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwt import JWTClaimsRegistry

from twofold.sdk import bearer
from twofold.sdk.bearer import MULTI_FACTOR_ACR
from twofold.sdk.jwks import JwksCache, KeysUnavailableError

_bearer_scheme = HTTPBearer(auto_error=False, description="A Twofold access token.")
_CLAIM_PROBLEMS = {
    "iss": "The token was issued by another issuer.",
    "aud": "The token is not meant for this API (audience).",
    "exp": "The token expired.",
    "nbf": "The token is not valid yet.",
    "iat": "The token is not valid yet.",
}


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a verified access token says about its user and how they authenticated."""

    sub: str
    scopes: frozenset[str]
    amr: tuple[str, ...]
    """RFC 8176 methods, e.g. ("pwd", "mfa", "otp")."""
    acr: str | None
    auth_time: int | None
    """When the authentication the token relies on happened (epoch seconds)."""
    claims: Mapping[str, Any] = field(repr=False)
    """Every claim as issued, for what this class does not name (azp, sid, jti...)."""

    @property
    def multi_factor(self) -> bool:
        return self.acr == MULTI_FACTOR_ACR or "mfa" in self.amr

    @classmethod
    def of(cls, claims: Mapping[str, Any]) -> TokenClaims:
        """Typed claims, or `invalid_token` when a claim Twofold defines has the wrong shape."""
        scope, amr = claims.get("scope", ""), claims.get("amr", [])
        acr, auth_time = claims.get("acr"), claims.get("auth_time")
        if not isinstance(scope, str):
            raise bearer.invalid_token("The token's scope claim is not a string.")
        if not (isinstance(amr, list) and all(isinstance(value, str) for value in amr)):
            raise bearer.invalid_token("The token's amr claim is not a list of strings.")
        if acr is not None and not isinstance(acr, str):
            raise bearer.invalid_token("The token's acr claim is not a string.")
        if auth_time is not None and (
            isinstance(auth_time, bool) or not isinstance(auth_time, int)
        ):
            raise bearer.invalid_token("The token's auth_time claim is not a number of seconds.")
        return cls(
            sub=str(claims["sub"]),
            scopes=frozenset(scope.split()),
            amr=tuple(amr),
            acr=acr,
            auth_time=auth_time,
            claims=dict(claims),
        )


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a route demands beyond a valid token; `check` raises the challenge to answer."""

    mfa: bool = False
    max_age: int | None = None
    """Seconds allowed since `auth_time`."""
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_age is not None and self.max_age < 0:
            raise ValueError("max_age is a number of seconds, 0 or more")

    def check(self, claims: TokenClaims, *, now: float) -> None:
        # Scopes first: stepping up the authentication would not add a missing scope.
        missing = tuple(scope for scope in self.scopes if scope not in claims.scopes)
        if missing:
            raise bearer.insufficient_scope(missing)
        lacks_mfa = self.mfa and not claims.multi_factor
        stale = self.max_age is not None and (
            claims.auth_time is None or now - claims.auth_time > self.max_age
        )
        if not (lacks_mfa or stale):
            return
        if lacks_mfa and stale:
            description = "A more recent multi-factor authentication is required."
        elif lacks_mfa:
            description = "Multi-factor authentication is required."
        else:
            description = "A more recent authentication is required."
        raise bearer.insufficient_user_authentication(
            description,
            acr_values=MULTI_FACTOR_ACR if self.mfa else None,
            max_age=self.max_age,
        )


class TwofoldAuth:
    """One per API: the issuer and audience it trusts, and the cached keys of that issuer.

    `http` is for callers that manage their own client (or tests that route it to an app in
    process); without it, one is created and closed by `aclose`. `clock` returns epoch seconds.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        realm: str | None = None,
        leeway: int = 30,
        jwks_uri: str | None = None,
        jwks_min_refresh_interval: float = 30.0,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.realm = realm or audience
        self.leeway = leeway
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=10)
        self._clock = clock
        self.jwks = JwksCache(
            jwks_uri or issuer.rstrip("/") + "/.well-known/jwks.json",
            http=self._http,
            clock=clock,
            min_refresh_interval=jwks_min_refresh_interval,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def install(self, app: FastAPI) -> None:
        """Answer refusals with an OAuth-style JSON body (see `bearer.install_error_handler`)."""
        bearer.install_error_handler(app)

    async def verify(self, token: str, *, audience: str | None = None) -> TokenClaims:
        """The claims of a token this issuer signed for `audience` (default: this API's), or
        `BearerError` (`invalid_token`). Pass a client id as `audience` to check an ID token."""
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError, TypeError) as exc:
            raise bearer.invalid_token("The token is not a signed JWT.") from exc
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise bearer.invalid_token("The token names no signing key (kid).")
        try:
            key = await self.jwks.key(kid)
        except KeysUnavailableError as exc:
            raise bearer.keys_unavailable() from exc
        if key is None:
            raise bearer.invalid_token("The token's signing key is not one the issuer publishes.")
        if header.get("alg") != key.alg:
            raise bearer.invalid_token(f"The token's key signs with {key.alg} only.")
        try:
            decoded = jwt.decode(token, key.key, algorithms=[key.alg])
        except (JoseError, ValueError, TypeError) as exc:
            raise bearer.invalid_token("The token's signature is invalid.") from exc
        self._validate(decoded.claims, audience=audience or self.audience)
        return TokenClaims.of(decoded.claims)

    def _validate(self, claims: dict[str, Any], *, audience: str) -> None:
        registry = JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ClaimError as exc:
            problem = _CLAIM_PROBLEMS.get(exc.claim, f"The token's {exc.claim} claim is invalid.")
            if exc.error == "missing_claim":
                problem = f"The token lacks a required claim ({exc.claim})."
            raise bearer.invalid_token(problem) from exc

    def require(
        self, *, mfa: bool = False, max_age: int | None = None, scopes: tuple[str, ...] = ()
    ) -> Callable[..., Awaitable[TokenClaims]]:
        """A dependency giving the verified `TokenClaims`, or answering 401/403 with the
        challenge that tells the client what to get: a token, a valid one, a scope, or a
        (more recent) multi-factor authentication."""
        requirement = Requirement(mfa=mfa, max_age=max_age, scopes=scopes)

        async def claims(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
        ) -> TokenClaims:
            if credentials is None:
                raise bearer.missing_token(self.realm)
            verified = await self.verify(credentials.credentials)
            requirement.check(verified, now=self._clock())
            return verified

        return claims
