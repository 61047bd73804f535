"""`/api/v2/clients`: create, list, read, update, delete and rotate-secret, with their audit."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.api.helpers import password_login
from tests.api.management.conftest import TokenFactory
from tests.builders import Client, a_user
from twofold.clock import FrozenClock
from twofold.domain import AuditRecord
from twofold.flows.runtime import Runtime
from twofold.store.repos import audit as audit_repo

CALLBACK = "https://app.example.com/callback"
WEB_GRANTS = [
    "authorization_code",
    "refresh_token",
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:okta:params:oauth:grant-type:webauthn",
]


async def created(
    client: httpx.AsyncClient, auth: TokenFactory, **body: object
) -> dict[str, object]:
    response = await client.post(
        "/api/v2/clients", headers=await auth("create:clients"), json={"name": "demo", **body}
    )
    assert response.status_code == 201, response.text
    document: dict[str, object] = response.json()
    return document


async def audited(runtime: Runtime, client_id: str) -> list[AuditRecord]:
    """The administrative (`sapi`) events about one application, oldest first."""
    async with runtime.store.read() as tx:
        page = await audit_repo.search(tx.conn, client_id=client_id, type="sapi", ascending=True)
    return list(page.items)


async def client_credentials(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return response.status_code


async def test_create_answers_the_client_with_its_secret_once(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime, machine: Client
) -> None:
    response = await client.post(
        "/api/v2/clients",
        headers=await auth("create:clients"),
        json={
            "name": " Web shop ",
            "callbacks": [CALLBACK, "http://localhost:3000/cb", CALLBACK],
            "allowed_logout_urls": ["https://app.example.com/"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert len(body["client_id"]) == 32
    assert len(body.pop("client_secret")) == 64
    assert body == {
        "client_id": body["client_id"],
        "name": "Web shop",
        "app_type": "regular_web",
        "is_first_party": True,
        "callbacks": [CALLBACK, "http://localhost:3000/cb"],
        "allowed_logout_urls": ["https://app.example.com/"],
        "grant_types": WEB_GRANTS,
        "token_endpoint_auth_method": "client_secret_post",
    }
    read = await client.get(f"/api/v2/clients/{body['client_id']}", headers=await auth())
    assert read.status_code == 200
    assert read.json() == body
    [event] = await audited(runtime, body["client_id"])
    assert event.description == "Create an application: Web shop"
    assert event.actor == f"{machine.client_id}@clients"
    assert event.details["grant_types"] == WEB_GRANTS


async def test_public_clients_have_no_secret_and_no_password_grant(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    body = await created(client, auth, app_type="native", callbacks=["com.example.app:/callback"])
    assert body["client_secret"] is None
    assert body["token_endpoint_auth_method"] == "none"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["callbacks"] == ["com.example.app:/callback"]

    public = Client(str(body["client_id"]), "")
    refused = await password_login(client, public, await a_user(runtime))
    assert refused.status_code == 403
    assert refused.json()["error"] == "unauthorized_client"

    rotate = await client.post(
        f"/api/v2/clients/{body['client_id']}/rotate-secret", headers=await auth("update:clients")
    )
    assert rotate.status_code == 400
    assert rotate.json() == {
        "error": "invalid_request",
        "error_description": "A native application is public: it has no secret to rotate.",
    }


async def test_rotation_stops_the_old_secret_at_once(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    body = await created(client, auth, app_type="non_interactive")
    client_id, old = str(body["client_id"]), str(body["client_secret"])
    assert body["grant_types"] == ["client_credentials"]
    assert await client_credentials(client, client_id, old) == 200

    # auth0-python's `clients.rotate_secret` sends the id in a body as well.
    response = await client.post(
        f"/api/v2/clients/{client_id}/rotate-secret",
        headers=await auth("update:clients"),
        json={"id": client_id},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    new = response.json()["client_secret"]
    assert new != old
    assert await client_credentials(client, client_id, old) == 401
    assert await client_credentials(client, client_id, new) == 200
    events = await audited(runtime, client_id)
    assert [event.description for event in events] == [
        "Create an application: demo",
        "Rotate an application's secret: demo",
    ]
    assert new not in str(events[1].details)


async def test_rotation_applies_to_the_password_grant(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    body = await created(client, auth)
    person = await a_user(runtime)
    old = Client(str(body["client_id"]), str(body["client_secret"]))
    assert (await password_login(client, old, person)).json()["error"] == "mfa_required"
    rotated = await client.post(
        f"/api/v2/clients/{old.client_id}/rotate-secret", headers=await auth("update:clients")
    )
    refused = await password_login(client, old, person)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    new = Client(old.client_id, rotated.json()["client_secret"])
    assert (await password_login(client, new, person)).json()["error"] == "mfa_required"


async def test_update_changes_only_what_is_given_and_audits_it(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    body = await created(client, auth, callbacks=[CALLBACK])
    path = f"/api/v2/clients/{body['client_id']}"
    headers = await auth("update:clients")
    response = await client.patch(
        path,
        headers=headers,
        json={
            "name": "Renamed",
            "app_type": "non_interactive",
            "allowed_logout_urls": ["https://app.example.com/bye"],
            "grant_types": ["client_credentials", "client_credentials"],
            "callbacks": None,
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert "client_secret" not in updated
    assert (updated["name"], updated["app_type"]) == ("Renamed", "non_interactive")
    assert updated["callbacks"] == [CALLBACK]
    assert updated["allowed_logout_urls"] == ["https://app.example.com/bye"]
    assert updated["grant_types"] == ["client_credentials"]
    assert await client_credentials(client, updated["client_id"], str(body["client_secret"])) == 200

    unchanged = await client.patch(path, headers=headers, json={"name": "Renamed"})
    assert unchanged.json() == updated
    events = await audited(runtime, updated["client_id"])
    assert [event.description for event in events] == [
        "Create an application: demo",
        "Update an application: Renamed",
    ]
    assert events[1].details["changes"] == {
        "name": "Renamed",
        "app_type": "non_interactive",
        "allowed_logout_urls": ["https://app.example.com/bye"],
        "grant_types": ["client_credentials"],
    }


async def test_delete_removes_the_client_and_its_credentials(
    client: httpx.AsyncClient, auth: TokenFactory, runtime: Runtime
) -> None:
    body = await created(client, auth, app_type="non_interactive")
    client_id = str(body["client_id"])
    path = f"/api/v2/clients/{client_id}"
    response = await client.delete(path, headers=await auth("delete:clients"))
    assert response.status_code == 204
    assert response.content == b""
    missing = await client.get(path, headers=await auth("read:clients"))
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "error_description": "The client does not exist.",
    }
    assert await client_credentials(client, client_id, str(body["client_secret"])) == 401
    again = await client.delete(path, headers=await auth("delete:clients"))
    assert again.status_code == 404
    events = await audited(runtime, client_id)
    assert [event.description for event in events][-1] == "Delete an application: demo"


async def test_list_pages_oldest_first_with_totals(
    client: httpx.AsyncClient, auth: TokenFactory, clock: FrozenClock
) -> None:
    # Later than any other test's clients, so these two are the last two of the list.
    clock.set(dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    first = await created(client, auth, name="first")
    clock.advance(1)
    second = await created(client, auth, name="second")
    headers = await auth("read:clients")

    totals = await client.get(
        "/api/v2/clients",
        headers=headers,
        params={"include_totals": "true", "per_page": 1, "include_fields": "true"},
    )
    assert totals.status_code == 200
    envelope = totals.json()
    total = envelope["total"]
    assert (envelope["start"], envelope["limit"], envelope["length"]) == (0, 1, 1)
    pages = [
        await client.get("/api/v2/clients", headers=headers, params={"page": page, "per_page": 1})
        for page in (total - 2, total - 1)
    ]
    assert [response.json()[0]["name"] for response in pages] == ["first", "second"]
    assert pages[1].json()[0]["client_id"] == second["client_id"]
    assert "client_secret" not in pages[0].json()[0]
    assert first["client_id"] == pages[0].json()[0]["client_id"]


async def test_unknown_and_malformed_ids_are_404(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = await auth()
    for client_id in ("A" * 32, "no%20such%20id", "x" * 65):
        path = f"/api/v2/clients/{client_id}"
        for response in (
            await client.get(path, headers=headers),
            await client.patch(path, headers=headers, json={"name": "x"}),
            await client.delete(path, headers=headers),
            await client.post(f"{path}/rotate-secret", headers=headers),
        ):
            assert response.status_code == 404, (client_id, response.request.method)
            assert response.json()["error"] == "not_found"
