"""Seeding the OpenID Connect benchmark straight into the store (bench layer): signed-in
browser sessions, refresh tokens as a code exchange leaves them, and authorization codes
through `issue_code`, the call `/authorize` makes. See docs/performance.md.

Users are written in bulk as seeding.py writes them (one shared argon2 hash, an active TOTP
authenticator each); everything else goes through the flows' and repositories' own calls.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seeding import IP, PASSWORD, authenticator_row, user_row
from twofold.app import build_runtime, close_runtime
from twofold.cli.setup import prepare
from twofold.config import Settings
from twofold.domain import BrowserSession, Grant
from twofold.flows.clients import create_application
from twofold.flows.codes import issue_code, new_grant_id
from twofold.flows.exchanges import AuthFacts, issue_refresh_token
from twofold.flows.runtime import Runtime
from twofold.flows.sealing import seal
from twofold.flows.sessions import session_id
from twofold.flows.tokens import MULTI_FACTOR_ACR
from twofold.security import pkce, tokens
from twofold.store.tables import authenticators, users
from twofold.types import ClientId, UserId

REDIRECT_URI = "https://app.example.com/callback"
SCOPE = "openid profile email offline_access"
AMR = ("pwd", "otp", "mfa")
"""A sign-in that passed the password and a TOTP code."""
USER_AGENT = "twofold-bench"
BATCH = 500
"""Codes or refresh tokens written per transaction."""


@dataclass(frozen=True, slots=True)
class OidcClient:
    """The confidential (`regular_web`) application every seeded item belongs to."""

    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class CodeSeed:
    """An unused authorization code and the PKCE verifier that redeems it."""

    code: str
    verifier: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A user's browser session after the password and MFA: the grants' `sid`."""

    user_id: UserId
    session_id: str
    cookie: str
    """The `twofold_session` cookie value (the store keeps its SHA-256)."""


@dataclass(frozen=True, slots=True)
class OidcSeeded:
    client: OidcClient
    sessions: list[SignedIn]
    codes: list[CodeSeed]
    refresh_tokens: list[str]


async def seed_oidc(settings: Settings, *, users: int, codes: int, refresh: int) -> OidcSeeded:
    """`users` signed-in users (one session each), then `refresh` refresh tokens and
    `codes` codes spread over them. Codes come last: they expire `oidc.code_ttl` after
    they are issued, so pass settings with a TTL that outlasts the measured windows."""
    await prepare(settings, migrate_embedded=True)
    rt = await build_runtime(settings)
    try:
        made = await create_application(rt, name="bench-oidc", callbacks=[REDIRECT_URI])
        client = OidcClient(made.application.client_id, made.client_secret or "", REDIRECT_URI)
        signed_in = await _signed_in(rt, users)
        refresh_tokens = await _refresh_tokens(rt, client, signed_in, refresh)
        return OidcSeeded(
            client=client,
            sessions=signed_in,
            codes=await _codes(rt, client, signed_in, codes),
            refresh_tokens=refresh_tokens,
        )
    finally:
        await close_runtime(rt)


async def _signed_in(rt: Runtime, count: int) -> list[SignedIn]:
    """Users with an active TOTP authenticator, each with a session that passed MFA now."""
    password_hash = await rt.passwords.hash(PASSWORD)
    now = rt.clock.now()
    rows: dict[str, list[dict[str, Any]]] = {"u": [], "a": []}
    sessions: list[tuple[BrowserSession, str]] = []
    for _ in range(count):
        user_id = UserId(tokens.new_user_id())
        email = f"bench-{secrets.token_hex(8)}@example.com"
        rows["u"].append(user_row(user_id, email, password_hash, now))
        authenticator_id = tokens.new_authenticator_id("totp")
        sealed, key_id = seal(rt, authenticator_id, secrets.token_bytes(20))
        rows["a"].append(authenticator_row(authenticator_id, user_id, sealed, key_id, now))
        session = BrowserSession(
            id=session_id(),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(seconds=rt.settings.sessions.absolute_timeout),
            auth_time=now,
            mfa_time=now,
            amr=AMR,
            ip=IP,
            user_agent=USER_AGENT,
        )
        sessions.append((session, tokens.new_token()))
    async with rt.store.transaction() as tx:
        await tx.conn.execute(users.insert(), rows["u"])
        await tx.conn.execute(authenticators.insert(), rows["a"])
        for session, cookie in sessions:
            await tx.sessions.add(session, token_hash=tokens.token_hash(cookie))
    return [
        SignedIn(user_id=UserId(s.user_id or ""), session_id=s.id, cookie=cookie)
        for s, cookie in sessions
    ]


async def _codes(
    rt: Runtime, client: OidcClient, signed_in: Sequence[SignedIn], count: int
) -> list[CodeSeed]:
    """What `/authorize` issues at the end of a sign-in, with PKCE S256 and a nonce."""
    seeds: list[CodeSeed] = []
    for start in range(0, count, BATCH):
        async with rt.store.transaction() as tx:
            for index in range(start, min(start + BATCH, count)):
                owner = signed_in[index % len(signed_in)]
                verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636 4.1)
                code = await issue_code(
                    rt,
                    tx,
                    client_id=client.client_id,
                    user_id=owner.user_id,
                    redirect_uri=client.redirect_uri,
                    scope=SCOPE,
                    audience=rt.settings.userinfo_audience,
                    auth_time=rt.clock.now(),
                    amr=AMR,
                    acr=MULTI_FACTOR_ACR,
                    nonce=secrets.token_urlsafe(16),
                    code_challenge=pkce.s256(verifier),
                    code_challenge_method=pkce.S256,
                    session_id=owner.session_id,
                )
                seeds.append(CodeSeed(code=code, verifier=verifier))
    return seeds


async def _refresh_tokens(
    rt: Runtime, client: OidcClient, signed_in: Sequence[SignedIn], count: int
) -> list[str]:
    """A grant and its first refresh token each: what a code exchange leaves behind."""
    values: list[str] = []
    expires_at = rt.clock.now() + dt.timedelta(seconds=rt.settings.oidc.refresh_token_ttl)
    for start in range(0, count, BATCH):
        async with rt.store.transaction() as tx:
            for index in range(start, min(start + BATCH, count)):
                owner = signed_in[index % len(signed_in)]
                grant = Grant(
                    id=new_grant_id(),
                    client_id=ClientId(client.client_id),
                    user_id=owner.user_id,
                    created_at=rt.clock.now(),
                    session_id=owner.session_id,
                )
                await tx.grants.add(grant)
                facts = AuthFacts(
                    grant_id=grant.id,
                    client_id=grant.client_id,
                    user_id=grant.user_id,
                    scope=SCOPE,
                    audience=rt.settings.userinfo_audience,
                    auth_time=rt.clock.now(),
                    amr=AMR,
                    acr=MULTI_FACTOR_ACR,
                )
                values.append(await issue_refresh_token(rt, tx, facts, expires_at=expires_at))
    return values
