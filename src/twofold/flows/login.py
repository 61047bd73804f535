"""First factor: the password grants, ending in tokens or in `mfa_required`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import MfaTransaction, User
from twofold.errors import InvalidCredentialsError, InvalidRequestError, MfaRequiredError
from twofold.flows.clients import authenticate_client
from twofold.flows.grants import DEFAULT_REALM, GrantType
from twofold.flows.mfa_state import mfa_requirements
from twofold.flows.policy_check import (
    Device,
    PolicyDeniedError,
    UnsatisfiablePolicyError,
    VerifyByEmailError,
    allowed,
    check_policy,
    needs_email_verification,
    record_success,
)
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_channels, enabled_types
from twofold.flows.tokens import TokenSet, granted_scope, mint, resolve_audience
from twofold.policy.engine import Outcome
from twofold.security import tokens
from twofold.types import Amr, TransactionId


@dataclass(frozen=True, slots=True)
class PasswordLogin:
    grant_type: str
    client_id: str | None
    client_secret: str | None
    username: str
    password: str
    audience: str | None = None
    scope: str | None = None
    realm: str | None = None


def first_factor_key(email: str, ip: str | None) -> str:
    """The (user, IP) pair whose failures Auth0's brute-force protection counts."""
    return f"ff:{email}:{ip or '-'}"


def ip_key(ip: str | None) -> str:
    return f"ip:{ip or '-'}"


async def password_grant(rt: Runtime, login: PasswordLogin, info: RequestInfo) -> TokenSet:
    if login.grant_type == GrantType.PASSWORD_REALM and login.realm != DEFAULT_REALM:
        raise InvalidRequestError(f"Unknown realm. The only realm is {DEFAULT_REALM}.")
    now = rt.clock.now()
    email = normal_email(login.username)
    await check_password_limits(rt, email, info)
    async with rt.store.read() as tx:
        application = await authenticate_client(
            tx,
            client_id=login.client_id,
            client_secret=login.client_secret,
            grant_type=login.grant_type,
        )
        user = await tx.users.by_email(email)
    audience = resolve_audience(rt.settings, login.audience)
    scope = granted_scope(rt.settings, audience=audience, requested=login.scope)
    user = await verify_password(
        rt,
        email=email,
        user=user,
        password=login.password,
        client_id=application.client_id,
        info=info,
    )
    check = await check_policy(
        rt,
        user=user,
        application=application,
        info=info,
        device=Device(cookie=None, user_agent=info.user_agent),
    )
    decided = check.event("token", user_id=user.id, client_id=application.client_id, info=info)
    outcome = check.decision.outcome
    if outcome is Outcome.DENY or needs_email_verification(check):
        async with rt.store.transaction() as tx:
            tx.record(decided.entry())
        raise PolicyDeniedError if outcome is Outcome.DENY else VerifyByEmailError
    if outcome is Outcome.SKIP:
        async with rt.store.transaction() as tx:
            await record_success(rt, tx, user_id=user.id, ip=info.ip, state=check.state())
            tx.record(decided.entry())
            tx.record(
                events.LoginSucceeded(
                    user_id=user.id,
                    client_id=application.client_id,
                    ip=info.ip,
                    user_agent=info.user_agent,
                    amr=(Amr.PWD.value,),
                    risk_assessment=check.risk.to_json(),
                ).entry()
            )
        return mint(
            rt,
            user=user,
            client_id=application.client_id,
            audience=audience,
            scope=scope,
            amr=(Amr.PWD.value,),
            auth_time=now,
        )
    token = tokens.new_token()
    state = check.state()
    transaction = MfaTransaction(
        id=TransactionId(tokens.new_transaction_id()),
        user_id=user.id,
        client_id=application.client_id,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=rt.settings.tokens.mfa_token_ttl),
        auth_time=now,
        audience=audience,
        scope=scope,
        amr=(Amr.PWD.value,),
        ip=info.ip,
        policy=state,
    )
    async with rt.store.transaction() as tx:
        items = await tx.authenticators.for_user(user.id)
        requirements = mfa_requirements(
            [item for item in items if allowed(state, item.type)],
            enabled={kind for kind in await enabled_types(tx) if allowed(state, kind)},
            channels=await enabled_channels(tx),
        )
        tx.record(decided.entry())
        # A rule accepting only factors the tenant has switched off: an `mfa_token` that
        # nothing could answer or enrol would be a dead end, so the login is refused.
        unsatisfiable = bool(check.decision.factors) and not any(requirements.values())
        if not unsatisfiable:
            await tx.transactions.add(transaction, token_hash=tokens.token_hash(token))
            tx.record(
                events.MfaRequired(
                    user_id=user.id,
                    client_id=application.client_id,
                    ip=info.ip,
                    user_agent=info.user_agent,
                    reasons=check.decision.reasons,
                ).entry()
            )
    if unsatisfiable:
        raise UnsatisfiablePolicyError
    raise MfaRequiredError(token, requirements)


def normal_email(username: str) -> str:
    return username.strip().lower()


async def check_password_limits(rt: Runtime, email: str, info: RequestInfo) -> None:
    """Refuse before any work when the (user, IP) pair or the IP is blocked."""
    limits = rt.settings.limits
    await rt.limiter.check(
        [
            (first_factor_key(email, info.ip), limits.first_factor_failures),
            (ip_key(info.ip), limits.token_endpoint_per_ip),
        ],
        now=rt.clock.now(),
    )


async def verify_password(
    rt: Runtime,
    *,
    email: str,
    user: User | None,
    password: str,
    client_id: str | None,
    info: RequestInfo,
) -> User:
    """The password check shared by the password grant and the hosted login page.

    A missing user costs one argon2 verification too, so timing does not reveal accounts.
    """
    if user is None:
        await rt.passwords.verify_missing_user(password)
    if user is None or not await rt.passwords.verify(user.password_hash, password):
        await _record_failure(rt, email=email, user=user, client_id=client_id, info=info)
        raise InvalidCredentialsError
    # Auth0 counts *consecutive* failures: a right password clears the pair's count.
    await rt.limiter.reset(first_factor_key(email, info.ip))
    if rt.passwords.needs_rehash(user.password_hash):
        # The argon2 cost was raised since this hash was made: upgrade it while we have the
        # password in hand (the only moment we ever do).
        rehashed = await rt.passwords.hash(password)
        async with rt.store.transaction() as tx:
            await tx.users.set_password(user.id, rehashed, now=rt.clock.now())
    return user


async def _record_failure(
    rt: Runtime, *, email: str, user: User | None, client_id: str | None, info: RequestInfo
) -> None:
    now = rt.clock.now()
    limits = rt.settings.limits
    blocked = await rt.limiter.fail(
        first_factor_key(email, info.ip), limits.first_factor_failures, now=now
    )
    await rt.limiter.fail(ip_key(info.ip), limits.token_endpoint_per_ip, now=now)
    async with rt.store.transaction() as tx:
        tx.record(
            events.LoginFailed(
                user_id=user.id if user else None,
                client_id=client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                username=email,
                reason="wrong_password" if user else "unknown_user",
            ).entry()
        )
        if blocked:
            tx.record(
                events.FirstFactorBlocked(
                    user_id=user.id if user else None,
                    client_id=client_id,
                    ip=info.ip,
                    user_agent=info.user_agent,
                    username=email,
                ).entry()
            )
