"""What the code and refresh-token grants share: refusals, the endpoint's per-IP failure
bucket, and minting a refresh token into a grant (ADR 006)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from twofold.audit import events
from twofold.domain import Application, RefreshToken
from twofold.errors import InvalidGrantError, TwofoldError
from twofold.flows.clients import authenticate_client
from twofold.flows.grants import GrantType
from twofold.flows.login import ip_key
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import ClientId, UserId

OFFLINE_ACCESS = "offline_access"
CODE_REUSE = "code_reuse"
REFRESH_TOKEN_REUSE = "refresh_token_reuse"  # noqa: S105 - a revocation reason, not a secret
"""Why a grant was revoked (`grants.revoked_reason`)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """An `invalid_grant` decided inside a transaction that must still commit (the audit
    event, a revoked grant), raised once it has."""

    reason: str
    """For the audit log only."""
    description: str
    """For the client: never says more than the client already knows."""
    error: type[TwofoldError] = InvalidGrantError

    def as_error(self) -> TwofoldError:
        return self.error(self.description)


class Held(Protocol):
    """A presented code or refresh token: whose it is and which family it belongs to."""

    @property
    def user_id(self) -> UserId: ...

    @property
    def grant_id(self) -> str: ...


FailedEvent = type[events.CodeExchangeFailed] | type[events.RefreshExchangeFailed]
ReusedEvent = type[events.CodeReused] | type[events.RefreshReused]


def refuse(
    tx: Tx,
    info: RequestInfo,
    application: Application,
    held: Held | None,
    refusal: Refusal,
    *,
    event: FailedEvent,
) -> Refusal:
    """Audit a refused exchange (in the transaction that must still commit) and return it."""
    tx.record(
        event(
            user_id=held.user_id if held else None,
            client_id=application.client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            grant_id=held.grant_id if held else None,
            reason=refusal.reason,
        ).entry()
    )
    return refusal


async def revoke_on_reuse(
    rt: Runtime,
    tx: Tx,
    info: RequestInfo,
    application: Application,
    held: Held,
    *,
    event: ReusedEvent,
    refusal: Refusal,
) -> Refusal:
    """A spent code or refresh token came back. The server cannot tell the thief from the
    victim, so the whole family ends for both (OAuth 2.0 Security BCP 4.2.4 and 4.14.2)."""
    revoked = await tx.grants.revoke(held.grant_id, now=rt.clock.now(), reason=refusal.reason)
    tx.record(
        event(
            user_id=held.user_id,
            client_id=application.client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            grant_id=held.grant_id,
            revoked=revoked,
        ).entry()
    )
    return refusal


Outcome = TypeVar("Outcome")


async def run_exchange(
    rt: Runtime,
    info: RequestInfo,
    *,
    client_id: str | None,
    client_secret: str | None,
    grant_type: GrantType,
    step: Callable[[Tx, Application], Awaitable[Outcome | Refusal]],
) -> Outcome:
    """Authenticate the client and run one exchange in a transaction. A refusal commits (its
    audit event, a revoked family) before it is raised; every failure charges the per-IP
    bucket of the token endpoint."""
    await check_endpoint_limit(rt, info)
    try:
        async with rt.store.transaction() as tx:
            application = await authenticate_client(
                tx, client_id=client_id, client_secret=client_secret, grant_type=grant_type
            )
            outcome = await step(tx, application)
    except TwofoldError:
        await count_endpoint_failure(rt, info)
        raise
    if isinstance(outcome, Refusal):
        await count_endpoint_failure(rt, info)
        raise outcome.as_error()
    return outcome


async def check_endpoint_limit(rt: Runtime, info: RequestInfo) -> None:
    """The token endpoint's per-IP bucket, shared with every other grant."""
    limit = rt.settings.limits.token_endpoint_per_ip
    await rt.limiter.check([(ip_key(info.ip), limit)], now=rt.clock.now())


async def count_endpoint_failure(rt: Runtime, info: RequestInfo) -> None:
    limit = rt.settings.limits.token_endpoint_per_ip
    await rt.limiter.fail(ip_key(info.ip), limit, now=rt.clock.now())


def may_refresh(application: Application, scope: str) -> bool:
    """A refresh token only for `offline_access` and a client allowed the refresh grant."""
    return (
        OFFLINE_ACCESS in scope.split() and GrantType.REFRESH_TOKEN.value in application.grant_types
    )


@dataclass(frozen=True, slots=True)
class AuthFacts:
    """What the tokens of one grant say about the sign-in; every refresh repeats them."""

    grant_id: str
    client_id: ClientId
    user_id: UserId
    scope: str
    audience: str
    auth_time: dt.datetime
    amr: Sequence[str]
    acr: str | None


async def issue_refresh_token(
    rt: Runtime, tx: Tx, facts: AuthFacts, *, expires_at: dt.datetime
) -> str:
    """A new link in the grant's family; only its SHA-256 is stored.

    `expires_at` is the family's: a rotation never extends the absolute lifetime
    (`TWOFOLD_OIDC__REFRESH_TOKEN_TTL`), so a stolen token cannot be kept alive forever.
    """
    token = tokens.new_token()
    await tx.refresh_tokens.add(
        RefreshToken(
            grant_id=facts.grant_id,
            client_id=facts.client_id,
            user_id=facts.user_id,
            scope=facts.scope,
            audience=facts.audience,
            auth_time=facts.auth_time,
            amr=tuple(facts.amr),
            acr=facts.acr,
            created_at=rt.clock.now(),
            expires_at=expires_at,
        ),
        token_hash=tokens.token_hash(token),
    )
    return token
