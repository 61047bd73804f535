"""`/api/v2/users/{id}/authentication-methods`: Auth0's shapes, one delete and the reset."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.api.helpers import associate, enrolled, mfa_token
from tests.api.management.conftest import TokenFactory
from tests.builders import a_client, a_user
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime


def methods_path(user_id: str) -> str:
    return f"/api/v2/users/{quote(user_id, safe='')}/authentication-methods"


async def test_list_shows_totp_and_recovery_code(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    response = await client.get(
        methods_path(person.user_id), headers=await auth("read:authentication_methods")
    )
    assert response.status_code == 200
    by_type = {item["type"]: item for item in response.json()}
    assert set(by_type) == {"totp", "recovery-code"}
    totp = by_type["totp"]
    assert totp["id"].startswith("totp|dev_")
    assert totp["confirmed"] is True
    assert totp["authentication_methods"] == [{"id": totp["id"], "type": "totp"}]
    assert totp["enrolled_at"].endswith("Z")
    assert totp["last_auth_at"].endswith("Z")
    assert by_type["recovery-code"]["confirmed"] is True
    assert by_type["recovery-code"]["id"].startswith("recovery-code|dev_")


async def test_pending_enrolment_is_unconfirmed(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await associate(client, await mfa_token(client, app, person))
    response = await client.get(
        methods_path(person.user_id), headers=await auth("read:authentication_methods")
    )
    totp = next(item for item in response.json() if item["type"] == "totp")
    assert totp["confirmed"] is False
    assert "enrolled_at" not in totp


async def test_get_and_delete_one_method(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    reader = await auth("read:authentication_methods")
    listed = (await client.get(methods_path(person.user_id), headers=reader)).json()
    totp_id = next(item["id"] for item in listed if item["type"] == "totp")
    one = f"{methods_path(person.user_id)}/{quote(totp_id, safe='')}"
    assert "%7C" in one

    got = await client.get(one, headers=reader)
    assert got.status_code == 200
    assert got.json()["id"] == totp_id

    deleted = await client.delete(one, headers=await auth("delete:authentication_methods"))
    assert deleted.status_code == 204
    remaining = (await client.get(methods_path(person.user_id), headers=reader)).json()
    assert [item["type"] for item in remaining] == ["recovery-code"]
    again = await client.delete(one, headers=await auth("delete:authentication_methods"))
    assert again.status_code == 404
    assert again.json() == {
        "error": "not_found",
        "error_description": "The authentication method does not exist.",
    }


async def test_method_of_another_user_is_404(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, owner, other = await a_client(runtime), await a_user(runtime), await a_user(runtime)
    await enrolled(client, app, owner, clock.now())
    reader = await auth("read:authentication_methods")
    method_id = (await client.get(methods_path(owner.user_id), headers=reader)).json()[0]["id"]
    path = f"{methods_path(other.user_id)}/{quote(method_id, safe='')}"
    assert (await client.get(path, headers=reader)).status_code == 404
    deleted = await client.delete(path, headers=await auth("delete:authentication_methods"))
    assert deleted.status_code == 404
    assert len((await client.get(methods_path(owner.user_id), headers=reader)).json()) == 2


async def test_unknown_user_is_404_not_an_empty_list(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    response = await client.get(
        methods_path("auth0|000000000000000000000000"),
        headers=await auth("read:authentication_methods"),
    )
    assert response.status_code == 404
    assert response.json()["error_description"] == "The user does not exist."


async def test_delete_all_is_the_reset(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, clock: FrozenClock
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    await enrolled(client, app, person, clock.now())
    open_token = await mfa_token(client, app, person)
    response = await client.delete(
        methods_path(person.user_id), headers=await auth("delete:authentication_methods")
    )
    assert response.status_code == 204
    listed = await client.get(
        methods_path(person.user_id), headers=await auth("read:authentication_methods")
    )
    assert listed.json() == []
    # The open mfa_token died with the reset.
    reuse = await associate(client, open_token)
    assert reuse.status_code == 401
    assert reuse.json()["error"] == "invalid_token"
