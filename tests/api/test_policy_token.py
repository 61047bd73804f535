"""The policy at the token endpoint (issue 6): the tenant policy (Never, Always) refined by
rules created through the Management API decides, over HTTP, between tokens, `mfa_required`
and `access_denied`; a rule's `factors` limit what the `mfa_token` can answer with; every
decision is audited once as `tf_policy`."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.helpers import associate, code, otp_grant, password_login
from tests.api.policy import (
    ALWAYS,
    NEVER,
    RULES,
    Caller,
    add_rule,
    assert_mfa,
    assert_tokens,
    caller,
    events_of,
    home_ip,
    lab_ip,
    last_decision,
    office_ip,
    pass_otp,
    set_policy,
    with_otp,
)
from tests.api.webauthn import switch
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime

__all__ = ["caller"]
pytestmark = pytest.mark.usefixtures("tenant")
OFFICE = 'request.ip.in_cidr("10.0.0.0/8")'
REQUIRE = {"type": "require_mfa"}


async def test_a_cidr_rule_asks_one_range_for_mfa_and_not_another(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    await add_rule(client, auth, name="VPN", condition=OFFICE, action=REQUIRE)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_mfa(caller(office_ip()), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["door"] == "token"
    assert decided["decision"]["outcome"] == "mfa"
    assert decided["trace"]["rules"] == [{"rule": "VPN", "result": "matched"}]
    assert decided["trace"]["decided_by"] == "rule: VPN"

    await assert_tokens(caller(home_ip()), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["decision"]["outcome"] == "skip"
    assert decided["trace"]["rules"] == [{"rule": "VPN", "result": "not_matched"}]
    assert decided["trace"]["decided_by"] == "tenant policy: never"


async def test_an_ipv6_cidr_rule(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    condition = 'request.ip.in_cidr("2001:db8:aa::/48")'
    await add_rule(client, auth, name="Lab v6", condition=condition, action=REQUIRE)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_mfa(caller(lab_ip("aa")), app, person)
    await assert_tokens(caller(lab_ip("bb")), app, person)
    await assert_tokens(caller(office_ip()), app, person)


async def test_an_ipv4_mapped_address_matches_an_ipv4_rule(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    """A dual-stack listener reports IPv4 callers as `::ffff:a.b.c.d`: the office rule must
    still see them as inside 10.0.0.0/8."""
    await set_policy(client, auth, NEVER)
    await add_rule(client, auth, name="VPN", condition=OFFICE, action=REQUIRE)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_mfa(caller(f"::ffff:{office_ip()}"), app, person)
    await assert_tokens(caller(f"::ffff:{home_ip()}"), app, person)


async def test_a_skip_rule_under_always(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, ALWAYS)
    await add_rule(client, auth, name="Office", condition=OFFICE, action={"type": "skip_mfa"})
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_tokens(caller(office_ip()), app, person)
    assert (await last_decision(runtime, person.user_id))["trace"]["decided_by"] == "rule: Office"
    await assert_mfa(caller(home_ip()), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["trace"]["decided_by"] == "tenant policy: always"


async def test_a_deny_rule_is_access_denied_and_audited_as_a_failure(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    await add_rule(client, auth, name="Blocked", condition=OFFICE, action={"type": "deny"})
    app, person = await a_client(runtime), await a_user(runtime)
    refused = await password_login(caller(office_ip()), app, person)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "access_denied",
        "error_description": "Access denied by the sign-in policy.",
    }
    decided = await events_of(runtime, person.user_id, "tf_policy")
    assert [event.outcome for event in decided] == ["failure"]
    assert decided[0].details["decision"]["outcome"] == "deny"
    assert await events_of(runtime, person.user_id, "s") == []
    assert await events_of(runtime, person.user_id, "mfar") == []


async def test_rules_in_order_first_match_wins(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, ALWAYS)
    skip = await add_rule(client, auth, name="Skip", condition=OFFICE, action={"type": "skip_mfa"})
    deny = await add_rule(client, auth, name="Deny", condition="true", action={"type": "deny"})
    app, person = await a_client(runtime), await a_user(runtime)
    office = caller(office_ip())
    await assert_tokens(office, app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["trace"]["rules"] == [{"rule": "Skip", "result": "matched"}]

    writer = await auth("update:mfa_policies")
    reordered = await client.put(f"{RULES}/order", json={"ids": [deny, skip]}, headers=writer)
    assert reordered.status_code == 200, reordered.text
    refused = await password_login(office, app, person)
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    decided = await last_decision(runtime, person.user_id)
    assert decided["trace"]["rules"] == [{"rule": "Deny", "result": "matched"}]


async def test_a_disabled_rule_is_ignored(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    await add_rule(client, auth, name="Off", condition="true", action=REQUIRE, enabled=False)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_tokens(caller(office_ip()), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["trace"]["rules"] == [{"rule": "Off", "result": "disabled"}]
    assert decided["trace"]["decided_by"] == "tenant policy: never"


@pytest.mark.parametrize(
    "case",
    [(NEVER, "skip_mfa"), (NEVER, "deny"), (ALWAYS, "skip_mfa")],
    ids=["never-skip", "never-deny", "always-skip"],
)
async def test_a_rule_that_errors_requires_mfa(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    case: tuple[list[str], str],
) -> None:
    """The user has no `tier` key: CEL cannot evaluate the condition, and neither the rule's
    action nor the tenant policy decides; MFA does (fail closed)."""
    policy, action = case
    await set_policy(client, auth, policy)
    condition = 'user.app_metadata.tier == "gold"'
    await add_rule(client, auth, name="Gold", condition=condition, action={"type": action})
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_mfa(caller(office_ip()), app, person)
    decided = await last_decision(runtime, person.user_id)
    assert decided["decision"]["outcome"] == "mfa"
    assert decided["decision"]["factors"] == []
    [tried] = decided["trace"]["rules"]
    assert tried["rule"] == "Gold"
    assert tried["result"].startswith("error: ")
    assert decided["trace"]["decided_by"] == "rule: Gold"


async def test_a_rule_limits_the_factors_an_mfa_token_can_use(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    await set_policy(client, auth, ALWAYS)
    await switch(client, auth, enabled=True, names=("webauthn-roaming",))
    app, person = await a_client(runtime), await a_user(runtime)
    http = caller(office_ip())
    secret = await with_otp(http, app, person, clock)
    rule = await add_rule(
        client,
        auth,
        name="Security key",
        condition="true",
        action={"type": "require_mfa", "factors": ["webauthn-roaming"]},
    )

    refused = await password_login(http, app, person)
    assert refused.status_code == 403
    assert refused.json()["mfa_requirements"] == {"enroll": [{"type": "webauthn-roaming"}]}
    token = refused.json()["mfa_token"]
    assert (await last_decision(runtime, person.user_id))["decision"]["factors"] == [
        "webauthn-roaming"
    ]
    otp = await otp_grant(http, app, token, code(secret, clock.now()))
    assert otp.status_code == 403
    assert otp.json()["error"] == "invalid_grant"
    challenged = await http.post(
        "/mfa/challenge",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": token,
            "challenge_type": "otp",
        },
    )
    assert challenged.status_code == 400
    assert challenged.json()["error"] == "association_required"
    associated = await associate(http, token)
    assert associated.status_code == 403
    assert associated.json()["error"] == "access_denied"

    writer = await auth("update:mfa_policies")
    assert (await client.delete(f"{RULES}/{rule}", headers=writer)).status_code == 204
    clock.advance(30)
    allowed = await password_login(http, app, person)
    assert allowed.status_code == 403
    assert allowed.json()["mfa_requirements"] == {
        "challenge": [{"type": "otp"}, {"type": "recovery-code"}]
    }
    passed = await pass_otp(http, app, allowed.json()["mfa_token"], secret, clock)
    assert passed.status_code == 200, passed.text


async def test_a_login_without_mfa_audits_its_risk_and_one_decision(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    app, person = await a_client(runtime), await a_user(runtime)
    ip = office_ip()
    await assert_tokens(caller(ip), app, person)
    [success] = await events_of(runtime, person.user_id, "s")
    [decided] = await events_of(runtime, person.user_id, "tf_policy")
    assert success.details["amr"] == ["pwd"]
    assert success.details["risk_assessment"] == decided.details["risk_assessment"]
    risk = decided.details["risk_assessment"]
    assert risk["confidence"] == "high"
    assert risk["assessments"]["NewDevice"]["code"] == "initial_login"
    assert risk["assessments"]["UntrustedIP"]["code"] == "not_found_on_deny_list"
    assert decided.details["door"] == "token"
    assert decided.details["decision"] == {
        "outcome": "skip",
        "factors": [],
        "max_age": None,
        "remember_browser": None,
    }
    assert decided.details["trace"]["confidence"] == "high"
    assert decided.ip == ip


async def test_every_decision_is_audited_once(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, caller: Caller
) -> None:
    await set_policy(client, auth, NEVER)
    await add_rule(client, auth, name="VPN", condition=OFFICE, action=REQUIRE)
    app, person = await a_client(runtime), await a_user(runtime)
    await assert_mfa(caller(office_ip()), app, person)
    await assert_tokens(caller(home_ip()), app, person)
    await assert_mfa(caller(office_ip()), app, person)
    decided = await events_of(runtime, person.user_id, "tf_policy")
    assert [event.details["decision"]["outcome"] for event in decided] == ["mfa", "skip", "mfa"]
    assert {event.details["door"] for event in decided} == {"token"}
    for event in decided:
        assert set(event.details) == {"door", "decision", "trace", "risk_assessment"}
    assert len(await events_of(runtime, person.user_id, "mfar")) == 2


async def test_a_rule_accepting_only_switched_off_factors_is_refused_not_a_dead_end(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    runtime: Runtime,
    caller: Caller,
    clock: FrozenClock,
) -> None:
    """WebAuthn is off by default: an `mfa_token` nothing could answer or enrol is useless."""
    await set_policy(client, auth, ALWAYS)
    app, person = await a_client(runtime), await a_user(runtime)
    http = caller(office_ip())
    await with_otp(http, app, person, clock)
    await add_rule(
        client,
        auth,
        name="Security key",
        condition="true",
        action={"type": "require_mfa", "factors": ["webauthn-roaming"]},
    )
    refused = await password_login(http, app, person)
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    assert "switched off" in refused.json()["error_description"]
    assert "mfa_token" not in refused.json()
    assert len(await events_of(runtime, person.user_id, "tf_policy")) == 2  # with_otp's + this
    assert len(await events_of(runtime, person.user_id, "mfar")) == 1  # with_otp's only
