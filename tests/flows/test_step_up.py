"""The step-up decision, fact by fact (ADR 006): pure, so every case is one line."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.domain import BrowserSession
from twofold.flows.step_up import Demands, Facts, MfaDemand, Step, next_step, proof_of
from twofold.types import UserId

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def a_session(
    *, user: bool = True, password_ago: int = 600, mfa_ago: int | None = None
) -> BrowserSession:
    return BrowserSession(
        id="ses_1",
        user_id=UserId("auth0|u1") if user else None,
        created_at=NOW - dt.timedelta(days=1),
        last_seen_at=NOW,
        expires_at=NOW + dt.timedelta(days=1),
        auth_time=NOW - dt.timedelta(seconds=password_ago) if user else None,
        mfa_time=None if mfa_ago is None else NOW - dt.timedelta(seconds=mfa_ago),
        amr=("pwd",) if mfa_ago is None else ("pwd", "otp", "mfa"),
    )


Case = tuple[MfaDemand, int | None, bool, dict[str, int | bool], bool, bool, Step]

CASES: list[Case] = [
    # (demand, max_age, force_login, session kwargs, has_factor, remembered) -> step
    (MfaDemand.NONE, None, False, {"user": False}, False, False, Step.LOGIN),
    (MfaDemand.NONE, None, True, {}, False, False, Step.LOGIN),
    (MfaDemand.NONE, None, False, {}, False, False, Step.DONE),
    (MfaDemand.NONE, 300, False, {"password_ago": 600}, False, False, Step.LOGIN),
    (MfaDemand.NONE, 300, False, {"password_ago": 600, "mfa_ago": 60}, True, False, Step.DONE),
    (MfaDemand.POLICY, None, False, {}, False, False, Step.ENROL),
    (MfaDemand.POLICY, None, False, {}, True, False, Step.CHALLENGE),
    (MfaDemand.POLICY, None, False, {}, True, True, Step.DONE),
    (MfaDemand.POLICY, 300, False, {}, True, True, Step.CHALLENGE),
    (MfaDemand.POLICY, None, False, {"mfa_ago": 5000}, True, False, Step.DONE),
    (MfaDemand.POLICY, 300, False, {"mfa_ago": 5000}, True, False, Step.CHALLENGE),
    (MfaDemand.POLICY, 300, False, {"password_ago": 9000, "mfa_ago": 60}, True, False, Step.DONE),
    (MfaDemand.EXPLICIT, None, False, {}, True, True, Step.CHALLENGE),
    (MfaDemand.EXPLICIT, None, False, {"mfa_ago": 60}, True, False, Step.DONE),
    (MfaDemand.EXPLICIT, None, False, {}, False, False, Step.ENROL),
    (MfaDemand.IF_ENROLLED, None, False, {}, False, False, Step.DONE),
    (MfaDemand.IF_ENROLLED, None, False, {}, True, False, Step.CHALLENGE),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[-1]}-{n}" for n, c in enumerate(CASES)])
def test_next_step(case: Case) -> None:
    demand, max_age, force_login, session, has_factor, remembered, expected = case
    demands = Demands(mfa=demand, max_age=max_age, force_login=force_login)
    facts = Facts(
        session=a_session(**session),  # type: ignore[arg-type]
        has_factor=has_factor,
        remembered=remembered,
    )
    assert next_step(demands, facts, now=NOW) == expected


def test_proof_claims_mfa_only_after_an_mfa_in_the_session() -> None:
    password_only = proof_of(a_session(password_ago=100))
    assert password_only.amr == ("pwd",)
    assert password_only.auth_time == NOW - dt.timedelta(seconds=100)
    with_mfa = proof_of(a_session(password_ago=100, mfa_ago=40))
    assert with_mfa.amr == ("pwd", "otp", "mfa")
    assert with_mfa.auth_time == NOW - dt.timedelta(seconds=40)


def test_an_anonymous_session_proves_nothing() -> None:
    with pytest.raises(ValueError, match="anonymous"):
        proof_of(a_session(user=False))
