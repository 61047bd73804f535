"""Authorization codes: issued once `/authorize` has seen every step through, redeemed once
at `/oauth/token` (RFC 6749 section 4.1.3, RFC 7636 section 4.6).

A second redemption is theft: the grant the code started, and every token issued from it,
is revoked (OAuth 2.0 Security BCP section 4.2.4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application, AuthorizationCode, Grant, User
from twofold.errors import InvalidRequestError
from twofold.flows.exchanges import (
    CODE_REUSE,
    AuthFacts,
    Refusal,
    issue_refresh_token,
    may_refresh,
    refuse,
    revoke_on_reuse,
    run_exchange,
)
from twofold.flows.grants import GrantType
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tokens import Binding, TokenSet, mint
from twofold.security import pkce, tokens
from twofold.store.uow import Tx
from twofold.types import ClientId, UserId

INVALID_CODE = "Invalid authorization code."


def new_grant_id() -> str:
    """`grt_` and 32 random characters; never holds a `.` (access-token `jti`s split on it)."""
    return "grt_" + tokens.new_token()[:32]


async def issue_code(
    rt: Runtime,
    tx: Tx,
    *,
    client_id: str,
    user_id: str,
    redirect_uri: str,
    scope: str,
    audience: str,
    auth_time: dt.datetime,
    amr: Sequence[str],
    acr: str | None,
    nonce: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
    session_id: str | None,
) -> str:
    """Start a grant and its single-use code in the caller's transaction; the opaque code
    goes to the client, only its SHA-256 to the store. The one call `/authorize` makes once
    the user has passed every step; `redirect_uri` must be exactly the one it validated."""
    _require_s256(code_challenge, code_challenge_method)
    now = rt.clock.now()
    grant = Grant(
        id=new_grant_id(),
        client_id=ClientId(client_id),
        user_id=UserId(user_id),
        created_at=now,
        session_id=session_id,
    )
    code = AuthorizationCode(
        grant_id=grant.id,
        client_id=grant.client_id,
        user_id=grant.user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        audience=audience,
        auth_time=auth_time,
        amr=tuple(amr),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=rt.settings.oidc.code_ttl),
        code_challenge=code_challenge,
        code_challenge_method=pkce.S256 if code_challenge is not None else None,
        nonce=nonce,
        acr=acr,
        session_id=session_id,
    )
    value = tokens.new_token()
    await tx.grants.add(grant)
    await tx.codes.add(code, code_hash=tokens.token_hash(value))
    return value


def _require_s256(challenge: str | None, method: str | None) -> None:
    if challenge is not None and not (method == pkce.S256 and pkce.is_valid_challenge(challenge)):
        raise InvalidRequestError("code_challenge must be an S256 challenge (RFC 7636 4.2).")


@dataclass(frozen=True, slots=True)
class CodeExchange:
    client_id: str | None
    client_secret: str | None
    code: str | None
    redirect_uri: str | None
    code_verifier: str | None


@dataclass(frozen=True, slots=True)
class _Redeemed:
    code: AuthorizationCode
    user: User
    refresh_token: str | None


async def authorization_code_grant(
    rt: Runtime, exchange: CodeExchange, info: RequestInfo
) -> TokenSet:
    if not exchange.code:
        raise InvalidRequestError("Missing required parameter: code")
    if not exchange.redirect_uri:
        raise InvalidRequestError("Missing required parameter: redirect_uri")
    verifier = exchange.code_verifier
    if verifier is not None and not pkce.is_valid_verifier(verifier):
        raise InvalidRequestError(
            "code_verifier must be 43 to 128 unreserved characters (RFC 7636 4.1)."
        )
    outcome = await run_exchange(
        rt,
        info,
        client_id=exchange.client_id,
        client_secret=exchange.client_secret,
        grant_type=GrantType.AUTHORIZATION_CODE,
        step=lambda tx, application: _redeem(rt, tx, application, exchange, info),
    )
    code = outcome.code
    # Signed after the commit: no tokens for a redemption that did not persist.
    return mint(
        rt,
        user=outcome.user,
        client_id=code.client_id,
        audience=code.audience,
        scope=code.scope,
        amr=code.amr,
        auth_time=code.auth_time,
        binding=Binding(grant_id=code.grant_id, session_id=code.session_id, nonce=code.nonce),
        refresh_token=outcome.refresh_token,
    )


async def _redeem(
    rt: Runtime, tx: Tx, application: Application, exchange: CodeExchange, info: RequestInfo
) -> _Redeemed | Refusal:
    """Check, then spend with `WHERE used_at IS NULL`: of two concurrent redemptions one
    spends and the other is a reuse, on any number of nodes."""
    code_hash = tokens.token_hash(exchange.code or "")
    found = (
        await tx.codes.by_hash(code_hash) if tokens.is_well_formed(exchange.code or "") else None
    )
    grant = await tx.grants.get(found.grant_id) if found else None
    user = await tx.users.get(found.user_id) if found else None
    if found is None or grant is None or user is None:
        return _refuse(tx, info, application, None, Refusal("unknown", INVALID_CODE))
    if found.used_at is not None:
        return await _reused(rt, tx, info, application, found)
    refusal = _check(rt, application, found, grant, exchange)
    if refusal is not None:
        return _refuse(tx, info, application, found, refusal)
    if not await tx.codes.spend(code_hash, now=rt.clock.now()):
        return await _reused(rt, tx, info, application, found)
    refresh_token = None
    if may_refresh(application, found.scope):
        expires_at = rt.clock.now() + dt.timedelta(seconds=rt.settings.oidc.refresh_token_ttl)
        refresh_token = await issue_refresh_token(rt, tx, _facts(found), expires_at=expires_at)
    tx.record(
        events.CodeExchanged(
            user_id=found.user_id,
            client_id=application.client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            grant_id=found.grant_id,
            scope=found.scope,
        ).entry()
    )
    return _Redeemed(code=found, user=user, refresh_token=refresh_token)


def _facts(code: AuthorizationCode) -> AuthFacts:
    return AuthFacts(
        grant_id=code.grant_id,
        client_id=code.client_id,
        user_id=code.user_id,
        scope=code.scope,
        audience=code.audience,
        auth_time=code.auth_time,
        amr=code.amr,
        acr=code.acr,
    )


def _check(
    rt: Runtime,
    application: Application,
    code: AuthorizationCode,
    grant: Grant,
    exchange: CodeExchange,
) -> Refusal | None:
    """RFC 6749 4.1.3: issued to this client, unexpired, and for the same redirect URI."""
    if code.client_id != application.client_id:
        return Refusal("client_mismatch", INVALID_CODE)
    if rt.clock.now() >= code.expires_at:
        return Refusal("expired", "Authorization code expired.")
    if grant.revoked_at is not None:
        return Refusal("grant_revoked", INVALID_CODE)
    # Compared as sent, character for character: no normalisation (Security BCP 4.1.3).
    if exchange.redirect_uri != code.redirect_uri:
        return Refusal(
            "redirect_uri_mismatch", "redirect_uri does not match the one sent to /authorize."
        )
    return _check_pkce(application, code, exchange.code_verifier)


def _check_pkce(
    application: Application, code: AuthorizationCode, verifier: str | None
) -> Refusal | None:
    """RFC 7636 4.6. A verifier without a stored challenge is refused too: accepting it would
    let a downgrade (a code obtained without PKCE) pass as protected."""
    if code.code_challenge is None:
        if application.is_public:
            return Refusal("pkce_required", "A public client must use PKCE.")
        if verifier is not None:
            return Refusal("pkce_unexpected", "No code_challenge was sent to /authorize.")
        return None
    if verifier is None:
        return Refusal("pkce_missing", "Missing required parameter: code_verifier")
    if not pkce.verifies(verifier, code.code_challenge):
        return Refusal("pkce_mismatch", "Failed to verify code verifier.")
    return None


def _refuse(
    tx: Tx,
    info: RequestInfo,
    application: Application,
    code: AuthorizationCode | None,
    refusal: Refusal,
) -> Refusal:
    return refuse(tx, info, application, code, refusal, event=events.CodeExchangeFailed)


async def _reused(
    rt: Runtime, tx: Tx, info: RequestInfo, application: Application, code: AuthorizationCode
) -> Refusal:
    return await revoke_on_reuse(
        rt,
        tx,
        info,
        application,
        code,
        event=events.CodeReused,
        refusal=Refusal(CODE_REUSE, INVALID_CODE),
    )
