"""TOTP (RFC 6238 over RFC 4226 HOTP), built on pyotp: enrolment, key URI, verification.

Single use: a code verifies only for a time step after the last accepted one (RFC 6238
section 5.2); the flow then stores that step with a conditional update.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args
from urllib.parse import quote

import pyotp

from twofold.domain import JsonObject
from twofold.errors import InvalidOtpError, TwofoldError
from twofold.factors.base import Challenge, Enrolment, FactorContext, FactorState, Verification
from twofold.factors.pages import FactorPage
from twofold.types import Amr, FactorType

Algorithm = Literal["SHA1", "SHA256", "SHA512"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
DIGESTS: dict[Algorithm, Callable[..., Any]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}
SECRET_BYTES: dict[Algorithm, int] = {"SHA1": 20, "SHA256": 32, "SHA512": 64}
"""RFC 4226 section 4 asks for at least 160 bits; we size the key to the hash output."""
MAX_PERIOD = 120
"""pyotp's ceiling (NIST SP 800-63B-4: a new code at least every two minutes)."""


@dataclass(frozen=True, slots=True)
class TotpParams:
    """The non-secret TOTP parameters an authenticator was enrolled with."""

    algorithm: Algorithm = "SHA1"
    digits: int = 6
    period: int = 30

    @classmethod
    def from_json(cls, params: JsonObject) -> TotpParams:
        """Read stored params; bad ones are corrupt state (a server error), not a wrong code."""
        algorithm = params.get("algorithm", "SHA1")
        digits = params.get("digits", 6)
        period = params.get("period", 30)
        if (
            algorithm not in ALGORITHMS
            or type(digits) is not int
            or digits not in (6, 8)
            or type(period) is not int
            or not 0 < period <= MAX_PERIOD
        ):
            raise TwofoldError("The authenticator's TOTP parameters are invalid.")
        return cls(algorithm=algorithm, digits=digits, period=period)

    def to_json(self) -> JsonObject:
        return {"algorithm": self.algorithm, "digits": self.digits, "period": self.period}


def encode_secret(secret: bytes) -> str:
    """Base32 without padding, as key URIs and authenticator apps expect it."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def key_uri(secret_b32: str, *, issuer: str, account: str, params: TotpParams) -> str:
    """The Google Authenticator key URI, shaped exactly as Auth0 returns `barcode_uri`."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return (
        f"otpauth://totp/{label}?secret={secret_b32}&issuer={quote(issuer, safe='')}"
        f"&algorithm={params.algorithm}&digits={params.digits}&period={params.period}"
    )


def _totp(secret_b32: str, params: TotpParams) -> pyotp.TOTP:
    try:
        return pyotp.TOTP(
            secret_b32,
            digits=params.digits,
            digest=DIGESTS[params.algorithm],
            interval=params.period,
        )
    except ValueError as exc:  # secret shorter than pyotp's 112-bit floor, or not base32
        raise TwofoldError("The authenticator's TOTP secret is invalid.") from exc


def totp_now(
    secret_b32: str,
    *,
    now: dt.datetime,
    algorithm: Algorithm = "SHA1",
    digits: int = 6,
    period: int = 30,
) -> str:
    """The code an authenticator app shows at `now` (for tests, benchmarks and the SDK)."""
    params = TotpParams(algorithm=algorithm, digits=digits, period=period)
    return str(_totp(secret_b32, params).at(now))


def _normalise(response: str, *, digits: int) -> str:
    """Drop the spaces apps show mid-code; anything but `digits` ASCII digits is wrong."""
    code = "".join(response.split())
    if len(code) != digits or not (code.isascii() and code.isdigit()):
        raise InvalidOtpError()
    return code


def matching_step(
    secret: bytes, params: TotpParams, code: str, *, now: dt.datetime, drift: int, after: int
) -> int:
    """The newest time step within `drift` of now, later than `after`, whose code is `code`.

    Newest first, each step computed once. Steps <= `after` are never computed: a spent step,
    or any earlier one, cannot verify again (RFC 6238 section 5.2), and skipping them means a
    code that also matches a spent step still verifies for the fresh one.
    """
    totp = _totp(encode_secret(secret), params)
    current = int(totp.timecode(now))
    floor = max(after, -1)
    for step in range(current + drift, current - drift - 1, -1):
        if step <= floor:
            break
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    raise InvalidOtpError()


@dataclass(frozen=True, slots=True)
class TotpFactor:
    """The `otp` factor: an authenticator app sharing a secret key with us."""

    type: ClassVar[FactorType] = FactorType.OTP
    page: ClassVar[FactorPage] = FactorPage(
        label="Authenticator app",
        description="Enter the code your authenticator app shows.",
        challenge_template="factors/otp/challenge.html",
        enrol_template="factors/otp/enrol.html",
    )

    async def begin_enrolment(self, ctx: FactorContext) -> Enrolment:
        params = TotpParams(
            algorithm=ctx.otp.algorithm, digits=ctx.otp.digits, period=ctx.otp.period
        )
        state = FactorState(
            secret=secrets.token_bytes(SECRET_BYTES[params.algorithm]),
            params=params.to_json(),
            last_step=-1,
        )
        return Enrolment(display=self.enrolment_display(ctx, state), state=state)

    def enrolment_display(self, ctx: FactorContext, state: FactorState) -> Mapping[str, str]:
        """The base32 secret and its key URI (Auth0's `secret` and `barcode_uri`)."""
        secret_b32 = encode_secret(state.secret)
        params = TotpParams.from_json(state.params)
        uri = key_uri(secret_b32, issuer=ctx.tenant_name, account=ctx.account_name, params=params)
        return {"secret": secret_b32, "barcode_uri": uri}

    async def finish_enrolment(
        self, ctx: FactorContext, state: FactorState, proof: str
    ) -> Verification:
        """The first valid code proves the app holds the key; its step is spent like any other."""
        return await self.verify(ctx, state, proof)

    async def challenge(
        self,
        ctx: FactorContext,  # noqa: ARG002 -- the Factor signature; nothing to send
        state: FactorState,  # noqa: ARG002
    ) -> Challenge:
        """Nothing to send: the app already shows the code."""
        return Challenge(challenge_type="otp")

    async def verify(self, ctx: FactorContext, state: FactorState, response: str) -> Verification:
        params = TotpParams.from_json(state.params)
        code = _normalise(response, digits=params.digits)
        step = matching_step(
            state.secret,
            params,
            code,
            now=ctx.now,
            drift=ctx.otp.drift_steps,
            after=state.last_step,
        )
        return Verification(amr=(Amr.OTP,), last_step=step)
