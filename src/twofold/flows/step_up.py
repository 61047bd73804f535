"""The one step-up decision: what a sign-in still needs from this browser (ADR 006).

Pure: it takes the facts (the request's demands, the session, the user's factors, a
remembered browser) and returns the next step, so every page and `/authorize` agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from twofold.domain import BrowserSession
from twofold.types import Amr


class Step(StrEnum):
    LOGIN = "login"
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


@dataclass(frozen=True, slots=True)
class Demands:
    mfa: MfaDemand
    max_age: int | None = None
    force_login: bool = False
    """`prompt=login` not yet honoured in this sign-in."""


@dataclass(frozen=True, slots=True)
class Facts:
    session: BrowserSession
    has_factor: bool
    remembered: bool = False


def last_authentication(session: BrowserSession) -> dt.datetime | None:
    """The newest of the password and the MFA times: what `max_age` counts from."""
    times = [t for t in (session.auth_time, session.mfa_time) if t is not None]
    return max(times) if times else None


def _older_than(moment: dt.datetime | None, max_age: int | None, now: dt.datetime) -> bool:
    if max_age is None:
        return False
    return moment is None or (now - moment).total_seconds() > max_age


def next_step(demands: Demands, facts: Facts, *, now: dt.datetime) -> Step:
    session = facts.session
    if session.user_id is None or demands.force_login:
        return Step.LOGIN
    mfa_needed = demands.mfa in (MfaDemand.POLICY, MfaDemand.EXPLICIT) or (
        demands.mfa == MfaDemand.IF_ENROLLED and facts.has_factor
    )
    if not mfa_needed:
        stale = _older_than(last_authentication(session), demands.max_age, now)
        return Step.LOGIN if stale else Step.DONE
    if not facts.has_factor:
        return Step.ENROL
    if session.mfa_time is not None and not _older_than(session.mfa_time, demands.max_age, now):
        return Step.DONE
    # Auth0's rule: a remembered browser stands in for the tenant policy only, never for an
    # application that asked for MFA or for a fresh authentication.
    if demands.mfa == MfaDemand.POLICY and demands.max_age is None and facts.remembered:
        return Step.DONE
    return Step.CHALLENGE


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
