"""The refresh_token grant with rotation and reuse detection (RFC 6749 section 6, OAuth 2.0
Security BCP section 4.14.2).

Every use spends the presented token and issues its successor in the same grant. A spent
token that comes back means two parties hold the family: the whole grant is revoked, so the
newest token stops working too.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application, Grant, RefreshToken, User
from twofold.errors import InvalidRequestError, InvalidScopeError
from twofold.flows.exchanges import (
    REFRESH_TOKEN_REUSE,
    AuthFacts,
    Refusal,
    issue_refresh_token,
    refuse,
    revoke_on_reuse,
    run_exchange,
)
from twofold.flows.grants import GrantType
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import Binding, TokenSet, mint
from twofold.security import tokens
from twofold.store.uow import Tx

INVALID_REFRESH_TOKEN = "Unknown or invalid refresh token."  # noqa: S105 - a message


@dataclass(frozen=True, slots=True)
class RefreshExchange:
    client_id: str | None
    client_secret: str | None
    refresh_token: str | None
    scope: str | None
    """Optional: a narrower scope for this response's tokens (never a wider one)."""


@dataclass(frozen=True, slots=True)
class _Rotated:
    token: RefreshToken
    grant: Grant
    user: User
    scope: str
    successor: str


async def refresh_token_grant(
    rt: Runtime, exchange: RefreshExchange, info: RequestInfo
) -> TokenSet:
    if not exchange.refresh_token:
        raise InvalidRequestError("Missing required parameter: refresh_token")
    outcome = await run_exchange(
        rt,
        info,
        client_id=exchange.client_id,
        client_secret=exchange.client_secret,
        grant_type=GrantType.REFRESH_TOKEN,
        step=lambda tx, application: _rotate(rt, tx, application, exchange, info),
    )
    token = outcome.token
    # OIDC Core 12.2: the same subject, auth_time and amr as the original sign-in; no nonce.
    return mint(
        rt,
        user=outcome.user,
        client_id=token.client_id,
        audience=token.audience,
        scope=outcome.scope,
        amr=token.amr,
        auth_time=token.auth_time,
        binding=Binding(grant_id=token.grant_id, session_id=outcome.grant.session_id),
        refresh_token=outcome.successor,
    )


def narrowed_scope(granted: str, requested: str | None) -> str | None:
    """RFC 6749 section 6: the requested scope, if every part of it was granted; the
    granted scope when none is asked for; None when it asks for more."""
    if not requested or not requested.split():
        return granted
    wanted = list(dict.fromkeys(requested.split()))
    return " ".join(wanted) if set(wanted) <= set(granted.split()) else None


async def _rotate(
    rt: Runtime, tx: Tx, application: Application, exchange: RefreshExchange, info: RequestInfo
) -> _Rotated | Refusal:
    presented = exchange.refresh_token or ""
    token_hash = tokens.token_hash(presented)
    found = (
        await tx.refresh_tokens.with_grant(token_hash) if tokens.is_well_formed(presented) else None
    )
    user = await tx.users.get(found[0].user_id) if found else None
    if found is None or user is None:
        return _refuse(tx, info, application, None, Refusal("unknown", INVALID_REFRESH_TOKEN))
    token, grant = found
    if token.used_at is not None:
        return await _reused(rt, tx, info, application, token)
    scope = narrowed_scope(token.scope, exchange.scope)
    refusal = _check(rt, application, token, grant)
    if refusal is not None or scope is None:  # refused, or asks for more than was granted
        return _refuse(tx, info, application, token, refusal or _WIDER)
    if not await tx.refresh_tokens.spend(token_hash, now=rt.clock.now()):
        return await _reused(rt, tx, info, application, token)
    # The successor keeps the original scope and the family's absolute expiry; only this
    # response's tokens are narrowed.
    successor = await issue_refresh_token(rt, tx, _facts(token), expires_at=token.expires_at)
    tx.record(
        events.RefreshExchanged(
            user_id=token.user_id,
            client_id=application.client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            grant_id=token.grant_id,
            scope=scope,
        ).entry()
    )
    return _Rotated(token=token, grant=grant, user=user, scope=scope, successor=successor)


_WIDER = Refusal(
    "scope_widened", "The scope may only be narrowed on refresh.", error=InvalidScopeError
)


def _check(
    rt: Runtime, application: Application, token: RefreshToken, grant: Grant
) -> Refusal | None:
    if token.client_id != application.client_id:
        return Refusal("client_mismatch", INVALID_REFRESH_TOKEN)
    if grant.revoked_at is not None:
        return Refusal("grant_revoked", INVALID_REFRESH_TOKEN)
    if rt.clock.now() >= token.expires_at:
        return Refusal("expired", "Refresh token expired.")
    return None


def _facts(token: RefreshToken) -> AuthFacts:
    return AuthFacts(
        grant_id=token.grant_id,
        client_id=token.client_id,
        user_id=token.user_id,
        scope=token.scope,
        audience=token.audience,
        auth_time=token.auth_time,
        amr=token.amr,
        acr=token.acr,
    )


def _refuse(
    tx: Tx,
    info: RequestInfo,
    application: Application,
    token: RefreshToken | None,
    refusal: Refusal,
) -> Refusal:
    return refuse(tx, info, application, token, refusal, event=events.RefreshExchangeFailed)


async def _reused(
    rt: Runtime, tx: Tx, info: RequestInfo, application: Application, token: RefreshToken
) -> Refusal:
    return await revoke_on_reuse(
        rt,
        tx,
        info,
        application,
        token,
        event=events.RefreshReused,
        refusal=Refusal(REFRESH_TOKEN_REUSE, INVALID_REFRESH_TOKEN),
    )
