"""The device key (EC P-256) and the ES256 device JWTs that authenticate every call after
enrolment: `iss` = `sub` = device id, `aud` = `{base_url}api/device`, at most 60 s of life,
a fresh `jti` each (the server refuses a replay)."""

from __future__ import annotations

import datetime as dt
import secrets

from joserfc import jwt
from joserfc.jwk import ECKey

from twofold.sdk.authenticator.client import Account

LIFETIME_SECONDS = 60


def new_key() -> dict[str, str]:
    """A fresh private P-256 JWK (kept in the keystore; only its public half is sent)."""
    return {k: str(v) for k, v in ECKey.generate_key("P-256").as_dict(private=True).items()}


def public_jwk(private: dict[str, str]) -> dict[str, str]:
    return {k: str(v) for k, v in ECKey.import_key(dict(private)).as_dict(private=False).items()}


def audience(base_url: str) -> str:
    return base_url.rstrip("/") + "/api/device"


def device_token(account: Account, *, now: dt.datetime) -> str:
    """A device JWT for one call, dated on the server's clock (our `now` + the offset)."""
    issued = int(account.server_time(now).timestamp())
    claims = {
        "iss": account.device_id,
        "sub": account.device_id,
        "aud": audience(account.base_url),
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
        "jti": secrets.token_urlsafe(16),
    }
    key = ECKey.import_key(dict(account.key))
    return jwt.encode({"alg": "ES256", "typ": "JWT"}, claims, key, ["ES256"])
