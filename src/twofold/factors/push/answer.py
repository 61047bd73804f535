"""Number matching and the device's signed answer to a push (factors layer, pure).

The answer is a compact JWS signed ES256 by the device key (docs/push-protocol.md, Answers):
its signature covers the transaction id and the chosen number, so neither can be changed on
the way, and an answer made for one push cannot be replayed on another.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from twofold.errors import InvalidPushAnswerError

LOWEST, HIGHEST = 10, 99
"""Two-digit numbers: easy to read on a login page and to find among three on a phone."""
DECOYS = 2
MAX_LIFETIME = 30
"""Seconds an answer may live (`exp - iat`): long enough for a slow network, short enough
that a captured answer is useless soon after."""
CLOCK_SKEW = 60
"""Seconds a device's clock may run ahead (the SDK corrects its offset at enrolment)."""
MAX_JTI = 64
Reason = Literal["fraud"]


@dataclass(frozen=True, slots=True)
class NumberChallenge:
    number: int
    """The number the sign-in shows; never sent to the device as such."""
    choices: tuple[int, ...]
    """The number and its decoys, shuffled: the device shows them, unlabelled."""


def draw_number() -> NumberChallenge:
    """A number in 10-99 and two distinct decoys, from `secrets`, in a random order."""
    number = LOWEST + secrets.randbelow(HIGHEST - LOWEST + 1)
    picked = {number}
    while len(picked) < DECOYS + 1:
        picked.add(LOWEST + secrets.randbelow(HIGHEST - LOWEST + 1))
    choices = list(picked)
    secrets.SystemRandom().shuffle(choices)
    return NumberChallenge(number=number, choices=tuple(choices))


@dataclass(frozen=True, slots=True)
class Answer:
    """What the device signed."""

    txn: str
    accepted: bool
    number: int | None
    reason: Reason | None
    jti: str
    issued_at: int
    expires_at: int


def verify_answer(
    token: str,
    *,
    device_jwk: Mapping[str, Any],
    txn: str,
    number_matching: bool,
    now: dt.datetime,
) -> Answer:
    """The answer's claims, once its ES256 signature verifies with `device_jwk` and its claims
    are well formed, fresh and for `txn`; InvalidPushAnswerError naming what is wrong."""
    claims = _signed_claims(token, device_jwk)
    answer = _answer(claims)
    if answer.txn != txn:
        raise InvalidPushAnswerError("The answer is for another transaction.")
    _check_times(answer, now)
    if answer.accepted and number_matching and answer.number is None:
        raise InvalidPushAnswerError("An approval must carry the number the user picked.")
    if answer.accepted and answer.reason is not None:
        raise InvalidPushAnswerError("Only a denial can carry a reason.")
    return answer


def _signed_claims(token: str, device_jwk: Mapping[str, Any]) -> dict[str, Any]:
    try:
        key = ECKey.import_key(dict(device_jwk))
        decoded = jws.deserialize_compact(token, key, algorithms=["ES256"])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidPushAnswerError(
            "The answer is not a JWS signed ES256 by this device's key."
        ) from exc
    try:
        claims = json.loads(decoded.payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPushAnswerError("The answer's payload is not JSON.") from exc
    if not isinstance(claims, dict):
        raise InvalidPushAnswerError("The answer's payload is not a JSON object.")
    return claims


def _integer(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPushAnswerError(f"The answer's {name} must be an integer.")
    return value


def _answer(claims: Mapping[str, Any]) -> Answer:
    txn, accepted, jti = claims.get("txn"), claims.get("accepted"), claims.get("jti")
    if not isinstance(txn, str) or not txn:
        raise InvalidPushAnswerError("The answer must name its transaction (txn).")
    if not isinstance(accepted, bool):
        raise InvalidPushAnswerError("The answer's accepted must be true or false.")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise InvalidPushAnswerError(f"The answer needs a jti of 1 to {MAX_JTI} characters.")
    reason = claims.get("reason")
    if reason not in (None, "fraud"):
        raise InvalidPushAnswerError("The answer's reason, when present, must be fraud.")
    issued_at, expires_at = _integer(claims, "iat"), _integer(claims, "exp")
    if issued_at is None or expires_at is None:
        raise InvalidPushAnswerError("The answer must carry iat and exp.")
    return Answer(
        txn=txn,
        accepted=accepted,
        number=_integer(claims, "number"),
        reason="fraud" if reason == "fraud" else None,
        jti=jti,
        issued_at=issued_at,
        expires_at=expires_at,
    )


def _check_times(answer: Answer, now: dt.datetime) -> None:
    moment = int(now.timestamp())
    if not answer.issued_at < answer.expires_at <= answer.issued_at + MAX_LIFETIME:
        raise InvalidPushAnswerError(
            f"The answer's exp must be after iat, by {MAX_LIFETIME} s at most."
        )
    if answer.expires_at <= moment:
        raise InvalidPushAnswerError("The answer has expired.")
    if answer.issued_at > moment + CLOCK_SKEW:
        raise InvalidPushAnswerError(
            "The answer was issued in the future (check the device's clock)."
        )
