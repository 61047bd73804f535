"""The one step-up decision: what a sign-in still needs from this browser (ADR 006).

Pure: it takes the facts (the request's demands, the session, the user's factors, a
remembered browser) and returns the next step, so every page and `/authorize` agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from twofold.domain import BrowserSession
from twofold.types import Amr, FactorType


class Step(StrEnum):
    LOGIN = "login"
    DENIED = "denied"
    """The sign-in policy refuses: back to the client with `access_denied`."""
    VERIFY_EMAIL = "verify_email"
    """Adaptive MFA, low confidence, no factor: prove the account's email address first."""
    ENROL = "enrol"
    CHALLENGE = "challenge"
    DONE = "done"


class MfaDemand(StrEnum):
    NONE = "none"
    """Neither the tenant policy nor the application asks for MFA."""
    POLICY = "policy"
    """The tenant policy asks: a remembered browser may satisfy it."""
    EXPLICIT = "explicit"
    """The application asked (`acr_values`): only an MFA in this session satisfies it."""
    IF_ENROLLED = "if_enrolled"
    """The account pages: MFA when the user has a factor; no forced enrolment."""


Remember = bool | int | None
"""A decision's remember-browser permission: None the tenant's default, False never, or a
number of days (True is never stored; it reads as the tenant's default)."""


@dataclass(frozen=True, slots=True)
class Demands:
    mfa: MfaDemand
    max_age: int | None = None
    force_login: bool = False
    """`prompt=login` not yet honoured in this sign-in."""
    denied: bool = False
    """The policy decision was `deny`."""
    verify_email: bool = False
    """The decision asks for the account's email to be verified, and it is not yet."""
    factors: tuple[FactorType, ...] = ()
    """The factor types the decision accepts (empty: any)."""
    mfa_max_age: int | None = None
    """The deciding rule's `max_age`: an older MFA is asked again."""
    remember: Remember = None
    started_at: dt.datetime | None = None
    """When this authorization request began: with a factor restriction, only an MFA passed
    since then counts (the session does not record which factor it was)."""


@dataclass(frozen=True, slots=True)
class Facts:
    session: BrowserSession
    has_factor: bool
    """An active factor the decision accepts and the pages can ask for."""
    remembered_at: dt.datetime | None = None
    """When the live remembered browser of this user was made (None: none)."""


def last_authentication(session: BrowserSession) -> dt.datetime | None:
    """The newest of the password and the MFA times: what `max_age` counts from."""
    times = [t for t in (session.auth_time, session.mfa_time) if t is not None]
    return max(times) if times else None


def _older_than(moment: dt.datetime | None, max_age: int | None, now: dt.datetime) -> bool:
    if max_age is None:
        return False
    return moment is None or (now - moment).total_seconds() > max_age


def _first_steps(demands: Demands, session: BrowserSession) -> Step | None:
    """The steps that come before any MFA: the password, the policy's deny, and Adaptive's
    email check (before any enrolment: a stolen password must not enrol a thief's factor)."""
    if session.user_id is None or demands.force_login:
        return Step.LOGIN
    if demands.denied:
        return Step.DENIED
    if demands.verify_email:
        return Step.VERIFY_EMAIL
    return None


def next_step(demands: Demands, facts: Facts, *, now: dt.datetime) -> Step:
    session = facts.session
    first = _first_steps(demands, session)
    if first is not None:
        return first
    mfa_needed = demands.mfa in (MfaDemand.POLICY, MfaDemand.EXPLICIT) or (
        demands.mfa == MfaDemand.IF_ENROLLED and facts.has_factor
    )
    if not mfa_needed:
        stale = _older_than(last_authentication(session), demands.max_age, now)
        return Step.LOGIN if stale else Step.DONE
    if not facts.has_factor:
        return Step.ENROL
    if _mfa_counts(demands, session, now) or _remembered_counts(demands, facts, now):
        return Step.DONE
    return Step.CHALLENGE


def _mfa_counts(demands: Demands, session: BrowserSession, now: dt.datetime) -> bool:
    """The session's MFA, unless older than the request's or the rule's `max_age`, or, under
    a factor restriction, passed before this request began (it may have been another factor)."""
    mfa_time = session.mfa_time
    if mfa_time is None:
        return False
    if _older_than(mfa_time, demands.max_age, now) or _older_than(
        mfa_time, demands.mfa_max_age, now
    ):
        return False
    if demands.factors:
        return demands.started_at is not None and mfa_time >= demands.started_at
    return True


def _remembered_counts(demands: Demands, facts: Facts, now: dt.datetime) -> bool:
    """Auth0's rule: a remembered browser stands in for the tenant policy (or a rule) only,
    never for an application that asked for MFA or for a fresh authentication; a rule may
    forbid it (`False`) or shorten it (days since the browser was remembered)."""
    made = facts.remembered_at
    if made is None or demands.mfa != MfaDemand.POLICY or demands.remember is False:
        return False
    if demands.max_age is not None or demands.mfa_max_age is not None:
        return False
    days = demands.remember
    if isinstance(days, int) and not isinstance(days, bool):
        return now - made <= dt.timedelta(days=days)
    return True


@dataclass(frozen=True, slots=True)
class Proof:
    """What the tokens may claim about this sign-in (`amr`, `auth_time`)."""

    amr: tuple[str, ...]
    auth_time: dt.datetime


def proof_of(session: BrowserSession) -> Proof:
    """A session's MFA counts once passed; a remembered browser never claims `mfa`."""
    if session.auth_time is None:
        raise ValueError("an anonymous session proves nothing")
    if session.mfa_time is None:
        return Proof(amr=(Amr.PWD.value,), auth_time=session.auth_time)
    amr = session.amr if Amr.MFA.value in session.amr else (*session.amr, Amr.MFA.value)
    return Proof(amr=tuple(amr), auth_time=max(session.auth_time, session.mfa_time))
