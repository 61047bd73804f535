"""TOTP codes (RFC 6238 over RFC 4226) from the seed the server gave at enrolment, so the
device also works offline, like any authenticator app."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from twofold.sdk.authenticator.client import Account

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def hotp(secret: bytes, counter: int, *, digits: int, algorithm: str) -> str:
    """RFC 4226 section 5.3: HMAC, dynamic truncation, modulo 10^digits."""
    mac = hmac.new(secret, counter.to_bytes(8, "big"), DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_now(account: Account, *, now: dt.datetime) -> str:
    """The code for `now` (on the server's clock, offset applied)."""
    padded = account.totp_secret + "=" * (-len(account.totp_secret) % 8)
    secret = base64.b32decode(padded.upper())
    step = int(account.server_time(now).timestamp()) // account.period
    return hotp(secret, step, digits=account.digits, algorithm=account.algorithm)
