"""A push device's identity: its public P-256 JWK (RFC 7517/7518), the key's RFC 7638
thumbprint, the ES256 device JWTs it signs (RFC 7519), and the enrolment's `otpauth://` URI.

Pure functions: stored state goes in as arguments, claims or a typed error come out.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from twofold.errors import InvalidRequestError, InvalidTokenError
from twofold.factors.otp import TotpParams

ALGORITHM = "ES256"
MAX_JWK_CHARS = 1024
"""A P-256 public JWK is ~130 characters; anything far larger is not one."""
MAX_TOKEN_CHARS = 2048
SKEW_SECONDS = 60
"""How far ahead of ours a device clock may run (`iat` in the future)."""
MAX_LIFETIME_SECONDS = 60
"""A device JWT lives at most this long (`exp` - `iat`): a stolen one is soon useless."""
MAX_JTI_CHARS = 64
PUBLIC_MEMBERS = frozenset({"kty", "crv", "x", "y", "kid", "alg", "use", "key_ops"})
"""What a public EC JWK may hold; `d` (or anything else) is refused, never ignored."""
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
"""Headers that would let a token name its own key or demand unknown processing."""
DEVICE_ID = re.compile(r"push\|dev_[A-Za-z0-9_-]{16}")


class DeviceKeyError(InvalidRequestError):
    """The `public_key` sent at enrolment is not a public EC P-256 JWK."""


class DeviceTokenError(InvalidTokenError):
    """A device JWT was refused; the description says why (never echoing the token)."""


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A device's public key: the canonical JWK (kty, crv, x, y) and its thumbprint."""

    jwk: dict[str, str]
    thumbprint: str

    def key(self) -> ECKey:
        return ECKey.import_key(dict(self.jwk))


@dataclass(frozen=True, slots=True)
class DeviceClaims:
    """A verified device JWT's claims that matter to the server."""

    device_id: str
    jti: str
    issued_at: dt.datetime
    expires_at: dt.datetime


def _coordinate(jwk: Mapping[str, Any], name: str) -> str:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise DeviceKeyError(f"public_key.{name} must be a base64url string.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise DeviceKeyError(f"public_key.{name} must be a base64url string.") from exc
    if len(raw) != 32:
        raise DeviceKeyError(f"public_key.{name} must encode 32 bytes (P-256).")
    return value


def parse_device_key(raw: object) -> DeviceKey:
    """Accept only a public EC P-256 JWK whose point is on the curve; anything else (RSA,
    another curve, a private `d`, unknown members, a huge object) is a 400."""
    if not isinstance(raw, Mapping):
        raise DeviceKeyError("public_key must be a JWK object.")
    if len(json.dumps(raw, default=str)) > MAX_JWK_CHARS:
        raise DeviceKeyError("public_key is too large for a P-256 JWK.")
    extra = set(raw) - PUBLIC_MEMBERS
    if extra:
        raise DeviceKeyError(
            "public_key must be a public key: unexpected members " + ", ".join(sorted(extra))
        )
    if raw.get("kty") != "EC" or raw.get("crv") != "P-256":
        raise DeviceKeyError('public_key must be an EC P-256 key ("kty":"EC","crv":"P-256").')
    if raw.get("alg", ALGORITHM) != ALGORITHM or raw.get("use", "sig") != "sig":
        raise DeviceKeyError('public_key must be for ES256 signatures ("alg":"ES256").')
    jwk = {"kty": "EC", "crv": "P-256", "x": _coordinate(raw, "x"), "y": _coordinate(raw, "y")}
    try:
        key = ECKey.import_key(dict(jwk))
    except (JoseError, ValueError, TypeError) as exc:
        raise DeviceKeyError("public_key is not a point on the P-256 curve.") from exc
    return DeviceKey(jwk=jwk, thumbprint=key.thumbprint())


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header, before any signature check (to refuse bad algorithms early)."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise DeviceTokenError("The device token is not a compact JWS.")
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, TypeError) as exc:
        raise DeviceTokenError("The device token is not a compact JWS.") from exc
    return dict(header)


def unverified_issuer(token: str) -> str:
    """The `iss` a token claims, to find the key that must have signed it; only a
    well-formed device id is returned, so garbage never reaches the database."""
    unverified_header(token)
    try:
        payload = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise DeviceTokenError("The device token's claims are not JSON.") from exc
    issuer = payload.get("iss") if isinstance(payload, dict) else None
    if not isinstance(issuer, str) or not DEVICE_ID.fullmatch(issuer):
        raise DeviceTokenError("The device token's iss is not a device id.")
    return issuer


def _check_header(header: Mapping[str, Any]) -> None:
    if header.get("alg") != ALGORITHM:
        raise DeviceTokenError("Device tokens must be signed with ES256.")
    if FORBIDDEN_HEADERS & set(header):
        raise DeviceTokenError("Device tokens may not carry jwk, jku, x5u, x5c or crit headers.")


def _int_claim(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    if type(value) is not int:
        raise DeviceTokenError(f"The device token's {name} must be an integer.")
    return value


def _audience_ok(aud: object, audience: str) -> bool:
    if isinstance(aud, str):
        return aud == audience
    return isinstance(aud, list) and audience in aud


def check_claims(
    claims: Mapping[str, Any], *, device_id: str, audience: str, now: dt.datetime
) -> DeviceClaims:
    """The registered claims a device JWT must carry (decisions/010)."""
    if claims.get("iss") != device_id or claims.get("sub") != device_id:
        raise DeviceTokenError("The device token's iss and sub must be the device id.")
    if not _audience_ok(claims.get("aud"), audience):
        raise DeviceTokenError("The device token is not meant for this server (aud).")
    iat, exp = _int_claim(claims, "iat"), _int_claim(claims, "exp")
    moment = int(now.timestamp())
    if iat > moment + SKEW_SECONDS:
        raise DeviceTokenError("The device token was issued in the future; check the clock.")
    if exp > iat + MAX_LIFETIME_SECONDS:
        raise DeviceTokenError("The device token lives too long (exp - iat > 60 s).")
    if exp <= moment:
        raise DeviceTokenError("The device token expired.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
        raise DeviceTokenError("The device token needs a jti of 1 to 64 characters.")
    return DeviceClaims(
        device_id=device_id,
        jti=jti,
        issued_at=dt.datetime.fromtimestamp(iat, dt.UTC),
        expires_at=dt.datetime.fromtimestamp(exp, dt.UTC),
    )


def verify_device_token(
    token: str, key: DeviceKey, *, device_id: str, audience: str, now: dt.datetime
) -> DeviceClaims:
    """Verify a device JWT signed ES256 by `key`; replay (the `jti`) is the caller's check.

    The algorithm is pinned before and during verification, so `none`, HS256 keyed with the
    public key, or RS256 fail; a token cannot bring its own key (`jwk`/`jku` headers).
    """
    _check_header(unverified_header(token))
    try:
        decoded = jwt.decode(token, key.key(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError) as exc:
        raise DeviceTokenError("The device token's signature is invalid.") from exc
    return check_claims(decoded.claims, device_id=device_id, audience=audience, now=now)


def device_audience(base_url: str) -> str:
    """`{base_url}api/device`: what every device JWT's `aud` names."""
    return base_url.rstrip("/") + "/api/device"


def barcode_uri(
    secret_b32: str,
    *,
    issuer: str,
    account: str,
    params: TotpParams,
    enrollment_tx_id: str,
    base_url: str,
) -> str:
    """Google Authenticator's key URI plus Guardian's `enrollment_tx_id` and `base_url`, so a
    plain TOTP app still gets codes and a push app knows where to register."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return (
        f"otpauth://totp/{label}?secret={secret_b32}&issuer={quote(issuer, safe='')}"
        f"&algorithm={params.algorithm}&digits={params.digits}&period={params.period}"
        f"&enrollment_tx_id={quote(enrollment_tx_id, safe='')}"
        f"&base_url={quote(base_url, safe='')}"
    )
