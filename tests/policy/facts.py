"""Small builders of policy contexts and rules for the decision tests."""

from __future__ import annotations

import datetime as dt

from twofold.domain import JsonObject
from twofold.policy.context import (
    ApplicationFacts,
    AssessedRisk,
    Assessments,
    Confidence,
    GeoFacts,
    OrganizationFacts,
    PolicyContext,
    RequestFacts,
    UserFacts,
    local_time,
)
from twofold.policy.rules import Action, ActionKind, Remember, Rule, compile_rule

NOON_UTC = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday


def a_context(
    *,
    client_id: str = "crm",
    roles: tuple[str, ...] = (),
    app_metadata: JsonObject | None = None,
    ip: str = "203.0.113.7",
    country: str = "",
    at: dt.datetime = NOON_UTC,
    zone: str = "UTC",
    confidence: Confidence = Confidence.HIGH,
    new_device: bool = False,
    impossible_travel: bool = False,
    organization: OrganizationFacts | None = None,
) -> PolicyContext:
    """A login by ada@example.com; each keyword sets one fact a rule may read."""
    return PolicyContext(
        user=UserFacts(
            id="auth0|0123456789abcdef01234567",
            email="ada@example.com",
            roles=roles,
            app_metadata=app_metadata or {},
            enrolled=("otp",),
        ),
        application=ApplicationFacts(client_id=client_id, name=client_id.title()),
        organization=organization or OrganizationFacts(),
        request=RequestFacts(
            ip=ip,
            time=local_time(at, zone),
            geo=GeoFacts(country=country, known=bool(country)),
            user_agent="Mozilla/5.0",
        ),
        risk=AssessedRisk(
            confidence=confidence,
            assessments=Assessments(
                new_device=new_device, impossible_travel=impossible_travel, untrusted_ip=False
            ),
            codes={
                "NewDevice": "no_match" if new_device else "match",
                "ImpossibleTravel": "impossible_travel_from_last_login"
                if impossible_travel
                else "minimal_travel_from_last_login",
                "UntrustedIP": "not_found_on_deny_list",
            },
        ),
    )


def a_rule(
    condition: str,
    kind: ActionKind = ActionKind.REQUIRE_MFA,
    *,
    name: str = "rule",
    enabled: bool = True,
    remember: Remember = None,
    action: Action | None = None,
) -> Rule:
    return compile_rule(
        name=name,
        enabled=enabled,
        condition=condition,
        action=action or Action(kind),
        remember_browser=remember,
    )
