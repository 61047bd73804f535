"""Browser sessions of the hosted pages, and remembered browsers (ADR 006).

The cookie holds a 256-bit random token; the database keeps its SHA-256, so a stolen
database opens no session. A session gets a new token when a user signs in (no fixation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import BrowserSession, RememberedBrowser, User
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.security import tokens
from twofold.types import UserId

TOUCH_EVERY = dt.timedelta(minutes=5)
"""`last_seen_at` is written at most this often: idle expiry needs no finer grain."""


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A live session and the token its cookie must hold (new after a sign-in)."""

    session: BrowserSession
    token: str


def session_id() -> str:
    return "ses_" + tokens.new_token()[:32]


async def start_session(rt: Runtime, info: RequestInfo) -> OpenSession:
    """A new anonymous session: the anchor for CSRF tokens and the sign-in in flight."""
    now = rt.clock.now()
    token = tokens.new_token()
    session = BrowserSession(
        id=session_id(),
        user_id=None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=rt.settings.sessions.absolute_timeout),
        ip=info.ip,
        user_agent=info.user_agent,
    )
    async with rt.store.transaction() as tx:
        await tx.sessions.add(session, token_hash=tokens.token_hash(token))
    return OpenSession(session=session, token=token)


def is_live(rt: Runtime, session: BrowserSession) -> bool:
    now = rt.clock.now()
    idle = dt.timedelta(seconds=rt.settings.sessions.idle_timeout)
    return now < session.expires_at and now < session.last_seen_at + idle


async def open_session(rt: Runtime, token: str | None) -> OpenSession | None:
    """The live session behind a cookie token; None for a missing, unknown or ended one."""
    if not token or not tokens.is_well_formed(token):
        return None
    async with rt.store.read() as tx:
        session = await tx.sessions.by_token_hash(tokens.token_hash(token))
    if session is None or not is_live(rt, session):
        return None
    now = rt.clock.now()
    if now - session.last_seen_at >= TOUCH_EVERY:
        async with rt.store.transaction() as tx:
            await tx.sessions.touch(session.id, now=now)
        session = dataclasses.replace(session, last_seen_at=now)
    return OpenSession(session=session, token=token)


async def sign_in(rt: Runtime, current: OpenSession, user: User) -> OpenSession:
    """Bind the session to `user` after the password step, under a fresh token."""
    return await _bind(rt, current, user, ("pwd",), with_mfa=False)


async def sign_in_with_both(
    rt: Runtime, current: OpenSession, user: User, amr: Sequence[str]
) -> OpenSession:
    """Bind the session to `user` after one gesture that proved both factors (a passkey with
    user verification, `amr` ending in `mfa`): the sign-in and its MFA at once, under a fresh
    token. No `pwd`: no password was given."""
    return await _bind(rt, current, user, tuple(dict.fromkeys((*amr, "mfa"))), with_mfa=True)


async def _bind(
    rt: Runtime, current: OpenSession, user: User, amr: tuple[str, ...], *, with_mfa: bool
) -> OpenSession:
    """Bind the session to `user` with `amr`, under a fresh token (the one the browser held
    before the sign-in is worthless after it); `with_mfa`, the MFA is recorded in the same
    transaction, else the session has none yet."""
    now = rt.clock.now()
    token = tokens.new_token()
    async with rt.store.transaction() as tx:
        await tx.sessions.sign_in(
            current.session.id,
            token_hash=tokens.token_hash(token),
            user_id=user.id,
            auth_time=now,
            amr=amr,
        )
        if with_mfa:
            await tx.sessions.record_mfa(current.session.id, mfa_time=now, amr=amr)
    session = dataclasses.replace(
        current.session,
        user_id=user.id,
        auth_time=now,
        last_seen_at=now,
        mfa_time=now if with_mfa else None,
        amr=amr,
    )
    return OpenSession(session=session, token=token)


async def record_mfa(rt: Runtime, current: OpenSession, amr: Sequence[str]) -> OpenSession:
    """Note a passed MFA (its time and methods): what step-up is judged against later."""
    now = rt.clock.now()
    methods = tuple(dict.fromkeys((*current.session.amr, *amr, "mfa")))
    async with rt.store.transaction() as tx:
        await tx.sessions.record_mfa(current.session.id, mfa_time=now, amr=methods)
    session = dataclasses.replace(current.session, mfa_time=now, amr=methods, last_seen_at=now)
    return OpenSession(session=session, token=current.token)


async def end_session(rt: Runtime, session: BrowserSession, info: RequestInfo) -> None:
    async with rt.store.transaction() as tx:
        await tx.sessions.delete(session.id)
        if session.user_id is not None:
            tx.record(
                events.LogoutSucceeded(
                    user_id=session.user_id, ip=info.ip, user_agent=info.user_agent
                ).entry()
            )


# ---- remember this browser ------------------------------------------------------------------


def remember_allowed(rt: Runtime, remember: bool | int | None) -> bool:
    """Whether a sign-in may remember (and be let through by) a browser: a rule's `False`
    never, a rule's days always, else the tenant's setting."""
    if remember is False:
        return False
    if isinstance(remember, int) and not isinstance(remember, bool):
        return True
    return rt.settings.sessions.remember_browser


def remember_days(rt: Runtime, remember: bool | int | None) -> int:
    """How long a browser remembered now lasts: the rule's days, else the tenant's."""
    if isinstance(remember, int) and not isinstance(remember, bool):
        return remember
    return rt.settings.sessions.remember_days


async def remember_browser(
    rt: Runtime,
    user_id: UserId,
    amr: Sequence[str],
    info: RequestInfo,
    *,
    days: int | None = None,
) -> str:
    """Remember this browser for the user for `days` (the tenant's when None); returns the
    cookie token (shown to no one else)."""
    now = rt.clock.now()
    lifetime = days if days is not None else rt.settings.sessions.remember_days
    token = tokens.new_token()
    item = RememberedBrowser(
        id="rb_" + tokens.new_token()[:24],
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=now + dt.timedelta(days=lifetime),
        amr=tuple(amr),
        ip=info.ip,
        user_agent=info.user_agent,
    )
    async with rt.store.transaction() as tx:
        await tx.remembered.add(item, token_hash=tokens.token_hash(token))
        tx.record(
            events.BrowserRemembered(
                user_id=user_id, ip=info.ip, user_agent=info.user_agent, remembered_id=item.id
            ).entry()
        )
    return token


async def remembered_for(
    rt: Runtime, token: str | None, user_id: str, *, enabled: bool | None = None
) -> RememberedBrowser | None:
    """The live remembered browser behind `token` for this user, touched; else None.

    Lapses 30 days after it was made, or after 7 days unused (Auth0's rule). `enabled`
    (`remember_allowed` for a sign-in's decision) overrides the tenant's setting.
    """
    on = rt.settings.sessions.remember_browser if enabled is None else enabled
    if not on or not token or not tokens.is_well_formed(token):
        return None
    now = rt.clock.now()
    idle = dt.timedelta(days=rt.settings.sessions.remember_idle_days)
    async with rt.store.read() as tx:
        found = await tx.remembered.by_token_hash(tokens.token_hash(token))
    if found is None or found.user_id != user_id:
        return None
    if now >= found.expires_at or now >= found.last_used_at + idle:
        return None
    async with rt.store.transaction() as tx:
        await tx.remembered.touch(found.id, now=now)
    return dataclasses.replace(found, last_used_at=now)


async def forget_browser(
    rt: Runtime, user_id: UserId, remembered_id: str, info: RequestInfo
) -> bool:
    async with rt.store.transaction() as tx:
        removed = await tx.remembered.delete(remembered_id, user_id=user_id)
        if removed:
            tx.record(
                events.BrowserForgotten(
                    user_id=user_id,
                    ip=info.ip,
                    user_agent=info.user_agent,
                    remembered_id=remembered_id,
                ).entry()
            )
    return removed
