"""The step-up decision, fact by fact (ADR 006): pure, so every case is one line."""

from __future__ import annotations

import datetime as dt

import pytest

from twofold.domain import BrowserSession
from twofold.flows.step_up import Demands, Facts, MfaDemand, Step, next_step, proof_of
from twofold.types import FactorType, UserId

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
        remembered_at=NOW - dt.timedelta(days=1) if remembered else None,
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


PolicyCase = tuple[str, Demands, dict[str, int | bool], bool, int | None, Step]
STARTED = NOW - dt.timedelta(seconds=120)
"""When the authorization request of the policy cases began."""

POLICY_CASES: list[PolicyCase] = [
    # (name, demands, session kwargs, has_factor, remembered days ago, expected)
    ("deny", Demands(MfaDemand.POLICY, denied=True), {"mfa_ago": 10}, True, None, Step.DENIED),
    ("deny-beats-acr", Demands(MfaDemand.EXPLICIT, denied=True), {}, True, None, Step.DENIED),
    (
        "deny-after-login",
        Demands(MfaDemand.NONE, denied=True),
        {"user": False},
        False,
        None,
        Step.LOGIN,
    ),
    (
        "verify-email",
        Demands(MfaDemand.POLICY, verify_email=True),
        {},
        False,
        None,
        Step.VERIFY_EMAIL,
    ),
    (
        "verify-before-enrol",
        Demands(MfaDemand.EXPLICIT, verify_email=True),
        {},
        False,
        None,
        Step.VERIFY_EMAIL,
    ),
    (
        "rule-max-age-fresh",
        Demands(MfaDemand.POLICY, mfa_max_age=300),
        {"mfa_ago": 60},
        True,
        None,
        Step.DONE,
    ),
    (
        "rule-max-age-old",
        Demands(MfaDemand.POLICY, mfa_max_age=300),
        {"mfa_ago": 600},
        True,
        None,
        Step.CHALLENGE,
    ),
    (
        "rule-max-age-no-remembered",
        Demands(MfaDemand.POLICY, mfa_max_age=300),
        {},
        True,
        1,
        Step.CHALLENGE,
    ),
    (
        "factors-mfa-before-request",
        Demands(MfaDemand.POLICY, factors=(FactorType.OTP,), started_at=STARTED),
        {"mfa_ago": 600},
        True,
        None,
        Step.CHALLENGE,
    ),
    (
        "factors-mfa-in-request",
        Demands(MfaDemand.POLICY, factors=(FactorType.OTP,), started_at=STARTED),
        {"mfa_ago": 60},
        True,
        None,
        Step.DONE,
    ),
    (
        "factors-none-allowed-held",
        Demands(MfaDemand.POLICY, factors=(FactorType.OTP,), started_at=STARTED),
        {},
        False,
        None,
        Step.ENROL,
    ),
    ("remember-never", Demands(MfaDemand.POLICY, remember=False), {}, True, 1, Step.CHALLENGE),
    ("remember-default", Demands(MfaDemand.POLICY, remember=None), {}, True, 20, Step.DONE),
    ("remember-days-within", Demands(MfaDemand.POLICY, remember=7), {}, True, 6, Step.DONE),
    ("remember-days-past", Demands(MfaDemand.POLICY, remember=7), {}, True, 8, Step.CHALLENGE),
    ("remember-not-for-acr", Demands(MfaDemand.EXPLICIT, remember=7), {}, True, 1, Step.CHALLENGE),
    ("skip", Demands(MfaDemand.NONE), {}, False, None, Step.DONE),
]


@pytest.mark.parametrize("case", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_next_step_under_a_policy_decision(case: PolicyCase) -> None:
    _, demands, session, has_factor, remembered_days_ago, expected = case
    remembered_at = (
        None if remembered_days_ago is None else NOW - dt.timedelta(days=remembered_days_ago)
    )
    facts = Facts(
        session=a_session(**session),  # type: ignore[arg-type]
        has_factor=has_factor,
        remembered_at=remembered_at,
    )
    assert next_step(demands, facts, now=NOW) == expected
