"""The issuer's published signing keys (RFC 7517 JWK Set), fetched once and cached.

A token naming an unknown `kid` (the issuer rotated its key) triggers one refetch, but never
more often than `min_refresh_interval`: otherwise anyone could make every request cost an
outbound call by sending tokens with made-up key ids.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, RSAKey

ALGORITHMS = ("RS256", "ES256")
"""What Twofold signs with; HMAC and `none` can never be chosen by a token's header."""
_DEFAULT_ALG = {"RSA": "RS256", "EC": "ES256"}

log = logging.getLogger("twofold.sdk")


class KeysUnavailableError(Exception):
    """The key set has never been fetched successfully, so no token can be judged."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A published public key and the one algorithm it may verify (the key pins the alg)."""

    kid: str
    alg: str
    key: RSAKey | ECKey


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        min_refresh_interval: float = 30.0,
        max_age: float = 3600.0,
    ) -> None:
        self.url = url
        self._http = http
        self._clock = clock
        self._min_refresh_interval = min_refresh_interval
        self._max_age = max_age
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> VerificationKey | None:
        """The key published under `kid`, refetching the set when it is unknown or old.

        Raises `KeysUnavailableError` only while no fetch has ever succeeded; a failed
        refetch keeps serving the keys already known.
        """
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            # Another request may have refetched while this one waited for the lock.
            if not (self._fresh() and kid in self._keys) and self._may_fetch():
                await self._fetch()
        if self._fetched_at is None:
            raise KeysUnavailableError(self.url)
        return self._keys.get(kid)

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at < self._max_age

    def _may_fetch(self) -> bool:
        return (
            self._attempted_at is None
            or self._clock() - self._attempted_at >= self._min_refresh_interval
        )

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            response = await self._http.get(self.url, headers={"accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not fetch the JWK set at %s: %s", self.url, exc)
            return
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            log.warning("the document at %s is not a JWK set", self.url)
            return
        self._keys = {
            key.kid: key for key in map(_verification_key, document["keys"]) if key is not None
        }
        self._fetched_at = self._clock()


def _verification_key(jwk: Any) -> VerificationKey | None:
    """A signing key Twofold could have published, or None for anything else in the set."""
    if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kid"), str):
        return None
    alg = jwk.get("alg") or _DEFAULT_ALG.get(str(jwk.get("kty")))
    if jwk.get("use", "sig") != "sig" or alg not in ALGORITHMS:
        return None
    try:
        key = JWKRegistry.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError):
        return None
    if alg == "RS256" and isinstance(key, RSAKey):
        return VerificationKey(kid=jwk["kid"], alg=alg, key=key)
    if alg == "ES256" and isinstance(key, ECKey) and key.curve_name == "P-256":
        return VerificationKey(kid=jwk["kid"], alg=alg, key=key)
    return None
