"""JWT signing and verification: only our keys, only our algorithms, only valid claims."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest

from twofold.errors import InvalidTokenError
from twofold.security.jose import (
    LEEWAY_SECONDS,
    Algorithm,
    GeneratedKey,
    TokenSigner,
    TokenVerifier,
    generate_signing_key,
)

ISSUER = "https://twofold.test/"
AUDIENCE = "https://twofold.test/api/v2/"
NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def key(request: pytest.FixtureRequest) -> GeneratedKey:
    alg: Algorithm = request.param
    return generate_signing_key(alg)


def signer_for(key: GeneratedKey) -> TokenSigner:
    return TokenSigner(
        kid=key.kid, alg=key.alg, private_pem=key.private_pem, public_jwks=[key.public_jwk]
    )


def claims(**changes: Any) -> dict[str, Any]:
    iat = int(NOW.timestamp())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client@clients",
        "iat": iat,
        "exp": iat + 3600,
        "scope": "read:users",
    }
    base.update(changes)
    return base


def verify(key: GeneratedKey, token: str, *, now: dt.datetime = NOW) -> dict[str, Any]:
    return TokenVerifier([key.public_jwk]).verify(token, issuer=ISSUER, audience=AUDIENCE, now=now)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value).encode())


def test_generated_keys_match_their_algorithm(key: GeneratedKey) -> None:
    assert key.public_jwk["kid"] == key.kid
    assert key.public_jwk["alg"] == key.alg
    assert key.public_jwk["use"] == "sig"
    assert key.public_jwk["kty"] == ("RSA" if key.alg == "RS256" else "EC")
    assert key.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert generate_signing_key(key.alg).kid != key.kid


def test_sign_and_verify_round_trip(key: GeneratedKey) -> None:
    token = signer_for(key).sign(claims())
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": key.alg, "kid": key.kid, "typ": "JWT"}
    assert verify(key, token) == claims()


def test_leeway_tolerates_small_clock_skew(key: GeneratedKey) -> None:
    token = signer_for(key).sign(claims())
    later = NOW + dt.timedelta(seconds=3600 + LEEWAY_SECONDS - 1)
    assert verify(key, token, now=later)["sub"] == "client@clients"


def test_an_expired_token_is_refused(key: GeneratedKey) -> None:
    token = signer_for(key).sign(claims())
    later = NOW + dt.timedelta(seconds=3600 + LEEWAY_SECONDS + 1)
    with pytest.raises(InvalidTokenError, match="expired"):
        verify(key, token, now=later)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://twofold.test/mfa/"},
        {"iss": "https://evil.test/"},
        {"iss": None},
        {"exp": None},
        {"sub": None},
    ],
    ids=["audience", "issuer", "no-issuer", "no-exp", "no-sub"],
)
def test_wrong_or_missing_claims_are_refused(key: GeneratedKey, changes: dict[str, Any]) -> None:
    body = {name: value for name, value in claims(**changes).items() if value is not None}
    token = signer_for(key).sign(body)
    with pytest.raises(InvalidTokenError) as caught:
        verify(key, token)
    assert caught.value.code == "invalid_token"


def test_a_token_from_another_key_is_refused(key: GeneratedKey) -> None:
    other = generate_signing_key(key.alg)
    with pytest.raises(InvalidTokenError, match="signature is invalid"):
        verify(key, signer_for(other).sign(claims()))
    # The same `kid` on a different key pair: the signature, not the name, decides.
    impostor = TokenSigner(
        kid=key.kid, alg=other.alg, private_pem=other.private_pem, public_jwks=[other.public_jwk]
    )
    with pytest.raises(InvalidTokenError, match="signature is invalid"):
        verify(key, impostor.sign(claims()))


def test_alg_none_is_refused(key: GeneratedKey) -> None:
    for alg in ("none", "None", "NONE"):
        unsigned = f"{b64json({'alg': alg, 'kid': key.kid})}.{b64json(claims())}."
        with pytest.raises(InvalidTokenError):
            verify(key, unsigned)


def test_hmac_keyed_with_the_public_key_is_refused(key: GeneratedKey) -> None:
    """The classic algorithm confusion: HS256 using the published key as the secret."""
    signing_input = f"{b64json({'alg': 'HS256', 'kid': key.kid})}.{b64json(claims())}"
    for secret in (json.dumps(key.public_jwk).encode(), key.private_pem):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        with pytest.raises(InvalidTokenError):
            verify(key, f"{signing_input}.{b64url(mac)}")


def test_a_tampered_payload_or_header_is_refused(key: GeneratedKey) -> None:
    header, _, signature = signer_for(key).sign(claims()).split(".")
    forged = b64json(claims(scope="read:users delete:users"))
    with pytest.raises(InvalidTokenError, match="signature is invalid"):
        verify(key, f"{header}.{forged}.{signature}")
    other_alg = "ES256" if key.alg == "RS256" else "RS256"
    payload = signer_for(key).sign(claims()).split(".")[1]
    with pytest.raises(InvalidTokenError):
        verify(key, f"{b64json({'alg': other_alg, 'kid': key.kid})}.{payload}.{signature}")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "a.b.c.d.e", "..."])
def test_malformed_tokens_are_refused(key: GeneratedKey, token: str) -> None:
    with pytest.raises(InvalidTokenError, match="malformed"):
        verify(key, token)


def test_jwks_publishes_only_public_members(key: GeneratedKey) -> None:
    other = generate_signing_key("ES256")
    signer = TokenSigner(
        kid=key.kid,
        alg=key.alg,
        private_pem=key.private_pem,
        public_jwks=[key.public_jwk, other.public_jwk],
    )
    published = signer.jwks()["keys"]
    assert [jwk["kid"] for jwk in published] == [key.kid, other.kid]
    for jwk in published:
        assert jwk["use"] == "sig"
        assert jwk["alg"] in ("RS256", "ES256")
        assert PRIVATE_MEMBERS.isdisjoint(jwk)
    assert PRIVATE_MEMBERS.isdisjoint(key.public_jwk)
    # Every published key verifies the tokens it signed (a retired key still verifies).
    verifier = TokenVerifier(published)
    token = signer_for(other).sign(claims())
    assert verifier.verify(token, issuer=ISSUER, audience=AUDIENCE, now=NOW)["sub"]
