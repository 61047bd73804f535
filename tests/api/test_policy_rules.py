"""`/api/v2/mfa/policy/rules`: policy rules saved compiled, listed in order, changed, reordered
and deleted over HTTP; refusals are 400s naming where, and every change is audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.management.conftest import TokenFactory
from twofold.flows import policy_rules
from twofold.flows.runtime import Runtime

pytestmark = pytest.mark.usefixtures("tenant")
RULES = "/api/v2/mfa/policy/rules"
ADMINS: dict[str, Any] = {
    "name": "Admins use a security key",
    "condition": '"admin" in user.roles',
    "action": {"type": "require_mfa", "factors": ["webauthn-roaming"], "max_age": 3600},
    "remember_browser": False,
}
OFFICE: dict[str, Any] = {
    "name": "Office network",
    "condition": 'request.ip.in_cidr("10.0.0.0/8")',
    "action": {"type": "skip_mfa"},
}


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post(RULES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def audited(
    client: httpx.AsyncClient, headers: dict[str, str], ids: set[str]
) -> list[dict[str, Any]]:
    """The policy-rule changes to the rules `ids` in the audit log, oldest first (the log is
    shared by the whole session: newest first finds them however long it is)."""
    response = await client.get(
        "/api/v2/logs", params={"q": "type:gd_tenant_update", "per_page": 100}, headers=headers
    )
    assert response.status_code == 200, response.text
    changes = [
        item["details"]
        for item in response.json()
        if item["details"].get("setting") == "mfa.policy.rules"
        and (item["details"].get("rule_id") in ids or set(item["details"].get("order", ())) == ids)
    ]
    return changes[::-1]


async def test_create_get_list_update_delete(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    created = await create(client, headers, ADMINS)
    assert created["id"].startswith("rul_")
    assert created["enabled"] is True
    assert created["action"] == {
        "type": "require_mfa",
        "factors": ["webauthn-roaming"],
        "max_age": 3600,
    }
    assert created["remember_browser"] is False
    assert created["created_at"] == created["updated_at"]
    assert created["created_at"].endswith("Z")

    fetched = await client.get(f"{RULES}/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == created

    second = await create(client, headers, OFFICE)
    assert second["action"] == {"type": "skip_mfa", "factors": [], "max_age": None}
    assert second["remember_browser"] is None
    assert second["position"] > created["position"]
    listed = (await client.get(RULES, headers=headers)).json()
    assert [rule["id"] for rule in listed] == [created["id"], second["id"]]

    patched = await client.patch(
        f"{RULES}/{created['id']}",
        json={"name": "Admins", "condition": '"admin" in user.roles || "ops" in user.roles'},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Admins"
    assert body["condition"] == '"admin" in user.roles || "ops" in user.roles'
    assert body["action"] == created["action"]
    assert body["remember_browser"] is False
    assert body["position"] == created["position"]

    remember = await client.patch(
        f"{RULES}/{created['id']}", json={"remember_browser": 30}, headers=headers
    )
    assert remember.json()["remember_browser"] == 30
    default = await client.patch(
        f"{RULES}/{created['id']}", json={"remember_browser": None}, headers=headers
    )
    assert default.json()["remember_browser"] is None
    assert default.json()["name"] == "Admins"

    deleted = await client.delete(f"{RULES}/{created['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"{RULES}/{created['id']}", headers=headers)).status_code == 404
    listed = (await client.get(RULES, headers=headers)).json()
    assert [rule["id"] for rule in listed] == [second["id"]]


async def test_enable_and_disable(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    rule = await create(client, headers, {**OFFICE, "enabled": False})
    assert rule["enabled"] is False
    on = await client.patch(f"{RULES}/{rule['id']}", json={"enabled": True}, headers=headers)
    assert on.json()["enabled"] is True
    off = await client.patch(f"{RULES}/{rule['id']}", json={"enabled": False}, headers=headers)
    assert off.json()["enabled"] is False
    assert (await client.get(f"{RULES}/{rule['id']}", headers=headers)).json()["enabled"] is False


async def test_a_condition_that_does_not_compile_is_refused_with_its_position(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = await auth()
    response = await client.post(
        RULES, json={**OFFICE, "condition": 'user.email == "a" &&\n  (('}, headers=headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["line"] == 2
    assert isinstance(body["column"], int)
    assert body["error_description"].startswith("Invalid rule: ")
    assert f"(line 2, column {body['column']})" in body["error_description"]
    assert (await client.get(RULES, headers=headers)).json() == []


@pytest.mark.parametrize(
    "condition",
    [
        "user.__class__",
        'user.__class__.__init__.__globals__["os"]',
        "secrets.token",
        'exec("import os")',
        "[" + ",".join(["1"] * 150) + "] == []",
        "[" + ", ".join(["1"] * 1_000) + "]",
        "(" * 200 + "true" + ")" * 200,
    ],
    ids=[
        "dunder",
        "globals",
        "unknown-variable",
        "unknown-function",
        "long-list",
        "too-long",
        "deep",
    ],
)
async def test_hostile_conditions_are_refused(
    client: httpx.AsyncClient, auth: TokenFactory, condition: str
) -> None:
    headers = await auth()
    response = await client.post(RULES, json={**OFFICE, "condition": condition}, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error_description"].startswith("Invalid rule: ")
    assert (await client.get(RULES, headers=headers)).json() == []


async def test_an_update_is_compiled_again(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    rule = await create(client, headers, OFFICE)
    refused = await client.patch(
        f"{RULES}/{rule['id']}", json={"condition": "user.__class__"}, headers=headers
    )
    assert refused.status_code == 400
    skip_with_factors = await client.patch(
        f"{RULES}/{rule['id']}",
        json={"action": {"type": "skip_mfa", "factors": ["otp"]}},
        headers=headers,
    )
    assert skip_with_factors.status_code == 400
    assert "require_mfa" in skip_with_factors.json()["error_description"]
    assert (await client.get(f"{RULES}/{rule['id']}", headers=headers)).json() == rule


async def test_reorder(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    first = await create(client, headers, ADMINS)
    second = await create(client, headers, OFFICE)
    third = await create(client, headers, {**OFFICE, "name": "Deny", "action": {"type": "deny"}})
    order = [third["id"], first["id"], second["id"]]
    response = await client.put(f"{RULES}/order", json={"ids": order}, headers=headers)
    assert response.status_code == 200, response.text
    assert [rule["id"] for rule in response.json()] == order
    assert [rule["position"] for rule in response.json()] == [0, 1, 2]
    assert [rule["id"] for rule in (await client.get(RULES, headers=headers)).json()] == order
    # a new rule goes last
    fourth = await create(client, headers, OFFICE)
    listed = (await client.get(RULES, headers=headers)).json()
    assert [rule["id"] for rule in listed] == [*order, fourth["id"]]


@pytest.mark.parametrize(
    "ids",
    [
        ["first", "second"],
        ["first"],
        ["first", "second", "second", "third"],
        ["first", "second", "third", "rul_000000000000000000000000"],
        [],
    ],
    ids=["missing", "two-missing", "repeated", "unknown", "empty"],
)
async def test_reorder_refuses_anything_but_every_rule_once(
    client: httpx.AsyncClient, auth: TokenFactory, ids: list[str]
) -> None:
    headers = await auth()
    made = {name: (await create(client, headers, OFFICE))["id"] for name in ("first", "second")}
    made["third"] = (await create(client, headers, OFFICE))["id"]
    before = (await client.get(RULES, headers=headers)).json()
    body = {"ids": [made.get(name, name) for name in ids]}
    response = await client.put(f"{RULES}/order", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert (await client.get(RULES, headers=headers)).json() == before


async def test_unknown_ids_are_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    path = f"{RULES}/rul_000000000000000000000000"
    assert (await client.get(path, headers=headers)).status_code == 404
    patched = await client.patch(path, json={"enabled": False}, headers=headers)
    assert patched.status_code == 404
    assert patched.json()["error"] == "not_found"
    assert (await client.delete(path, headers=headers)).status_code == 404
    for odd in ("order", "not%00a-rule", "rul_%F0%9F%98%80", "x" * 300):
        assert (await client.get(f"{RULES}/{odd}", headers=headers)).status_code == 404, odd
        assert (await client.delete(f"{RULES}/{odd}", headers=headers)).status_code == 404, odd


@pytest.mark.parametrize(
    "body",
    [
        {**OFFICE, "extra": 1},
        {**OFFICE, "action": {"type": "skip_mfa", "colour": "red"}},
        {**OFFICE, "action": {"type": "allow"}},
        {**OFFICE, "action": {"type": "require_mfa", "factors": ["carrier-pigeon"]}},
        {**OFFICE, "action": {"type": "require_mfa", "factors": ["sms"]}},
        {**OFFICE, "action": {"type": "require_mfa", "max_age": -1}},
        {**OFFICE, "action": {"type": "require_mfa", "max_age": "60"}},
        {**OFFICE, "remember_browser": True},
        {**OFFICE, "remember_browser": 0},
        {**OFFICE, "remember_browser": 366},
        {**OFFICE, "enabled": "yes"},
        {**OFFICE, "name": ""},
        {**OFFICE, "name": "tab\there"},
        {**OFFICE, "condition": ""},
        {**OFFICE, "condition": 'user.email == "\x00"'},
        {**OFFICE, "condition": 42},
        {"name": "no condition", "action": {"type": "deny"}},
        [OFFICE],
    ],
)
async def test_bad_bodies_are_400(client: httpx.AsyncClient, auth: TokenFactory, body: Any) -> None:
    headers = await auth()
    response = await client.post(RULES, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert (await client.get(RULES, headers=headers)).json() == []


async def test_bad_patch_and_order_bodies_are_400(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = await auth()
    rule = await create(client, headers, OFFICE)
    for patch in ({"position": 3}, {"enabled": 1}, {"action": {"type": "deny", "max_age": 9}}):
        response = await client.patch(f"{RULES}/{rule['id']}", json=patch, headers=headers)
        assert response.status_code == 400, patch
    for order in ({}, {"ids": rule["id"]}, {"ids": [rule["id"]], "extra": True}):
        response = await client.put(f"{RULES}/order", json=order, headers=headers)
        assert response.status_code == 400, order


async def test_scopes(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    writer = await auth("update:mfa_policies")
    reader = await auth("read:mfa_policies")
    other = await auth("read:users")
    rule = await create(client, writer, OFFICE)
    item = f"{RULES}/{rule['id']}"

    assert (await client.get(RULES, headers=reader)).status_code == 200
    assert (await client.get(item, headers=reader)).status_code == 200
    for headers in (reader, other):
        assert (await client.post(RULES, json=OFFICE, headers=headers)).status_code == 403
        patched = await client.patch(item, json={"enabled": False}, headers=headers)
        assert patched.status_code == 403
        assert patched.json()["error"] == "insufficient_scope"
        ordered = await client.put(f"{RULES}/order", json={"ids": [rule["id"]]}, headers=headers)
        assert ordered.status_code == 403
        assert (await client.delete(item, headers=headers)).status_code == 403
    assert (await client.get(RULES, headers=other)).status_code == 403
    assert (await client.get(item, headers=writer)).status_code == 403

    assert (await client.get(RULES)).status_code == 401
    assert (await client.post(RULES, json=OFFICE)).status_code == 401
    bad = {"authorization": "Bearer nope"}
    assert (await client.delete(item, headers=bad)).status_code == 401
    assert (await client.get(item, headers=reader)).json() == rule


async def test_every_change_is_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = await auth()
    first = await create(client, headers, ADMINS)
    second = await create(client, headers, OFFICE)
    patched = await client.patch(f"{RULES}/{first['id']}", json={"enabled": False}, headers=headers)
    order = [second["id"], first["id"]]
    await client.put(f"{RULES}/order", json={"ids": order}, headers=headers)
    await client.delete(f"{RULES}/{second['id']}", headers=headers)
    refused = await client.post(RULES, json={**OFFICE, "condition": "(("}, headers=headers)
    assert refused.status_code == 400

    changes = await audited(client, headers, {first["id"], second["id"]})
    assert [(item["change"], item.get("rule_id")) for item in changes] == [
        ("created", first["id"]),
        ("created", second["id"]),
        ("updated", first["id"]),
        ("reordered", None),
        ("deleted", second["id"]),
    ]
    assert changes[0]["rule"] == first
    assert changes[2]["rule"] == patched.json()
    assert changes[3]["order"] == order
    assert all(item["actor"] for item in changes)


async def test_the_number_of_rules_is_capped(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy_rules, "MAX_RULES", 2)
    headers = await auth()
    await create(client, headers, OFFICE)
    await create(client, headers, OFFICE)
    refused = await client.post(RULES, json=OFFICE, headers=headers)
    assert refused.status_code == 400
    assert "at most 2 policy rules" in refused.json()["error_description"]
    async with runtime.store.read() as tx:
        assert await tx.policy_rules.count() == 2
