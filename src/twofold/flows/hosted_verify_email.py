"""Adaptive MFA's check for a user with no factor (ADR 009, as Auth0 does it): a 6-digit code
mailed to the account's address, typed back on `/u/verify-email`, before the sign-in goes on.

The code is the out-of-band machinery's (`rt.oob`: keyed hash, lifetime, single use, 5 wrong
answers kill it) and goes out as an email code does: admitted by the send limits, delivered
and audited by `oob_delivery.deliver`. There is no authenticator to hang a challenge on, so
its hash lives in the sign-in's kept decision (`params.policy.email_code`); wrong answers
are counted on the sign-in's own failure counter (an atomic increment), and each is also
charged to the per-user and per-IP buckets every code shares.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from twofold.audit import events
from twofold.channels import DeliveryError
from twofold.domain import AuthorizationRequest, JsonObject, User
from twofold.errors import (
    InvalidBindingCodeError,
    InvalidGrantError,
    InvalidRequestError,
    NotFoundError,
)
from twofold.factors.destinations import mask_email
from twofold.factors.oob import OobChallenge
from twofold.flows.attempts import check_limits, count_failure, limit_key, record_wrong_code
from twofold.flows.hosted_policy import keep_policy, policy_state
from twofold.flows.oob_delivery import deliver, locale_of
from twofold.flows.oob_limits import OobSend, admit_send
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.types import FactorType

CODE_KEY = "email_code"
FACTOR = "email"
"""What a wrong answer is audited and charged as (`gd_auth_failed`, `factor` `email`)."""
NO_CODE = "This code is no longer valid. Send a new one."


@dataclass(frozen=True, slots=True)
class SentEmail:
    """The sign-in with its new code kept, where the code went (masked), and whether the
    mail server took it (a failed delivery leaves the code valid: it may arrive late)."""

    sign_in: AuthorizationRequest
    to: str
    delivered: bool


def _state(sign_in: AuthorizationRequest) -> JsonObject:
    state = policy_state(sign_in)
    if state is None or not state.get("verify_email"):
        raise InvalidRequestError("This sign-in has no email to verify.")
    return state


async def _user(rt: Runtime, user_id: str) -> User:
    async with rt.store.read() as tx:
        user = await tx.users.get(user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    return user


def sent_to(user: User) -> str:
    return mask_email(user.email)


def has_live_code(rt: Runtime, sign_in: AuthorizationRequest) -> bool:
    """Whether a code was sent in this sign-in and can still be answered (a page shown
    again must not send another one)."""
    kept = (policy_state(sign_in) or {}).get(CODE_KEY)
    if not isinstance(kept, dict) or kept.get("used"):
        return False
    return rt.clock.now() < dt.datetime.fromisoformat(str(kept["expires_at"]))


async def send_code(
    rt: Runtime, sign_in: AuthorizationRequest, user_id: str, info: RequestInfo
) -> SentEmail:
    """A new code to the account's address, superseding the last one. The send limits raise
    TooManySendsError before anything is stored."""
    state = _state(sign_in)
    user = await _user(rt, user_id)
    send = OobSend(
        user_id=user_id, channel="email", destination=user.email, client_id=sign_in.client_id
    )
    await admit_send(rt, send, info)
    issued = rt.oob.issue(
        authenticator_id="", channel="email", destination=user.email, now=rt.clock.now()
    )
    challenge = issued.challenge
    kept: JsonObject = {
        "id": challenge.id,
        "code_hash": challenge.code_hash,
        "created_at": challenge.created_at.isoformat(),
        "expires_at": challenge.expires_at.isoformat(),
        "failures_before": sign_in.failures,
        "used": False,
    }
    sign_in = await keep_policy(rt, sign_in, {**state, CODE_KEY: kept})
    try:
        await deliver(rt, send, code=issued.code, locale=locale_of(user), info=info)
    except DeliveryError:
        return SentEmail(sign_in=sign_in, to=sent_to(user), delivered=False)
    return SentEmail(sign_in=sign_in, to=sent_to(user), delivered=True)


def _challenge(kept: JsonObject, failures: int) -> OobChallenge:
    return OobChallenge(
        id=str(kept["id"]),
        authenticator_id="",
        channel="email",
        destination="",
        code_hash=str(kept["code_hash"]),
        handle_hash="",
        created_at=dt.datetime.fromisoformat(str(kept["created_at"])),
        expires_at=dt.datetime.fromisoformat(str(kept["expires_at"])),
        failures=failures,
        used=bool(kept.get("used")),
    )


async def verify_code(
    rt: Runtime, sign_in: AuthorizationRequest, user_id: str, code: str, info: RequestInfo
) -> AuthorizationRequest:
    """The right code marks the sign-in's email verified (and spends the code); a wrong one
    is audited and counted, then raised (InvalidBindingCodeError); a spent, expired or dead
    code is refused whatever its value."""
    key = limit_key(FactorType.OOB.value, user_id)
    await check_limits(rt, key, info)
    async with rt.store.read() as tx:
        fresh = await tx.authorizations.get(sign_in.id)
    state = _state(fresh or sign_in)
    kept = state.get(CODE_KEY)
    if fresh is None or not isinstance(kept, dict):
        raise InvalidGrantError(NO_CODE)
    failures = fresh.failures - int(str(kept.get("failures_before") or 0))
    challenge = _challenge(kept, max(failures, 0))
    try:
        rt.oob.check(challenge, code, now=rt.clock.now())
    except InvalidBindingCodeError:
        await _count_wrong(rt, fresh, user_id, info, key=key)
        raise
    user = await _user(rt, user_id)
    verified = {**state, CODE_KEY: {**kept, "used": True}, "email_verified": True}
    params = {**fresh.params, "policy": verified}
    async with rt.store.transaction() as tx:
        await tx.authorizations.set_params(fresh.id, params)
        tx.record(
            events.LoginEmailVerified(
                user_id=user_id,
                client_id=fresh.client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                to=sent_to(user),
            ).entry()
        )
    return dataclasses.replace(fresh, params=params)


async def _count_wrong(
    rt: Runtime, sign_in: AuthorizationRequest, user_id: str, info: RequestInfo, *, key: str
) -> None:
    async with rt.store.transaction() as tx:
        failures = await tx.authorizations.add_failure(sign_in.id)
        record_wrong_code(
            tx,
            user_id=user_id,
            client_id=sign_in.client_id,
            info=info,
            factor=FACTOR,
            failures=failures,
        )
    await count_failure(rt, key, info, factor=FACTOR)
