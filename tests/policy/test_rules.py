"""Rule conditions against contexts: the issue's examples, `in_cidr`, and failing closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.policy.facts import a_context
from twofold.policy.context import OrganizationFacts, PolicyContext, activation
from twofold.policy.rules import Evaluation, compile_condition, environment, evaluate, in_cidr

WEEKEND_OR_EARLY = 'request.time.hour < 8 || request.time.weekday in ["Sat", "Sun"]'


def run(condition: str, context: PolicyContext) -> Evaluation:
    return evaluate(compile_condition(condition), environment(activation(context)))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


EXAMPLES: list[tuple[str, dict[str, Any], bool]] = [
    ('application.client_id == "payroll"', {"client_id": "payroll"}, True),
    ('application.client_id == "payroll"', {"client_id": "crm"}, False),
    (
        'organization.id == "org_acme"',
        {"organization": OrganizationFacts("org_acme", "Acme")},
        True,
    ),
    ('organization.id == "org_acme"', {}, False),
    ('"admin" in user.roles', {"roles": ("staff", "admin")}, True),
    ('"admin" in user.roles', {"roles": ("staff",)}, False),
    ('user.app_metadata.tier == "gold"', {"app_metadata": {"tier": "gold"}}, True),
    ('user.app_metadata.tier == "gold"', {"app_metadata": {"tier": "silver"}}, False),
    (
        'has(user.app_metadata.tier) && user.app_metadata.tier == "gold"',
        {"app_metadata": {}},
        False,
    ),
    ('request.ip.in_cidr("10.0.0.0/8")', {"ip": "10.20.30.40"}, True),
    ('request.ip.in_cidr("10.0.0.0/8")', {"ip": "11.0.0.1"}, False),
    ('request.ip.in_cidr("10.0.0.0/8")', {"ip": "2001:db8::1"}, False),
    ('request.ip.in_cidr("10.0.0.0/8")', {"ip": "::ffff:10.1.2.3"}, True),
    ('request.ip.in_cidr("2001:db8:abcd::/48")', {"ip": "2001:db8:abcd:12::1"}, True),
    ('request.ip.in_cidr("2001:db8:abcd::/48")', {"ip": "2001:db8:abce::1"}, False),
    ('request.ip.in_cidr("2001:db8:abcd::/48")', {"ip": "10.1.2.3"}, False),
    ('in_cidr(request.ip, "192.168.0.0/16")', {"ip": "192.168.1.1"}, True),
    ('!(request.geo.country in ["DE", "FR"])', {"country": "DE"}, False),
    ('!(request.geo.country in ["DE", "FR"])', {"country": "US"}, True),
    ('!(request.geo.country in ["DE", "FR"])', {"country": ""}, True),  # unknown: outside
    ('!(request.geo.country in ["DE", "FR"])', {"ip": "10.0.0.1"}, True),  # private: unknown
    ("risk.assessments.new_device", {"new_device": True}, True),
    ("risk.assessments.new_device", {"new_device": False}, False),
    ("risk.assessments.impossible_travel", {"impossible_travel": True}, True),
    ('risk.codes.ImpossibleTravel == "impossible_travel_from_last_login"', {}, False),
    ('risk.confidence == "low"', {}, False),
    ('user.email.endsWith("@example.com") && size(user.roles) == 0', {}, True),
    ('user.email.matches("^[a-z]+@example[.]com$")', {}, True),
]


@pytest.mark.parametrize(("condition", "facts", "matched"), EXAMPLES)
def test_the_issue_examples(condition: str, facts: dict[str, Any], matched: bool) -> None:
    assert run(condition, a_context(**facts)) == Evaluation(matched)


@pytest.mark.parametrize(
    ("utc", "zone", "matched"),
    [
        # Europe/Berlin, the Monday before and after spring-forward (Sun 2026-03-29)
        ("2026-03-23T06:30", "Europe/Berlin", True),  # 07:30 CET
        ("2026-03-30T06:30", "Europe/Berlin", False),  # 08:30 CEST
        ("2026-03-29T00:59", "Europe/Berlin", True),  # the change day: 01:59, Sunday
        ("2026-03-29T10:00", "Europe/Berlin", True),  # noon, but Sunday
        # ...and fall-back (Sun 2026-10-25)
        ("2026-10-19T06:30", "Europe/Berlin", False),  # 08:30 CEST
        ("2026-10-26T06:30", "Europe/Berlin", True),  # 07:30 CET
        # America/New_York, spring-forward Sun 2026-03-08, fall-back Sun 2026-11-01
        ("2026-03-02T12:30", "America/New_York", True),  # 07:30 EST
        ("2026-03-09T12:30", "America/New_York", False),  # 08:30 EDT
        ("2026-10-26T12:30", "America/New_York", False),  # 08:30 EDT
        ("2026-11-02T12:30", "America/New_York", True),  # 07:30 EST
        ("2026-11-01T06:30", "America/New_York", True),  # the change day: 01:30 EST
        # the local weekday, not UTC's
        ("2026-03-02T03:00", "America/New_York", True),  # Sun 22:00 local, Monday in UTC
        ("2026-03-07T04:30", "America/New_York", False),  # Fri 23:30 local, Saturday in UTC
    ],
)
def test_time_of_day_and_weekday_in_the_tenant_zone(utc: str, zone: str, matched: bool) -> None:
    assert run(WEEKEND_OR_EARLY, a_context(at=at(utc), zone=zone)) == Evaluation(matched)


@pytest.mark.parametrize(
    ("ip", "cidr", "inside"),
    [
        ("10.0.0.0", "10.0.0.0/8", True),
        ("10.255.255.255", "10.0.0.0/8", True),
        ("9.255.255.255", "10.0.0.0/8", False),
        ("10.1.2.3", "10.1.2.0/24", True),
        ("10.1.2.3", "10.1.2.3/8", True),  # host bits set: the network it names
        ("10.1.2.3", "10.1.2.3", True),  # a bare address is a /32
        ("2001:db8::1", "2001:db8::/32", True),
        ("2001:db9::1", "2001:db8::/32", False),
        ("::1", "::1/128", True),
        ("::ffff:192.0.2.1", "192.0.2.0/24", True),
        ("192.0.2.1", "::ffff:192.0.2.0/120", False),
        ("2001:db8::1", "0.0.0.0/0", False),
    ],
)
def test_in_cidr(ip: str, cidr: str, inside: bool) -> None:
    assert in_cidr(ip, cidr) is inside


@pytest.mark.parametrize(
    ("ip", "cidr"),
    [("10.0.0.1", "10.0.0.0/33"), ("10.0.0.1", "ten"), ("not-an-ip", "10.0.0.0/8"), ("", "::/0")],
)
def test_in_cidr_refuses_malformed_input(ip: str, cidr: str) -> None:
    with pytest.raises(ValueError, match=r"does not appear to be|Invalid|not a valid"):
        in_cidr(ip, cidr)


@pytest.mark.parametrize(("ip", "cidr"), [(1, "10.0.0.0/8"), ("10.0.0.1", 167772160)])
def test_in_cidr_refuses_anything_but_strings(ip: object, cidr: object) -> None:
    with pytest.raises(TypeError, match="address string and a CIDR string"):
        in_cidr(ip, cidr)


@pytest.mark.parametrize(
    ("condition", "facts", "error"),
    [
        ('request.ip.in_cidr("10.0.0.0/33")', {}, "in_cidr"),
        ('request.ip.in_cidr("10.0.0.0/8")', {"ip": "unknown"}, "does not appear to be"),
        ("request.ip.in_cidr(8)", {}, "CIDR string"),
        ('user.app_metadata.tier == "gold"', {}, "no such key: 'tier'"),
        ("user.roles[3] == 'x'", {}, "index out of bounds"),
        ("request.time.hour / 0 == 1", {}, "division by zero"),
        ('request.time.hour + "1" == "x"', {}, "No such overload"),
        ("int(user.email) == 1", {}, "int"),
        ('user.email.matches("(")', {}, "regex"),
        ("request.geo.latitude > 50.0", {}, ""),  # unknown place: null coordinates
        # a non-bool result counts as a match too
        ("request.time.hour", {}, "result is int, not a bool"),
        ("user.email", {}, "result is str, not a bool"),
        ("user.roles", {}, "result is list, not a bool"),
        ("risk.codes", {}, "result is dict, not a bool"),
    ],
)
def test_errors_and_non_bools_fail_closed(
    condition: str, facts: dict[str, Any], error: str
) -> None:
    evaluation = run(condition, a_context(**facts))
    assert evaluation.matched is True
    assert evaluation.error is not None
    assert error in evaluation.error
    assert evaluation.label == f"error: {evaluation.error}"
    assert "\n" not in evaluation.label
    assert len(evaluation.label) <= len("error: ") + 200


@pytest.mark.parametrize(
    ("condition", "evaluation"),
    [
        # CEL's logical operators absorb an error when the other side decides: that result
        # is the true answer, and a surfacing error is still a match (see rules.evaluate)
        ('user.app_metadata.tier == "gold" || "admin" in user.roles', Evaluation(True)),
        ('user.app_metadata.tier == "gold" && "guest" in user.roles', Evaluation(False)),
        ('user.app_metadata.tier == "gold" || "guest" in user.roles', None),
        ('!(user.app_metadata.tier == "gold")', None),
    ],
)
def test_errors_absorbed_by_logic_only_when_the_other_side_decides(
    condition: str, evaluation: Evaluation | None
) -> None:
    result = run(condition, a_context(roles=("admin",)))
    if evaluation is None:
        assert result == Evaluation(True, "no such key: 'tier'")
    else:
        assert result == evaluation


def test_labels() -> None:
    assert Evaluation(True).label == "matched"
    assert Evaluation(False).label == "not_matched"
    assert Evaluation(True, "boom").label == "error: boom"
