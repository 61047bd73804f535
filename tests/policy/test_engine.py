"""The decision: rules in order, first match wins, else the tenant policy; with its trace."""

from __future__ import annotations

import pytest

from tests.policy.facts import a_context, a_rule
from twofold.policy.context import Confidence
from twofold.policy.engine import (
    AssessorTrace,
    Decision,
    Outcome,
    RuleTrace,
    TenantPolicy,
    decide,
    decide_tenant,
    tenant_policy,
    validate_policies,
)
from twofold.policy.rules import Action, ActionKind
from twofold.types import FactorType

ADMINS = "'admin' in user.roles"
OFFICE = 'request.ip.in_cidr("10.0.0.0/8")'


def results(decision: Decision) -> list[tuple[str, str]]:
    return [(item.rule, item.result) for item in decision.trace.rules]


def test_first_match_wins_and_later_rules_are_not_tried() -> None:
    rules = [
        a_rule(ADMINS, name="admins need mfa"),
        a_rule(OFFICE, ActionKind.SKIP_MFA, name="office skips"),
        a_rule("true", ActionKind.DENY, name="everyone else denied"),
    ]
    admin_in_office = decide(a_context(roles=("admin",), ip="10.1.1.1"), rules, None)
    staff_in_office = decide(a_context(ip="10.1.1.1"), rules, None)
    staff_outside = decide(a_context(ip="198.51.100.1"), rules, None)

    assert admin_in_office.outcome is Outcome.MFA
    assert results(admin_in_office) == [("admins need mfa", "matched")]
    assert admin_in_office.trace.decided_by == "rule: admins need mfa"
    assert staff_in_office.outcome is Outcome.SKIP
    assert results(staff_in_office) == [
        ("admins need mfa", "not_matched"),
        ("office skips", "matched"),
    ]
    assert staff_outside.outcome is Outcome.DENY
    assert staff_outside.trace.decided_by == "rule: everyone else denied"


def test_order_decides_between_overlapping_rules() -> None:
    skip = a_rule(OFFICE, ActionKind.SKIP_MFA, name="office")
    ask = a_rule(ADMINS, name="admins")
    context = a_context(roles=("admin",), ip="10.0.0.9")
    assert decide(context, [skip, ask], TenantPolicy.ALWAYS).outcome is Outcome.SKIP
    assert decide(context, [ask, skip], None).outcome is Outcome.MFA


def test_a_disabled_rule_is_skipped_and_traced() -> None:
    rules = [
        a_rule("true", ActionKind.DENY, name="lockdown", enabled=False),
        a_rule(ADMINS, name="admins"),
    ]
    decision = decide(a_context(), rules, None)
    assert decision.outcome is Outcome.SKIP
    assert results(decision) == [("lockdown", "disabled"), ("admins", "not_matched")]
    assert decision.trace.decided_by == "tenant policy: never"


@pytest.mark.parametrize(
    ("action", "remember", "expected"),
    [
        (
            Action(ActionKind.REQUIRE_MFA, (FactorType.WEBAUTHN_ROAMING,), max_age=300),
            False,
            (Outcome.MFA, (FactorType.WEBAUTHN_ROAMING,), 300, False),
        ),
        (
            Action(ActionKind.REQUIRE_MFA, (FactorType.OTP, FactorType.OOB)),
            30,
            (Outcome.MFA, (FactorType.OTP, FactorType.OOB), None, 30),
        ),
        (Action(ActionKind.REQUIRE_MFA), None, (Outcome.MFA, (), None, None)),
        (Action(ActionKind.SKIP_MFA), 7, (Outcome.SKIP, (), None, 7)),
        (Action(ActionKind.SKIP_MFA), None, (Outcome.SKIP, (), None, None)),
        (Action(ActionKind.DENY), None, (Outcome.DENY, (), None, None)),
    ],
)
def test_each_action_carries_its_settings(
    action: Action, remember: bool | int | None, expected: tuple[object, ...]
) -> None:
    rule = a_rule(ADMINS, action=action, remember=remember)
    decision = decide(a_context(roles=("admin",)), [rule], TenantPolicy.ALWAYS)
    assert (decision.outcome, decision.factors, decision.max_age, decision.remember) == expected
    assert decision.mfa_required is (expected[0] is Outcome.MFA)


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ('request.ip.in_cidr("10.0.0.0/33")', "does not appear to be an IPv4 or IPv6 network"),
        ('user.app_metadata.tier == "gold"', "no such key: 'tier'"),
        ("request.time.hour", "result is int, not a bool"),
    ],
)
@pytest.mark.parametrize("kind", list(ActionKind))
def test_an_erroring_rule_requires_mfa_whatever_its_action(
    condition: str, error: str, kind: ActionKind
) -> None:
    """Fail closed: never skipped, never denied by accident, no remembered browser."""
    rules = [
        a_rule(condition, kind, name="broken", remember=30),
        a_rule("true", ActionKind.SKIP_MFA, name="never reached"),
    ]
    decision = decide(a_context(), rules, None)
    assert (decision.outcome, decision.factors, decision.max_age, decision.remember) == (
        Outcome.MFA,
        (),
        None,
        False,
    )
    [(name, result)] = results(decision)
    assert name == "broken"
    assert result.startswith("error: ")
    assert error in result
    assert decision.trace.decided_by == "rule: broken"


@pytest.mark.parametrize(
    ("policy", "confidence", "outcome", "decided_by"),
    [
        (None, Confidence.LOW, Outcome.SKIP, "tenant policy: never"),
        (TenantPolicy.ALWAYS, Confidence.HIGH, Outcome.MFA, "tenant policy: always"),
        (TenantPolicy.ADAPTIVE, Confidence.HIGH, Outcome.SKIP, "tenant policy: adaptive"),
        (TenantPolicy.ADAPTIVE, Confidence.MEDIUM, Outcome.SKIP, "tenant policy: adaptive"),
        (TenantPolicy.ADAPTIVE, Confidence.LOW, Outcome.MFA, "tenant policy: adaptive"),
        (TenantPolicy.ADAPTIVE, Confidence.NEUTRAL, Outcome.MFA, "tenant policy: adaptive"),
    ],
)
def test_with_no_match_the_tenant_policy_decides(
    policy: TenantPolicy | None, confidence: Confidence, outcome: Outcome, decided_by: str
) -> None:
    rules = [a_rule(ADMINS, ActionKind.DENY, name="admins")]
    decision = decide(a_context(confidence=confidence), rules, policy)
    assert (decision.outcome, decision.trace.decided_by) == (outcome, decided_by)
    assert (decision.factors, decision.max_age, decision.remember) == ((), None, None)
    assert results(decision) == [("admins", "not_matched")]


def test_the_trace_carries_each_assessor_and_the_confidence() -> None:
    context = a_context(confidence=Confidence.LOW, new_device=True, impossible_travel=True)
    decision = decide(context, [a_rule("risk.assessments.new_device", name="new device")], None)
    assert decision.trace.assessors == (
        AssessorTrace("NewDevice", True, "no_match"),
        AssessorTrace("ImpossibleTravel", True, "impossible_travel_from_last_login"),
        AssessorTrace("UntrustedIP", False, "not_found_on_deny_list"),
    )
    assert decision.trace.as_json() == {
        "rules": [{"rule": "new device", "result": "matched"}],
        "assessors": [
            {"assessor": "NewDevice", "risky": True, "code": "no_match"},
            {
                "assessor": "ImpossibleTravel",
                "risky": True,
                "code": "impossible_travel_from_last_login",
            },
            {"assessor": "UntrustedIP", "risky": False, "code": "not_found_on_deny_list"},
        ],
        "confidence": "low",
        "decided_by": "rule: new device",
    }
    assert decision.reasons == ("rule: new device",)
    assert decision.trace.rules == (RuleTrace("new device", "matched"),)


def test_a_missing_assessor_code_reads_not_available() -> None:
    context = a_context()
    bare = type(context.risk)(context.risk.confidence, context.risk.assessments, {})
    decision = decide(
        type(context)(context.user, context.application, context.request, bare), [], None
    )
    assert {item.code for item in decision.trace.assessors} == {"assessment_not_available"}


@pytest.mark.parametrize(
    ("policies", "mfa", "reason"),
    [
        ((), False, "tenant policy: never"),
        (("all-applications",), True, "tenant policy: always"),
        (("confidence-score",), True, "tenant policy: adaptive"),  # no assessment: fail closed
    ],
)
def test_decide_tenant_keeps_the_doors_behaviour(
    policies: tuple[str, ...], mfa: bool, reason: str
) -> None:
    decision = decide_tenant(policies)
    assert (decision.mfa_required, decision.reasons) == (mfa, (reason,))
    assert decision.trace.rules == ()


def test_tenant_policy_reads_the_stored_list() -> None:
    assert tenant_policy([]) is None
    assert tenant_policy(validate_policies(["all-applications"])) is TenantPolicy.ALWAYS
    assert tenant_policy(validate_policies(["confidence-score"])) is TenantPolicy.ADAPTIVE


def test_fifty_rules_last_one_matching() -> None:
    rules = [a_rule(f'application.client_id == "app{n}"', name=f"r{n}") for n in range(49)]
    rules.append(a_rule(OFFICE, ActionKind.SKIP_MFA, name="office"))
    decision = decide(a_context(ip="10.9.9.9"), rules, TenantPolicy.ALWAYS)
    assert decision.outcome is Outcome.SKIP
    assert len(decision.trace.rules) == 50
    assert decision.trace.rules[-1] == RuleTrace("office", "matched")
