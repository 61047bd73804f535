"""JWT signing and verification with joserfc (RS256 by default, ES256 optional).

Verification accepts only the algorithms Twofold signs with and only keys it published, so a
token with `alg: none`, an HMAC `alg` keyed with the public key, or an unknown `kid` fails.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from twofold.errors import InvalidTokenError

Algorithm = Literal["RS256", "ES256"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "ES256")
LEEWAY_SECONDS = 30  # clock skew tolerated between nodes


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    kid: str
    alg: Algorithm
    private_pem: bytes
    public_jwk: dict[str, Any]


def generate_signing_key(alg: Algorithm) -> GeneratedKey:
    """A fresh key pair: RSA 2048 for RS256, P-256 for ES256."""
    kid = secrets.token_urlsafe(16)
    key: RSAKey | ECKey
    key = RSAKey.generate_key(2048) if alg == "RS256" else ECKey.generate_key("P-256")
    public = dict(key.as_dict(private=False))
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    return GeneratedKey(kid=kid, alg=alg, private_pem=key.as_pem(private=True), public_jwk=public)


def _import_private(alg: str, pem: bytes) -> RSAKey | ECKey:
    if alg == "RS256":
        return RSAKey.import_key(pem)
    if alg == "ES256":
        return ECKey.import_key(pem)
    raise ValueError(f"unsupported signing algorithm {alg!r}")


class TokenSigner:
    """Signs with the active key; publishes every key still trusted for verification."""

    def __init__(
        self,
        *,
        kid: str,
        alg: str,
        private_pem: bytes,
        public_jwks: Sequence[Mapping[str, Any]],
    ) -> None:
        self._kid = kid
        self._alg = alg
        self._key = _import_private(alg, private_pem)
        self._jwks = {"keys": [dict(jwk) for jwk in public_jwks]}

    @property
    def kid(self) -> str:
        return self._kid

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(
            {"alg": self._alg, "kid": self._kid}, dict(claims), self._key, [self._alg]
        )

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return self._jwks


class TokenVerifier:
    def __init__(self, public_jwks: Sequence[Mapping[str, Any]]) -> None:
        self._keys = KeySet.import_key_set({"keys": [dict(jwk) for jwk in public_jwks]})
        self._algorithms = sorted({str(jwk.get("alg")) for jwk in public_jwks} & set(ALGORITHMS))

    def signed_claims(self, token: str, *, issuer: str) -> dict[str, Any]:
        """The claims of a token we signed, expired or not: for `id_token_hint`, which names a
        past sign-in (OIDC RP-Initiated Logout section 2), never for authorisation."""
        try:
            decoded = jwt.decode(token, self._keys, algorithms=self._algorithms)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidTokenError("The id_token_hint is malformed or not signed by us.") from exc
        if decoded.claims.get("iss") != issuer:
            raise InvalidTokenError("The id_token_hint was issued by someone else.")
        return dict(decoded.claims)

    def verify(self, token: str, *, issuer: str, audience: str, now: datetime) -> dict[str, Any]:
        """The claims of a token signed by us, for `audience`, unexpired at `now`."""
        try:
            decoded = jwt.decode(token, self._keys, algorithms=self._algorithms)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidTokenError(
                "The access token is malformed or its signature is invalid."
            ) from exc
        registry = JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise InvalidTokenError(_describe(exc)) from exc
        return dict(decoded.claims)


def _describe(exc: JoseError) -> str:
    error = getattr(exc, "error", "")
    if error == "expired_token":
        return "The access token expired."
    if error == "invalid_claim" and "aud" in str(exc):
        return "The access token is not meant for this API (audience)."
    return f"The access token was rejected: {exc.description or error}."
