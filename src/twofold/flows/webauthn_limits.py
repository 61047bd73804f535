"""WebAuthn's attempt limits (Auth0's, ADR 008): per user, 15 challenges generated and then
15 a minute, and 15 failed verifications and then 15 a minute; passkey challenges, which name
no user, per client IP. Every refusal is `too_many_attempts` (429).

A guessed WebAuthn answer is worthless (it is a signature), so the failure bucket is about
noise and abuse, not brute force; the challenge bucket keeps one account from filling the
challenge table. Limiter calls open their own transactions: never call these inside one.
"""

from __future__ import annotations

from typing import NoReturn

from twofold.audit import events
from twofold.config import Bucket
from twofold.domain import AuditEntry
from twofold.errors import TooManyAttemptsError
from twofold.flows.login import ip_key
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.webauthn_state import Refusal


def challenge_key(user_id: str) -> str:
    return f"webauthn:challenge:{user_id}"


def failure_key(user_id: str) -> str:
    return f"webauthn:failure:{user_id}"


def passkey_key(ip: str | None) -> str:
    return f"webauthn:passkey:{ip or '-'}"


async def _admit(rt: Runtime, key: str, bucket: Bucket, refusal: AuditEntry) -> None:
    """Check, then charge one: a challenge that is refused costs nothing, and is audited."""
    now = rt.clock.now()
    try:
        await rt.limiter.check([(key, bucket)], now=now)
    except TooManyAttemptsError:
        async with rt.store.transaction() as tx:
            tx.record(refusal)
        raise
    await rt.limiter.fail(key, bucket, now=now)


async def admit_challenge(
    rt: Runtime, user_id: str, info: RequestInfo, *, client_id: str | None
) -> None:
    """Charge one generated challenge (registration or authentication) to the user."""
    refusal = events.WebauthnChallengeFailed(
        user_id=user_id,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        reason="too_many_attempts",
    ).entry()
    await _admit(rt, challenge_key(user_id), rt.settings.webauthn.challenges, refusal)


async def admit_passkey_challenge(rt: Runtime, info: RequestInfo, *, client_id: str | None) -> None:
    refusal = events.PasskeyLoginFailed(
        user_id=None,
        client_id=client_id,
        ip=info.ip,
        user_agent=info.user_agent,
        reason="too_many_attempts",
    ).entry()
    await _admit(rt, passkey_key(info.ip), rt.settings.webauthn.passkey_challenges_per_ip, refusal)


async def check_failures(rt: Runtime, user_id: str | None, info: RequestInfo) -> None:
    """Refuse while the user's failure bucket or the caller's IP bucket is empty."""
    keys = [(ip_key(info.ip), rt.settings.limits.token_endpoint_per_ip)]
    if user_id is not None:
        keys.append((failure_key(user_id), rt.settings.webauthn.failures))
    await rt.limiter.check(keys, now=rt.clock.now())


async def count_failure(rt: Runtime, user_id: str | None, info: RequestInfo) -> None:
    """Charge one failed verification to the user (when known) and to the caller's IP."""
    now = rt.clock.now()
    if user_id is not None:
        await rt.limiter.fail(failure_key(user_id), rt.settings.webauthn.failures, now=now)
    await rt.limiter.fail(ip_key(info.ip), rt.settings.limits.token_endpoint_per_ip, now=now)


async def refuse(rt: Runtime, refusal: Refusal, user_id: str | None, info: RequestInfo) -> NoReturn:
    """Raise a refusal once its transaction has committed, charged first to the failure
    buckets when it counts: every WebAuthn answer (second factor, registration, passkey) ends
    a refusal this way, so the buckets see each the same."""
    if refusal.counts:
        await count_failure(rt, user_id, info)
    raise refusal.error
