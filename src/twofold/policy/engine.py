"""The decision (ADR 009): rules in order, first match wins, else the tenant policy. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cel

from twofold.errors import InvalidRequestError
from twofold.policy.context import AssessedRisk, Confidence, PolicyContext, activation
from twofold.policy.rules import ActionKind, Remember, Rule, environment, evaluate
from twofold.types import FactorType


class TenantPolicy(StrEnum):
    """Auth0's `guardian/policies` values; an empty list means never."""

    ALWAYS = "all-applications"
    ADAPTIVE = "confidence-score"


POLICY_KEY = "mfa_policies"


class Outcome(StrEnum):
    MFA = "mfa"
    SKIP = "skip"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class RuleTrace:
    rule: str
    result: str
    """`matched`, `not_matched`, `disabled` or `error: <message>`."""


@dataclass(frozen=True, slots=True)
class AssessorTrace:
    assessor: str
    risky: bool
    code: str


@dataclass(frozen=True, slots=True)
class Trace:
    """Why: each rule tried, each assessor's verdict, the confidence, the deciding step."""

    rules: tuple[RuleTrace, ...]
    assessors: tuple[AssessorTrace, ...]
    confidence: str
    decided_by: str
    """`rule: <name>` or `tenant policy: never|always|adaptive`."""

    def as_json(self) -> dict[str, object]:
        """The audit event's and the explain endpoint's form."""
        return {
            "rules": [{"rule": item.rule, "result": item.result} for item in self.rules],
            "assessors": [
                {"assessor": item.assessor, "risky": item.risky, "code": item.code}
                for item in self.assessors
            ],
            "confidence": self.confidence,
            "decided_by": self.decided_by,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    trace: Trace
    factors: tuple[FactorType, ...] = ()
    """The factor types allowed (empty: any)."""
    max_age: int | None = None
    remember: Remember = None
    """As `Rule.remember_browser`: `None` = the tenant's default."""

    @property
    def mfa_required(self) -> bool:
        return self.outcome is Outcome.MFA

    @property
    def reasons(self) -> tuple[str, ...]:
        """The audit's short form: the deciding step."""
        return (self.trace.decided_by,)


def validate_policies(value: object) -> list[str]:
    """Auth0 accepts at most one policy: [], ["all-applications"] or ["confidence-score"]."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequestError("Policies must be an array of strings.")
    if len(value) > 1:
        raise InvalidRequestError("At most one MFA policy can be set.")
    allowed = {policy.value for policy in TenantPolicy}
    for item in value:
        if item not in allowed:
            raise InvalidRequestError(f"Unknown MFA policy: {item[:40]}")
    return list(value)


def tenant_policy(policies: Sequence[str]) -> TenantPolicy | None:
    """The stored list as one policy; `None` is Never."""
    for policy in TenantPolicy:
        if policy.value in policies:
            return policy
    return None


def decide(context: PolicyContext, rules: Sequence[Rule], policy: TenantPolicy | None) -> Decision:
    """Rules in order (disabled ones skipped), the first match decides; an erroring rule
    matches as `require_mfa`, any factor, no remembered browser (fail closed). With no
    match: Never skips, Always asks, Adaptive asks when confidence is not high or medium."""
    tried: list[RuleTrace] = []
    env: cel.Context | None = None
    for rule in rules:
        if not rule.enabled:
            tried.append(RuleTrace(rule.name, "disabled"))
            continue
        if env is None:
            env = _environment(context, rules)
        evaluation = evaluate(rule.condition, env)
        tried.append(RuleTrace(rule.name, evaluation.label))
        if not evaluation.matched:
            continue
        trace = _trace(context.risk, tried, f"rule: {rule.name}")
        if evaluation.error is not None:
            return Decision(Outcome.MFA, trace, remember=False)
        return _rule_decision(rule, trace)
    return _tenant_decision(policy, _trace(context.risk, tried, ""))


def decide_tenant(policies: Sequence[str]) -> Decision:
    """The tenant policy alone, for doors not yet building a context: Adaptive has no
    assessment there, so it fails closed (MFA)."""
    policy = tenant_policy(policies)
    trace = Trace((), (), Confidence.NEUTRAL.value, "")
    return _tenant_decision(policy, trace)


def _environment(context: PolicyContext, rules: Sequence[Rule]) -> cel.Context:
    """The CEL variables the enabled rules read, converted once for all of them."""
    read = frozenset().union(*(rule.condition.variables for rule in rules if rule.enabled))
    variables = activation(context)
    return environment({name: value for name, value in variables.items() if name in read})


def _rule_decision(rule: Rule, trace: Trace) -> Decision:
    action = rule.action
    if action.kind is ActionKind.SKIP_MFA:
        return Decision(Outcome.SKIP, trace, remember=rule.remember_browser)
    if action.kind is ActionKind.DENY:
        return Decision(Outcome.DENY, trace)
    return Decision(
        Outcome.MFA,
        trace,
        factors=action.factors,
        max_age=action.max_age,
        remember=rule.remember_browser,
    )


def _tenant_decision(policy: TenantPolicy | None, trace: Trace) -> Decision:
    if policy is TenantPolicy.ALWAYS:
        return Decision(Outcome.MFA, _decided(trace, "tenant policy: always"))
    if policy is TenantPolicy.ADAPTIVE:
        low = trace.confidence not in {Confidence.HIGH.value, Confidence.MEDIUM.value}
        outcome = Outcome.MFA if low else Outcome.SKIP
        return Decision(outcome, _decided(trace, "tenant policy: adaptive"))
    return Decision(Outcome.SKIP, _decided(trace, "tenant policy: never"))


def _trace(risk: AssessedRisk, tried: list[RuleTrace], decided_by: str) -> Trace:
    found = risk.assessments
    verdicts = (
        ("NewDevice", found.new_device),
        ("ImpossibleTravel", found.impossible_travel),
        ("UntrustedIP", found.untrusted_ip),
    )
    assessors = tuple(
        AssessorTrace(name, risky, risk.codes.get(name, "assessment_not_available"))
        for name, risky in verdicts
    )
    return Trace(tuple(tried), assessors, risk.confidence.value, decided_by)


def _decided(trace: Trace, decided_by: str) -> Trace:
    return Trace(trace.rules, trace.assessors, trace.confidence, decided_by)
