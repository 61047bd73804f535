"""`/api/v2/logs`: admin actions are audited, and the log reads back filtered and paginated."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx
import pytest

from tests.api.helpers import enrolled
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user
from twofold.audit import events
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.types import UserId

RESET = events.MfaReset(user_id=UserId("x"), actor="x", removed=0).entry().type
REGENERATED = events.RecoveryCodeRegenerated(user_id=UserId("x"), actor="x").entry().type
FORGOTTEN = events.RememberBrowserInvalidated(user_id=UserId("x"), actor="x").entry().type
TENANT = events.TenantUpdate(actor="x", setting="x", value=[]).entry().type
CREATED = events.UserCreated(user_id=UserId("x"), actor="x", email="x").entry().type


async def logs(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str | int
) -> list[dict[str, object]]:
    response = await client.get("/api/v2/logs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, object]] = response.json()
    return body


async def test_reset_is_audited_with_the_caller(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    reset = await client.delete(
        f"/api/v2/users/{quote(person.user_id, safe='')}/authenticators",
        headers=await auth("delete:guardian_enrollments"),
    )
    assert reset.status_code == 204
    found = await logs(
        client, await auth("read:logs"), q=f'type:{RESET} AND user_id:"{person.user_id}"'
    )
    assert len(found) == 1
    assert found[0]["type"] == RESET
    assert found[0]["user_id"] == person.user_id
    one = await client.get(
        f"/api/v2/logs/{quote(str(found[0]['log_id']), safe='')}", headers=await auth("read:logs")
    )
    assert one.status_code == 200
    assert one.json() == found[0]


async def test_user_actions_are_audited(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    path = f"/api/v2/users/{quote(person.user_id, safe='')}"
    writer = await auth("update:users")
    clock.advance(1)
    regenerated = await client.post(f"{path}/recovery-code-regeneration", headers=writer)
    assert regenerated.status_code == 200
    clock.advance(1)
    forgotten = await client.post(
        f"{path}/multifactor/actions/invalidate-remember-browser", headers=writer
    )
    assert forgotten.status_code == 204
    found = await logs(
        client,
        await auth("read:logs"),
        q=f'user_id:"{person.user_id}" AND type:({REGENERATED} OR {FORGOTTEN} OR {CREATED})',
        sort="date:1",
    )
    assert [entry["type"] for entry in found] == [CREATED, REGENERATED, FORGOTTEN]


@pytest.mark.usefixtures("tenant")
async def test_tenant_changes_are_audited(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    reader = await auth("read:logs")

    async def total() -> int:
        response = await client.get(
            "/api/v2/logs",
            params={"q": f"type:{TENANT}", "include_totals": "true", "per_page": 1},
            headers=reader,
        )
        count: int = response.json()["total"]
        return count

    before = await total()
    factor = await client.put(
        "/api/v2/guardian/factors/otp",
        json={"enabled": True},
        headers=await auth("update:guardian_factors"),
    )
    assert factor.status_code == 200
    policy = await client.put(
        "/api/v2/guardian/policies",
        json=["all-applications"],
        headers=await auth("update:mfa_policies"),
    )
    assert policy.status_code == 200
    refused = await client.put(
        "/api/v2/guardian/factors/duo",
        json={"enabled": True},
        headers=await auth("update:guardian_factors"),
    )
    assert refused.status_code == 400
    assert await total() == before + 2


async def test_paging_sorting_and_totals(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    path = f"/api/v2/users/{quote(person.user_id, safe='')}"
    writer = await auth("update:users")
    for _ in range(3):
        clock.advance(1)
        await client.post(f"{path}/multifactor/actions/invalidate-remember-browser", headers=writer)
    reader = await auth("read:logs")
    q = f'user_id:"{person.user_id}"'
    newest = await logs(client, reader, q=q)
    oldest = await logs(client, reader, q=q, sort="date:1")
    assert len(newest) == 4  # created + three invalidations
    assert [entry["log_id"] for entry in oldest] == [entry["log_id"] for entry in reversed(newest)]
    assert oldest[0]["type"] == CREATED
    assert await logs(client, reader, q=q, per_page=2, page=1) == newest[2:]

    response = await client.get(
        "/api/v2/logs", params={"q": q, "include_totals": "true", "per_page": 3}, headers=reader
    )
    body = response.json()
    assert body["logs"] == newest[:3]
    assert (body["start"], body["limit"], body["length"], body["total"]) == (0, 3, 3, 4)


async def test_date_ranges(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    person = await a_user(runtime)
    reader = await auth("read:logs")
    now = clock.now()

    def day(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    user = f'user_id:"{person.user_id}"'
    inside = f"{user} date:[{day(now - dt.timedelta(minutes=1))} TO *]"
    later = f"{user} AND date:[{day(now + dt.timedelta(hours=1))} TO *]"
    earlier = f"{user} AND date:[* TO {day(now - dt.timedelta(hours=1))}]"
    assert [entry["type"] for entry in await logs(client, reader, q=inside)] == [CREATED]
    assert await logs(client, reader, q=later) == []
    assert await logs(client, reader, q=earlier) == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "phone:123"},
        {"q": "type:gd_auth_succeed OR type:gd_auth_failed"},
        {"q": "user_id:(a OR b)"},
        {"q": "date:[yesterday TO today]"},
        {"q": "date:2026"},
        {"q": 'user_id:"unterminated'},
        {"q": "a\u0000b"},
        {"per_page": 101},
        {"page": -1},
        {"sort": "date:2"},
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, str | int]
) -> None:
    response = await client.get("/api/v2/logs", params=params, headers=await auth("read:logs"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("log_id", ["999999999999", "nope nope", "x" * 300])
async def test_unknown_log_is_404(
    client: httpx.AsyncClient, auth: TokenFactory, log_id: str
) -> None:
    response = await client.get(
        f"/api/v2/logs/{quote(log_id, safe='')}", headers=await auth("read:logs")
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
