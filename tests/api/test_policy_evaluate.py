"""`POST /api/v2/mfa/policy/evaluate` (issue 6): hypothetical logins through the real decision
over HTTP; each example condition, the trace, fail-closed errors, scopes and bad input; and
the explanation of a login matching what the audit log recorded when it happened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import password_login
from tests.api.policy import (
    ADAPTIVE,
    ALWAYS,
    CHROME,
    FIREFOX,
    NEVER,
    RULES,
    STOCKHOLM,
    TOKYO,
    Caller,
    add_rule,
    assert_tokens,
    caller,
    events_of,
    last_decision,
    set_policy,
)
from tests.builders import PASSWORD, Person, a_client, a_user
from twofold.app import build_runtime, close_runtime, create_app
from twofold.clock import FrozenClock
from twofold.config import PolicySettings, Settings
from twofold.flows.policy_check import Device
from twofold.flows.runtime import Runtime
from twofold.flows.users import NewUser, create_user
from twofold.policy import useragent
from twofold.security import tokens

__all__ = ["caller"]
pytestmark = pytest.mark.usefixtures("tenant")
EVALUATE = "/api/v2/mfa/policy/evaluate"
REQUIRE = {"type": "require_mfa"}
SKIP = {"type": "skip_mfa"}
NOBODY: dict[str, Any] = {"user": {"email": "who@example.com"}}
"""A made-up user with nothing but an email."""


async def explain(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await http.post(EVALUATE, json=body, headers=headers)
    assert response.status_code == 200, response.text
    explained: dict[str, Any] = response.json()
    return explained


def results(explained: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["rule"], item["result"]) for item in explained["trace"]["rules"]]


async def a_person(rt: Runtime, **facts: Any) -> Person:
    """A stored user with roles or metadata, as an operator's import would leave them."""
    email = f"user-{tokens.new_token()[:12].lower()}@example.com"
    user = await create_user(rt, NewUser(email=email, password=PASSWORD, **facts), actor="test")
    return Person(user.id, email)


async def test_a_client_id_condition(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    await set_policy(client, auth, NEVER)
    payroll, other = await a_client(runtime), await a_client(runtime)
    condition = f'application.client_id == "{payroll.client_id}"'
    await add_rule(client, auth, name="Payroll", condition=condition, action=REQUIRE)
    headers = await auth("read:mfa_policies")

    asked = await explain(client, headers, **NOBODY, client_id=payroll.client_id, ip="10.0.0.1")
    assert asked["decision"] == {
        "outcome": "mfa",
        "factors": [],
        "max_age": None,
        "remember_browser": None,
    }
    assert results(asked) == [("Payroll", "matched")]
    assert asked["trace"]["decided_by"] == "rule: Payroll"
    assert asked["context"]["application"] == {"client_id": payroll.client_id, "name": "test app"}

    skipped = await explain(client, headers, **NOBODY, client_id=other.client_id, ip="10.0.0.1")
    assert skipped["decision"]["outcome"] == "skip"
    assert results(skipped) == [("Payroll", "not_matched")]
    assert skipped["trace"]["decided_by"] == "tenant policy: never"
    without = await explain(client, headers, **NOBODY, ip="10.0.0.1")
    assert without["context"]["application"] == {"client_id": "", "name": ""}
    assert without["decision"]["outcome"] == "skip"


async def test_roles_of_a_stored_user_and_of_a_made_up_one(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    await set_policy(client, auth, NEVER)
    action = {"type": "require_mfa", "factors": ["webauthn-roaming"], "max_age": 600}
    await add_rule(client, auth, name="Admins", condition='"admin" in user.roles', action=action)
    headers = await auth("read:mfa_policies")
    admin, member = await a_person(runtime, roles=("admin",)), await a_user(runtime)

    stored = await explain(client, headers, user_id=admin.user_id, ip="10.0.0.1")
    assert stored["decision"]["factors"] == ["webauthn-roaming"]
    assert stored["decision"]["max_age"] == 600
    assert stored["context"]["user"]["id"] == admin.user_id
    assert stored["context"]["user"]["email"] == admin.email
    assert stored["context"]["user"]["roles"] == ["admin"]
    plain = await explain(client, headers, user_id=member.user_id, ip="10.0.0.1")
    assert results(plain) == [("Admins", "not_matched")]

    made_up = await explain(
        client, headers, user={"email": "x@example.com", "roles": ["admin"]}, ip="10.0.0.1"
    )
    assert results(made_up) == [("Admins", "matched")]
    assert made_up["context"]["user"]["id"] == ""


async def test_app_metadata(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    await set_policy(client, auth, NEVER)
    condition = '"plan" in user.app_metadata && user.app_metadata.plan == "enterprise"'
    await add_rule(client, auth, name="Enterprise", condition=condition, action=REQUIRE)
    headers = await auth("read:mfa_policies")
    enterprise = await a_person(runtime, app_metadata={"plan": "enterprise"})
    free = await a_person(runtime, app_metadata={"plan": "free"})

    assert results(await explain(client, headers, user_id=enterprise.user_id, ip="10.0.0.1")) == [
        ("Enterprise", "matched")
    ]
    assert results(await explain(client, headers, user_id=free.user_id, ip="10.0.0.1")) == [
        ("Enterprise", "not_matched")
    ]
    made_up = {"user": {"app_metadata": {"plan": "enterprise"}, "user_metadata": {"a": 1}}}
    answer = await explain(client, headers, **made_up, ip="10.0.0.1")
    assert results(answer) == [("Enterprise", "matched")]
    assert answer["context"]["user"]["user_metadata"] == {"a": 1}
    assert results(await explain(client, headers, **NOBODY, ip="10.0.0.1")) == [
        ("Enterprise", "not_matched")
    ]


@pytest.mark.parametrize(
    ("cidr", "inside", "outside"),
    [
        ("10.0.0.0/8", "10.200.3.4", "192.168.1.9"),
        ("2001:db8:aa::/48", "2001:db8:aa::5", "2001:db8:bb::5"),
    ],
    ids=["v4", "v6"],
)
async def test_in_cidr(
    client: httpx.AsyncClient, auth: TokenFactory, cidr: str, inside: str, outside: str
) -> None:
    await set_policy(client, auth, NEVER)
    condition = f'request.ip.in_cidr("{cidr}")'
    await add_rule(client, auth, name="VPN", condition=condition, action=REQUIRE)
    headers = await auth("read:mfa_policies")
    matched = await explain(client, headers, **NOBODY, ip=inside)
    assert results(matched) == [("VPN", "matched")]
    assert matched["context"]["request"]["ip"] == inside
    assert results(await explain(client, headers, **NOBODY, ip=outside)) == [("VPN", "not_matched")]
    # an address of the other family is simply outside
    other = "2001:db8:cc::1" if ":" not in cidr else "10.1.1.1"
    assert results(await explain(client, headers, **NOBODY, ip=other)) == [("VPN", "not_matched")]


async def test_geofencing_with_the_packaged_database(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await set_policy(client, auth, NEVER)
    condition = 'request.geo.country != "SE"'
    await add_rule(client, auth, name="Outside Sweden", condition=condition, action=REQUIRE)
    headers = await auth("read:mfa_policies")

    home = await explain(client, headers, **NOBODY, ip=STOCKHOLM)
    assert results(home) == [("Outside Sweden", "not_matched")]
    geo = home["context"]["request"]["geo"]
    assert (geo["country"], geo["city"], geo["known"]) == ("SE", "Stockholm", True)
    assert geo["latitude"] == pytest.approx(59.33, abs=0.01)

    abroad = await explain(client, headers, **NOBODY, ip=TOKYO)
    assert abroad["context"]["request"]["geo"]["country"] == "JP"
    assert results(abroad) == [("Outside Sweden", "matched")]

    private = await explain(client, headers, **NOBODY, ip="10.1.2.3")
    assert private["context"]["request"]["geo"] == {
        "country": "",
        "city": "",
        "latitude": None,
        "longitude": None,
        "known": False,
    }
    assert results(private) == [("Outside Sweden", "matched")]


@pytest.fixture
async def tokyo_http(
    settings: Settings, runtime: Runtime, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The same tenant served by a node whose rules read time in Asia/Tokyo."""
    zoned = settings.model_copy(update={"policy": PolicySettings(time_zone="Asia/Tokyo")})
    rt = await build_runtime(zoned, clock=clock)
    transport = httpx.ASGITransport(app=create_app(zoned, runtime=rt), client=("10.9.9.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield http
    await close_runtime(rt)


@pytest.mark.parametrize(
    ("time", "matched", "local"),
    [
        ("2026-11-27T01:30:00Z", True, {"hour": 10, "minute": 30, "weekday": "Fri"}),
        ("2026-11-26T20:30:00-05:00", True, {"hour": 10, "minute": 30, "weekday": "Fri"}),
        ("2026-11-27T12:00:00+00:00", False, {"hour": 21, "minute": 0, "weekday": "Fri"}),
        ("2026-11-28T01:30:00Z", False, {"hour": 10, "minute": 30, "weekday": "Sat"}),
    ],
    ids=["friday-morning", "same-instant-other-offset", "friday-night", "saturday"],
)
async def test_time_of_day_and_weekday_in_the_tenant_zone(  # noqa: PLR0917 - pytest passes fixtures by name
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tokyo_http: httpx.AsyncClient,
    time: str,
    matched: bool,
    local: dict[str, Any],
) -> None:
    await set_policy(client, auth, ALWAYS)
    condition = (
        'request.time.hour >= 9 && request.time.hour < 18 && request.time.weekday != "Sat" '
        '&& request.time.weekday != "Sun"'
    )
    await add_rule(client, auth, name="Office hours", condition=condition, action=SKIP)
    answer = await explain(
        tokyo_http, await auth("read:mfa_policies"), **NOBODY, ip="10.0.0.1", time=time
    )
    assert results(answer) == [("Office hours", "matched" if matched else "not_matched")]
    seen = answer["context"]["request"]["time"]
    assert {key: seen[key] for key in local} == local
    assert answer["decision"]["outcome"] == ("skip" if matched else "mfa")


async def test_new_device(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    await add_rule(
        client, auth, name="New device", condition="risk.assessments.new_device", action=REQUIRE
    )
    headers = await auth("read:mfa_policies")
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_tokens(caller("10.4.4.4", CHROME), app, person)  # Chrome is now known
    seen = {"user_id": person.user_id, "client_id": app.client_id, "ip": "10.4.4.4"}

    same = await explain(client, headers, **seen, user_agent=CHROME)
    assert same["risk_assessment"]["assessments"]["NewDevice"]["code"] == "partial_match"
    assert same["context"]["risk"]["assessments"]["new_device"] is False
    assert results(same) == [("New device", "not_matched")]

    other = await explain(client, headers, **seen, user_agent=FIREFOX)
    assert other["risk_assessment"]["assessments"]["NewDevice"]["code"] == "no_match"
    assert results(other) == [("New device", "matched")]

    # the device cookie a browser holds, hashed as the hosted login hashes it
    cookie = tokens.new_token()
    async with runtime.store.transaction() as tx:
        await tx.known_devices.touch(
            person.user_id,
            device_id_hash=Device(cookie, FIREFOX).id_hash(runtime),
            ua_family=useragent.family(FIREFOX),
            now=runtime.clock.now(),
        )
    held = await explain(client, headers, **seen, user_agent=FIREFOX, device_cookie=cookie)
    assert held["risk_assessment"]["assessments"]["NewDevice"]["code"] == "match"
    assert results(held) == [("New device", "not_matched")]

    first = await explain(client, headers, **NOBODY, ip="10.4.4.4", user_agent=CHROME)
    assert first["risk_assessment"]["assessments"]["NewDevice"]["code"] == "initial_login"
    what_if = await explain(
        client,
        headers,
        **NOBODY,
        ip="10.4.4.4",
        user_agent=CHROME,
        last_login={"ip": STOCKHOLM, "time": "2026-11-22T11:00:00Z"},
    )
    assert what_if["risk_assessment"]["assessments"]["NewDevice"]["code"] == "no_device_history"
    assert results(what_if) == [("New device", "matched")]


async def test_what_if_travel_and_failed_logins(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await set_policy(client, auth, ADAPTIVE)
    headers = await auth("read:mfa_policies")
    travel = await explain(
        client,
        headers,
        **NOBODY,
        ip=TOKYO,
        time="2026-11-22T12:00:00Z",
        last_login={"ip": STOCKHOLM, "time": "2026-11-22T10:00:00+00:00"},
        failed_logins_from_ip=10_000,
    )
    assessments = travel["risk_assessment"]["assessments"]
    assert assessments["ImpossibleTravel"]["code"] == "impossible_travel_from_last_login"
    assert assessments["UntrustedIP"]["code"] == "found_on_deny_list"
    assert assessments["UntrustedIP"]["details"]["failed_logins"] == 10_000
    assert travel["trace"]["confidence"] == "low"
    assert travel["decision"]["outcome"] == "mfa"
    assert travel["trace"]["decided_by"] == "tenant policy: adaptive"


async def test_disabled_rules_and_the_order_show_in_the_trace(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await set_policy(client, auth, NEVER)
    first = await add_rule(
        client, auth, name="Lab", condition='request.ip == "10.7.7.7"', action=REQUIRE
    )
    second = await add_rule(
        client, auth, name="Everyone off", condition="true", action={"type": "deny"}, enabled=False
    )
    third = await add_rule(client, auth, name="Everyone", condition="true", action=REQUIRE)
    headers = await auth("read:mfa_policies")
    answer = await explain(client, headers, **NOBODY, ip="10.1.1.1")
    assert results(answer) == [
        ("Lab", "not_matched"),
        ("Everyone off", "disabled"),
        ("Everyone", "matched"),
    ]
    assert answer["trace"]["decided_by"] == "rule: Everyone"

    order = {"ids": [third, second, first]}
    moved = await client.put(f"{RULES}/order", json=order, headers=await auth())
    assert moved.status_code == 200, moved.text
    answer = await explain(client, headers, **NOBODY, ip="10.1.1.1")
    assert results(answer) == [("Everyone", "matched")]  # the first match ends the trace


async def test_a_rule_that_errors_requires_mfa(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await set_policy(client, auth, NEVER)
    # a made-up user without `plan`: reading a missing key is an evaluation error
    condition = 'user.app_metadata.plan == "free"'
    await add_rule(client, auth, name="Free plan", condition=condition, action=SKIP)
    answer = await explain(client, await auth("read:mfa_policies"), **NOBODY, ip="10.1.1.1")
    ((name, result),) = results(answer)
    assert name == "Free plan"
    assert result.startswith("error: ")
    assert answer["decision"] == {
        "outcome": "mfa",
        "factors": [],
        "max_age": None,
        "remember_browser": False,
    }
    assert answer["trace"]["decided_by"] == "rule: Free plan"


async def test_scopes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    body = {**NOBODY, "ip": "10.1.1.1"}
    missing = await client.post(EVALUATE, json=body)
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_token"
    for scope in ("read:users", "update:mfa_policies"):
        wrong = await client.post(EVALUATE, json=body, headers=await auth(scope))
        assert wrong.status_code == 403, scope
        assert wrong.json()["error"] == "insufficient_scope"
    right = await client.post(EVALUATE, json=body, headers=await auth("read:mfa_policies"))
    assert right.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {**NOBODY, "ip": "300.1.1.1"},
        {**NOBODY, "ip": "not-an-ip"},
        {**NOBODY, "ip": "fe80::1%eth0"},
        {**NOBODY, "ip": " 10.1.1.1"},
        {**NOBODY, "ip": 167837953},
        {**NOBODY},
        {**NOBODY, "ip": "10.1.1.1", "time": "2026-11-22T12:00:00"},
        {**NOBODY, "ip": "10.1.1.1", "time": "2026-11-22"},
        {**NOBODY, "ip": "10.1.1.1", "time": "0001-01-01T00:00:00Z"},
        {**NOBODY, "ip": "10.1.1.1", "time": "2026-13-40T25:00:00Z"},
        {**NOBODY, "ip": "10.1.1.1", "last_login": {"ip": "10.1.1.2", "time": "2026-11-22T12:00"}},
        {
            **NOBODY,
            "ip": "10.1.1.1",
            "last_login": {"ip": "nowhere", "time": "2026-11-22T12:00:00Z"},
        },
        {**NOBODY, "ip": "10.1.1.1", "failed_logins_from_ip": -1},
        {**NOBODY, "ip": "10.1.1.1", "failed_logins_from_ip": "3"},
        {"user_id": "auth0|someone", **NOBODY, "ip": "10.1.1.1"},
        {"ip": "10.1.1.1"},
        {**NOBODY, "ip": "10.1.1.1", "extra": True},
        {"user": {"email": "a@b.c", "groups": []}, "ip": "10.1.1.1"},
        {"user": {"enrolled": ["carrier-pigeon"]}, "ip": "10.1.1.1"},
        {**NOBODY, "ip": "10.1.1.1", "user_agent": "x" * 501},
        {**NOBODY, "ip": "10.1.1.1", "user_agent": "bad\x00agent"},
        {**NOBODY, "ip": "10.1.1.1", "device_cookie": "c" * 201},
        {"user": {"email": "e" * 321}, "ip": "10.1.1.1"},
        {"user": {"roles": ["r"] * 101}, "ip": "10.1.1.1"},
        {"user": {"roles": ["r" * 101]}, "ip": "10.1.1.1"},
        {"user": {"app_metadata": {"blob": "x" * 20_000}}, "ip": "10.1.1.1"},
        '{"user": {"email": "\\ud800"}, "ip": "10.1.1.1"}',
        '{"user": {"roles": ["\\udfff"]}, "ip": "10.1.1.1"}',
        '{"user_id": "auth0|x", "ip": "10.1.1.1", "user_agent": "\\ud800"}',
        {"user_id": "u" * 101, "ip": "10.1.1.1"},
        {"client_id": "", **NOBODY, "ip": "10.1.1.1"},
        [NOBODY],
    ],
)
async def test_bad_input_is_400(client: httpx.AsyncClient, auth: TokenFactory, body: Any) -> None:
    """`body` is JSON, or a JSON text when it must carry what Python cannot encode."""
    headers = await auth("read:mfa_policies")
    if isinstance(body, str):
        raw = {**headers, "content-type": "application/json"}
        response = await client.post(EVALUATE, content=body.encode(), headers=raw)
    else:
        response = await client.post(EVALUATE, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


async def test_unknown_user_or_client_is_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth("read:mfa_policies")
    for body in (
        {"user_id": "auth0|nobody", "ip": "10.1.1.1"},
        {"user_id": "not a user id!", "ip": "10.1.1.1"},
        {**NOBODY, "client_id": "no-such-client", "ip": "10.1.1.1"},
        {**NOBODY, "client_id": "bad/client", "ip": "10.1.1.1"},
    ):
        response = await client.post(EVALUATE, json=body, headers=headers)
        assert response.status_code == 404, body
        assert response.json()["error"] == "not_found"


async def rules_one_of_each(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """A disabled rule, one that does not match a login from Tokyo and one that does."""
    await add_rule(
        client, auth, name="Lockdown", condition="true", action={"type": "deny"}, enabled=False
    )
    await add_rule(
        client, auth, name="Stockholm office", condition='request.geo.country == "SE"', action=SKIP
    )
    await add_rule(
        client,
        auth,
        name="Travellers use OTP",
        condition="risk.assessments.impossible_travel",
        action={"type": "require_mfa", "factors": ["otp"]},
    )


async def test_the_explanation_matches_the_audited_login(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    clock: FrozenClock,
    caller: Caller,
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await set_policy(client, auth, NEVER)
    await assert_tokens(caller(STOCKHOLM, CHROME), app, person)  # history: Stockholm, Chrome
    clock.advance(2 * 3600)
    await set_policy(client, auth, ADAPTIVE)
    await rules_one_of_each(client, auth)
    before = await events_of(runtime, person.user_id, "tf_policy")

    explained = await explain(
        client,
        await auth("read:mfa_policies"),
        user_id=person.user_id,
        client_id=app.client_id,
        ip=TOKYO,
        time=clock.now().isoformat(),
        user_agent=FIREFOX,
    )
    assert await events_of(runtime, person.user_id, "tf_policy") == before  # records nothing

    login = await password_login(caller(TOKYO, FIREFOX), app, person)
    assert login.status_code == 403, login.text
    assert login.json()["error"] == "mfa_required"
    audited = await last_decision(runtime, person.user_id)
    assert len(await events_of(runtime, person.user_id, "tf_policy")) == len(before) + 1

    assert explained["trace"] == audited["trace"]
    assert explained["decision"] == audited["decision"]
    assert explained["risk_assessment"] == audited["risk_assessment"]
    # and it is the interesting login it was meant to be
    assert [(r["rule"], r["result"]) for r in audited["trace"]["rules"]] == [
        ("Lockdown", "disabled"),
        ("Stockholm office", "not_matched"),
        ("Travellers use OTP", "matched"),
    ]
    assert audited["decision"]["factors"] == ["otp"]
    travel = audited["risk_assessment"]["assessments"]["ImpossibleTravel"]
    assert travel["code"] == "impossible_travel_from_last_login"
    assert audited["risk_assessment"]["assessments"]["NewDevice"]["code"] == "no_match"
