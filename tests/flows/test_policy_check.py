"""The policy at the doors: facts observed once from the store, the decision, and what a
finished login leaves behind for the next one (its place and its device)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import a_user
from twofold.clock import FrozenClock
from twofold.config import PolicySettings
from twofold.domain import JsonObject
from twofold.flows import management
from twofold.flows.policy_check import (
    Device,
    PolicyCheck,
    allowed,
    check_policy,
    needs_email_verification,
    record_success,
    rule_of,
)
from twofold.flows.policy_rules import create_rule
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import current_policies
from twofold.policy.engine import POLICY_KEY, Outcome
from twofold.policy.rules import Action, ActionKind
from twofold.security import tokens
from twofold.store.repos.policy import StoredRule
from twofold.types import FactorType, UserId

pytestmark = pytest.mark.usefixtures("tenant")

LONDON = "81.2.69.142"
TOKYO = "210.138.184.59"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


async def _decide(
    rt: Runtime, user_id: str, *, ip: str, agent: str, cookie: str | None
) -> PolicyCheck:
    async with rt.store.read() as tx:
        user = await tx.users.get(UserId(user_id))
    assert user is not None
    return await check_policy(
        rt,
        user=user,
        application=None,
        info=RequestInfo(ip=ip, user_agent=agent),
        device=Device(cookie=cookie, user_agent=agent),
    )


async def _check(rt: Runtime, user_id: str, *, ip: str, agent: str, cookie: str | None) -> str:
    """The decision's risk codes as `NewDevice/ImpossibleTravel/UntrustedIP`."""
    codes = (await _decide(rt, user_id, ip=ip, agent=agent, cookie=cookie)).risk.codes()
    return "/".join(codes[name] for name in ("NewDevice", "ImpossibleTravel", "UntrustedIP"))


async def _finish(rt: Runtime, user_id: str, *, ip: str, agent: str, cookie: str | None) -> None:
    """A login that finishes: decided, then recorded as a success."""
    check = await _decide(rt, user_id, ip=ip, agent=agent, cookie=cookie)
    async with rt.store.transaction() as tx:
        await record_success(rt, tx, user_id=UserId(user_id), ip=ip, state=check.state())


async def test_first_login_then_known_device_then_travel(
    runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    cookie = tokens.new_token()
    first = await _check(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)
    assert first == "initial_login/initial_login/not_found_on_deny_list"
    await _finish(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)

    clock.advance(3600)
    again = await _check(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)
    assert again == "match/minimal_travel_from_last_login/not_found_on_deny_list"
    other_browser = await _check(runtime, person.user_id, ip=LONDON, agent=FIREFOX, cookie=None)
    assert other_browser.startswith("no_match/")
    cookie_only = await _check(runtime, person.user_id, ip=LONDON, agent=FIREFOX, cookie=cookie)
    assert cookie_only.startswith("partial_match/")

    clock.advance(600)  # ten minutes later, on the other side of the world
    travel = await _check(runtime, person.user_id, ip=TOKYO, agent=CHROME, cookie=cookie)
    assert travel == "match/impossible_travel_from_last_login/not_found_on_deny_list"


async def test_devices_unseen_for_the_window_are_new_again(
    runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    cookie = tokens.new_token()
    await _finish(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)
    clock.advance(dt.timedelta(days=31).total_seconds())
    later = await _check(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)
    assert later.startswith("no_device_history/")  # risk, like no_match


async def test_a_malformed_device_cookie_counts_as_none(runtime: Runtime) -> None:
    person = await a_user(runtime)
    await _finish(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie="not a token!")
    async with runtime.store.read() as tx:
        devices = await tx.known_devices.for_user(
            UserId(person.user_id), since=runtime.clock.now() - dt.timedelta(days=1)
        )
    assert [(d.device_id_hash, d.ua_family) for d in devices] == [("", "Chrome on Linux")]


async def test_the_device_cookie_is_stored_keyed_hashed(runtime: Runtime) -> None:
    person = await a_user(runtime)
    cookie = tokens.new_token()
    await _finish(runtime, person.user_id, ip=LONDON, agent=CHROME, cookie=cookie)
    async with runtime.store.read() as tx:
        devices = await tx.known_devices.for_user(
            UserId(person.user_id), since=runtime.clock.now() - dt.timedelta(days=1)
        )
    assert len(devices) == 1
    assert cookie not in devices[0].device_id_hash
    assert devices[0].device_id_hash == Device(cookie, CHROME).id_hash(runtime)


async def test_a_finished_login_records_its_place(runtime: Runtime) -> None:
    person = await a_user(runtime)
    await _finish(runtime, person.user_id, ip=TOKYO, agent=CHROME, cookie=None)
    async with runtime.store.read() as tx:
        user = await tx.users.get(UserId(person.user_id))
    assert user is not None
    assert user.last_login_ip == TOKYO
    assert user.last_login_geo is not None
    assert user.last_login_geo["country"] == "JP"


async def test_a_private_address_leaves_no_place(runtime: Runtime) -> None:
    person = await a_user(runtime)
    await _finish(runtime, person.user_id, ip="10.1.2.3", agent=CHROME, cookie=None)
    async with runtime.store.read() as tx:
        user = await tx.users.get(UserId(person.user_id))
    assert user is not None
    assert user.last_login_geo is None
    check = await _check(runtime, person.user_id, ip=TOKYO, agent=CHROME, cookie=None)
    assert check.split("/")[1] == "location_history_not_found"


async def test_stored_rules_decide_in_order(runtime: Runtime) -> None:
    person = await a_user(runtime)
    for name, condition, kind in (
        ("tokyo", 'request.geo.country == "JP"', ActionKind.DENY),
        ("everyone", "true", ActionKind.SKIP_MFA),
    ):
        await create_rule(
            runtime,
            name=name,
            enabled=True,
            condition=condition,
            action=Action(kind),
            remember=None,
            actor="test",
        )
    async with runtime.store.read() as tx:
        user = await tx.users.get(UserId(person.user_id))
    assert user is not None
    results = {}
    for ip in (TOKYO, LONDON):
        check = await check_policy(
            runtime,
            user=user,
            application=None,
            info=RequestInfo(ip=ip, user_agent=CHROME),
            device=Device(None, CHROME),
        )
        results[ip] = (check.decision.outcome, check.decision.trace.decided_by)
    assert results == {
        TOKYO: (Outcome.DENY, "rule: tokyo"),
        LONDON: (Outcome.SKIP, "rule: everyone"),
    }


def _stored(action: JsonObject, remember: bool | int | None = None) -> StoredRule:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return StoredRule(
        id="rul_000000000000000000000000",
        position=1,
        name="r",
        enabled=True,
        condition="true",
        action=action,
        remember=remember,
        created_at=now,
        updated_at=now,
    )


def test_rule_of_reads_the_stored_action() -> None:
    rule = rule_of(
        _stored({"type": "require_mfa", "factors": ["webauthn-roaming"], "max_age": 60}, 7)
    )
    assert rule.action == Action(ActionKind.REQUIRE_MFA, (FactorType.WEBAUTHN_ROAMING,), 60)
    assert rule.remember_browser == 7
    assert rule_of(_stored({"type": "skip_mfa"}, False)).remember_browser is False
    assert rule_of(_stored({"type": "deny"})).remember_browser is None


def test_allowed_reads_the_kept_decision() -> None:
    restricted: JsonObject = {"decision": {"factors": ["webauthn-roaming"]}}
    assert allowed(restricted, FactorType.WEBAUTHN_ROAMING)
    assert not allowed(restricted, FactorType.OTP)
    assert not allowed(restricted, FactorType.RECOVERY_CODE)
    assert allowed({"decision": {"factors": []}}, FactorType.OTP)
    assert allowed(None, FactorType.OTP)


async def test_adaptive_without_a_factor_verifies_by_email(runtime: Runtime) -> None:
    person = await a_user(runtime)
    await management.set_mfa_policies(runtime, ["confidence-score"], actor="test")
    async with runtime.store.read() as tx:
        user = await tx.users.get(UserId(person.user_id))
    assert user is not None
    # Low confidence: the address is malformed (UntrustedIP: invalid_ip_address).
    check = await check_policy(
        runtime,
        user=user,
        application=None,
        info=RequestInfo(ip="not-an-ip", user_agent=CHROME),
        device=Device(None, CHROME),
    )
    assert check.decision.outcome is Outcome.MFA
    assert needs_email_verification(check)
    fine = await check_policy(
        runtime,
        user=user,
        application=None,
        info=RequestInfo(ip=LONDON, user_agent=CHROME),
        device=Device(None, CHROME),
    )
    assert fine.decision.outcome is Outcome.SKIP
    assert not needs_email_verification(fine)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [("never", ()), ("always", ("all-applications",)), ("adaptive", ("confidence-score",))],
)
async def test_the_configured_policy_applies_until_one_is_stored(
    runtime: Runtime, configured: str, expected: tuple[str, ...]
) -> None:
    settings = PolicySettings.model_validate({"mfa": configured})
    async with runtime.store.transaction() as tx:
        await tx.tenant.put(POLICY_KEY, None)  # the `tenant` fixture puts it back
        assert await current_policies(tx, settings) == expected
        await tx.tenant.put(POLICY_KEY, ["confidence-score"])
        assert await current_policies(tx, settings) == ("confidence-score",)
