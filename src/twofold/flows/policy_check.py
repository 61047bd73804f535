"""The policy at the doors (ADR 009): gather a login's facts once, assess, decide, audit.

The password grant and the hosted login (including step-up) call `check_policy` once the
user is known; the explain endpoint calls `evaluate` with facts given instead of observed.
Both end in the same pure `policy.engine.decide`, so an explanation matches what a real
login was told.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application, Authenticator, JsonObject, User
from twofold.errors import AccessDeniedError
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import current_policies
from twofold.policy import useragent
from twofold.policy.context import (
    ApplicationFacts,
    AssessedRisk,
    Assessments,
    Confidence,
    GeoFacts,
    PolicyContext,
    RequestFacts,
    UserFacts,
    local_time,
)
from twofold.policy.engine import Decision, Outcome, decide, tenant_policy
from twofold.policy.geo import Geo
from twofold.policy.risk import KnownDevice, LastLogin, RiskAssessment, RiskFacts, assess_risk
from twofold.policy.rules import Action, ActionKind, Condition, Rule, compile_condition
from twofold.security import tokens
from twofold.store.repos.policy import StoredRule
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType, UserId

DEVICE_PURPOSE = "device"


class PolicyDeniedError(AccessDeniedError):
    description = "Access denied by the sign-in policy."


class VerifyByEmailError(AccessDeniedError):
    description = (
        "This sign-in looks unusual and the account has no second factor: continue on the "
        "hosted login page, which verifies it by email."
    )


class UnsatisfiablePolicyError(AccessDeniedError):
    description = (
        "The sign-in policy accepts only factors that are switched off for this tenant. "
        "Ask an administrator."
    )


@dataclass(frozen=True, slots=True)
class Device:
    """What a request says about its device: the hosted pages' long-lived device cookie
    (None over the API, where no browser keeps one) and the user agent."""

    cookie: str | None
    user_agent: str | None

    def id_hash(self, rt: Runtime) -> str:
        """The cookie keyed-hashed (a stolen table cannot be replayed as cookies); `""` for
        no cookie or one of the wrong shape."""
        if not self.cookie or not tokens.is_well_formed(self.cookie):
            return ""
        return rt.keyring.keyed_hash(self.cookie, purpose=DEVICE_PURPOSE)


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """One login's decision with everything that led to it."""

    decision: Decision
    risk: RiskAssessment
    context: PolicyContext
    geo: Geo | None
    device_id_hash: str
    ua_family: str

    def decision_json(self) -> JsonObject:
        return decision_json(self.decision)

    def state(self) -> JsonObject:
        """What the MFA transaction or the sign-in keeps until the login finishes: the
        factors allowed, and the device to remember once it succeeds."""
        return {
            "decision": self.decision_json(),
            "risk_assessment": self.risk.to_json(),
            "device_id_hash": self.device_id_hash,
            "ua_family": self.ua_family,
        }

    def event(
        self, door: str, *, user_id: str, client_id: str | None, info: RequestInfo
    ) -> events.PolicyDecided:
        return events.PolicyDecided(
            user_id=user_id,
            client_id=client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            door=door,
            decision=self.decision_json(),
            trace=self.decision.trace.as_json(),
            risk_assessment=self.risk.to_json(),
        )


def decision_json(decision: Decision) -> JsonObject:
    return {
        "outcome": decision.outcome.value,
        "factors": [factor.value for factor in decision.factors],
        "max_age": decision.max_age,
        "remember_browser": decision.remember,
    }


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> Condition:
    """Conditions compiled once per process per source text: saving checked them, so a
    stored one compiles (and the text is the key, so an edited rule is compiled afresh)."""
    return compile_condition(source)


def rule_of(stored: StoredRule) -> Rule:
    """A stored rule ready to evaluate (its action was checked when it was saved)."""
    action = stored.action
    max_age = action.get("max_age")
    factors = action.get("factors")
    remember = stored.remember
    return Rule(
        name=stored.name,
        enabled=stored.enabled,
        condition=_compiled(stored.condition),
        action=Action(
            ActionKind(str(action["type"])),
            tuple(FactorType(str(name)) for name in factors) if isinstance(factors, list) else (),
            max_age if isinstance(max_age, int) else None,
        ),
        remember_browser=False if remember is False else remember if remember else None,
    )


@dataclass(frozen=True, slots=True)
class Observed:
    """The facts read from the store for one login (one read transaction)."""

    rules: tuple[Rule, ...]
    policies: tuple[str, ...]
    enrolled: tuple[str, ...]
    known_devices: tuple[KnownDevice, ...]
    failed_logins_from_ip: int


async def observe(rt: Runtime, tx: Tx, user: User, ip: str | None) -> Observed:
    now = rt.clock.now()
    settings = rt.settings.policy
    stored = await tx.policy_rules.in_order()
    items = await tx.authenticators.for_user(user.id)
    devices = await tx.known_devices.for_user(
        user.id, since=now - dt.timedelta(days=settings.new_device_days)
    )
    window = dt.timedelta(seconds=settings.ip_velocity.window_seconds)
    failures = await tx.audit.count_failed_logins_from_ip(ip, since=now - window) if ip else 0
    return Observed(
        rules=tuple(rule_of(rule) for rule in stored),
        policies=await current_policies(tx, rt.settings.policy),
        enrolled=enrolled_types(items),
        known_devices=tuple(
            KnownDevice(d.device_id_hash, d.ua_family, d.last_seen) for d in devices
        ),
        failed_logins_from_ip=failures,
    )


def enrolled_types(items: Sequence[Authenticator]) -> tuple[str, ...]:
    """The factor types a user can answer with (a recovery code is listed too: rules may
    want to know; it never counts as a factor for enrolment decisions)."""
    active = {a.type.value for a in items if a.status == AuthenticatorStatus.ACTIVE}
    return tuple(sorted(active))


def last_login_of(user: User) -> LastLogin | None:
    """None before the first successful login (`initial_login`)."""
    if user.last_login is None:
        return None
    geo = Geo.from_json(user.last_login_geo) if user.last_login_geo else None
    return LastLogin(geo=geo, at=user.last_login)


def geo_facts(geo: Geo | None) -> GeoFacts:
    if geo is None:
        return GeoFacts()
    return GeoFacts(
        country=geo.country or "",
        city=geo.city or "",
        latitude=geo.latitude,
        longitude=geo.longitude,
        known=True,
    )


def assessed(risk: RiskAssessment) -> AssessedRisk:
    """What rules see of the assessment (`risk.*`)."""
    return AssessedRisk(
        confidence=Confidence(risk.confidence),
        assessments=Assessments(
            new_device=risk.found_risk("NewDevice"),
            impossible_travel=risk.found_risk("ImpossibleTravel"),
            untrusted_ip=risk.found_risk("UntrustedIP"),
        ),
        codes=risk.codes(),
    )


@dataclass(frozen=True, slots=True)
class LoginFacts:
    """One login as the policy sees it, observed (a real login) or given (the explain
    endpoint's hypothetical one)."""

    user: User
    application: Application | None
    ip: str
    user_agent: str
    at: dt.datetime
    device_id_hash: str
    last_login: LastLogin | None
    observed: Observed


def evaluate(rt: Runtime, facts: LoginFacts) -> PolicyCheck:
    """Assess and decide; pure apart from the GeoIP read."""
    settings = rt.settings.policy
    geo = rt.geo.lookup(facts.ip) if facts.ip else None
    family = useragent.family(facts.user_agent)
    risk = assess_risk(
        RiskFacts(
            ip=facts.ip,
            geo=geo,
            device_id_hash=facts.device_id_hash or None,
            ua_family=family or None,
            known_devices=facts.observed.known_devices,
            last_login=facts.last_login,
            failed_logins_from_ip=facts.observed.failed_logins_from_ip,
            now=facts.at,
        ),
        settings=settings,
        deny_list=rt.deny_list,
    )
    user = facts.user
    context = PolicyContext(
        user=UserFacts(
            id=user.id,
            email=user.email,
            roles=user.roles,
            app_metadata=user.app_metadata,
            user_metadata=user.user_metadata,
            enrolled=facts.observed.enrolled,
        ),
        application=ApplicationFacts(
            client_id=facts.application.client_id if facts.application else "",
            name=facts.application.name if facts.application else "",
        ),
        request=RequestFacts(
            ip=facts.ip,
            time=local_time(facts.at, settings.time_zone),
            geo=geo_facts(geo),
            user_agent=facts.user_agent,
        ),
        risk=assessed(risk),
    )
    decision = decide(context, facts.observed.rules, tenant_policy(facts.observed.policies))
    return PolicyCheck(decision, risk, context, geo, facts.device_id_hash, family)


async def check_policy(
    rt: Runtime,
    *,
    user: User,
    application: Application | None,
    info: RequestInfo,
    device: Device,
) -> PolicyCheck:
    """A real login's decision: the facts observed now, from the store and the request."""
    async with rt.store.read() as tx:
        observed = await observe(rt, tx, user, info.ip)
    return evaluate(
        rt,
        LoginFacts(
            user=user,
            application=application,
            ip=info.ip or "",
            user_agent=info.user_agent or "",
            at=rt.clock.now(),
            device_id_hash=device.id_hash(rt),
            last_login=last_login_of(user),
            observed=observed,
        ),
    )


def needs_email_verification(check: PolicyCheck) -> bool:
    """Adaptive MFA's rule for a user with nothing to answer with (Auth0's behaviour): low
    confidence is not met with enrolment (an attacker holding the password would enrol
    their own factor) but with proof of the account's email address."""
    decided_by = check.decision.trace.decided_by
    factors = [kind for kind in check.context.user.enrolled if kind != FactorType.RECOVERY_CODE]
    return (
        check.decision.outcome is Outcome.MFA
        and decided_by == "tenant policy: adaptive"
        and not factors
    )


def allowed(state: JsonObject | None, factor: FactorType) -> bool:
    """Whether the decision kept with a transaction or sign-in lets `factor` answer."""
    if not state:
        return True
    decision = state.get("decision")
    if not isinstance(decision, dict):
        return True
    factors = decision.get("factors") or []
    return not factors or factor.value in factors


class FactorNotAllowedError(AccessDeniedError):
    description = "The sign-in policy does not accept this factor here."


def check_allowed(state: JsonObject | None, factor: FactorType) -> None:
    if not allowed(state, factor):
        raise FactorNotAllowedError


async def record_success(
    rt: Runtime, tx: Tx, *, user_id: UserId, ip: str | None, state: JsonObject | None
) -> None:
    """A login finished: remember where (the IP placed now) and on which device (from the
    decision's `state`), for the next login's ImpossibleTravel and NewDevice. Devices unseen
    for longer than NewDevice looks back are pruned."""
    now = rt.clock.now()
    geo = rt.geo.lookup(ip) if ip else None
    await tx.users.record_login(user_id, now=now, ip=ip, geo=dict(geo.to_json()) if geo else None)
    if not state:
        return
    device_id_hash = str(state.get("device_id_hash") or "")
    family = str(state.get("ua_family") or "")
    if device_id_hash or family:
        await tx.known_devices.touch(
            user_id, device_id_hash=device_id_hash, ua_family=family, now=now
        )
        days = rt.settings.policy.new_device_days
        await tx.known_devices.prune(user_id, before=now - dt.timedelta(days=days))
