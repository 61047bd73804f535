"""`twofold apps`: create (one JSON document, a secret that authenticates, Management API
apps), update, delete, rotate-secret and list."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli.conftest import Cli
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.client_metadata import DEFAULT_GRANTS
from twofold.flows.grants import MANAGEMENT_SCOPES
from twofold.flows.runtime import Runtime
from twofold.security.tokens import token_hash
from twofold.store.tables import applications, audit_events


async def test_create_prints_one_json_document_with_the_secret(
    cli: Cli, migrated: AsyncEngine, client: httpx.AsyncClient
) -> None:
    result = await cli("apps", "create", "--name", "demo", "--json")
    assert result.code == 0, result.stderr
    document = result.json()
    assert set(document) == {
        "client_id",
        "client_secret",
        "name",
        "app_type",
        "is_first_party",
        "callbacks",
        "allowed_logout_urls",
        "grant_types",
        "token_endpoint_auth_method",
        "scopes",
    }
    assert (document["name"], document["app_type"]) == ("demo", "regular_web")
    assert document["grant_types"] == [grant.value for grant in DEFAULT_GRANTS["regular_web"]]
    assert (document["callbacks"], document["allowed_logout_urls"]) == ([], [])
    assert document["scopes"] == []
    assert len(document["client_id"]) == 32
    assert len(document["client_secret"]) == 64

    async with migrated.connect() as conn:
        stored = (await conn.execute(select(applications))).mappings().one()
    assert stored["client_id"] == document["client_id"]
    assert stored["secret_hash"] == token_hash(document["client_secret"])
    async with migrated.connect() as conn:
        logged = (await conn.execute(select(audit_events))).mappings().all()
    created = [row for row in logged if row["type"] == "sapi"]
    assert len(created) == 1
    assert document["client_id"] in str(created[0]["details"])
    assert document["client_secret"] not in str(created[0])

    # Not a machine-to-machine app: the secret authenticates, the grant is refused.
    refused = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": document["client_id"],
            "client_secret": document["client_secret"],
        },
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "unauthorized_client"


async def test_a_management_app_gets_every_management_scope(
    cli: Cli,
    deployment: Settings,
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: FrozenClock,
) -> None:
    result = await cli("apps", "create", "--name", "ops", "--management", "--json")
    assert result.code == 0, result.stderr
    document = result.json()
    assert document["grant_types"] == ["client_credentials"]
    assert document["app_type"] == "non_interactive"

    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": document["client_id"],
            "client_secret": document["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"].split() == list(MANAGEMENT_SCOPES)
    claims = runtime.signing.verifier.verify(
        body["access_token"],
        issuer=deployment.issuer,
        audience=deployment.management_audience,
        now=clock.now(),
    )
    assert claims["scope"].split() == list(MANAGEMENT_SCOPES)
    assert claims["sub"] == f"{document['client_id']}@clients"

    users = await client.get(
        "/api/v2/users", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert users.status_code == 200, users.text
    assert users.json() == []

    wrong = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": document["client_id"],
            "client_secret": document["client_secret"][:-1],
        },
    )
    assert wrong.status_code == 401, wrong.text
    assert wrong.json()["error"] == "invalid_client"


async def test_a_spa_gets_its_urls_and_no_secret(cli: Cli, migrated: AsyncEngine) -> None:
    result = await cli(
        "apps",
        "create",
        "--name",
        "spa",
        "--type",
        "spa",
        "--callback",
        "https://spa.example.com/cb",
        "--callback",
        "http://localhost:3000/cb",
        "--logout-url",
        "https://spa.example.com/",
        "--json",
    )
    assert result.code == 0, result.stderr
    document = result.json()
    assert document["client_secret"] is None
    assert document["token_endpoint_auth_method"] == "none"
    assert document["callbacks"] == ["https://spa.example.com/cb", "http://localhost:3000/cb"]
    assert document["allowed_logout_urls"] == ["https://spa.example.com/"]
    assert document["grant_types"] == ["authorization_code", "refresh_token"]

    listed = await cli("apps", "list", "--json")
    assert listed.code == 0, listed.stderr
    assert [(item["client_id"], item["callbacks"]) for item in listed.json()] == [
        (document["client_id"], document["callbacks"])
    ]
    assert "client_secret" not in listed.json()[0]

    rotate = await cli("apps", "rotate-secret", document["client_id"])
    assert rotate.code == 1
    assert rotate.stderr.strip() == (
        "error: invalid_request: A spa application is public: it has no secret to rotate."
    )


async def test_bad_input_is_a_one_line_error(cli: Cli, migrated: AsyncEngine) -> None:
    insecure = await cli("apps", "create", "--name", "x", "--callback", "http://example.com/cb")
    assert insecure.code == 1
    assert insecure.stderr.strip() == (
        "error: invalid_request: callbacks[0] must use https (http only for localhost, "
        "127.0.0.1 or [::1])."
    )
    public = await cli(
        "apps", "create", "--name", "x", "--type", "native", "--grant-type", "client_credentials"
    )
    assert public.code == 1
    assert "cannot use the client_credentials grant" in public.stderr
    conflicting = await cli("apps", "create", "--name", "x", "--type", "spa", "--management")
    assert conflicting.code == 1
    assert "A management application's app_type is non_interactive." in conflicting.stderr
    assert (await cli("apps", "list", "--json")).json() == []


async def test_an_id_that_looks_like_an_option_is_still_an_id(
    cli: Cli, migrated: AsyncEngine
) -> None:
    """url-safe ids may begin with `-`; they are read as the argument, not as options."""
    for args in (
        ("delete", "-Sx9_"),
        ("rotate-secret", "--x9-"),
        ("update", "-Sx9_", "--name", "x"),
    ):
        result = await cli("apps", *args)
        assert result.code == 1, result.stderr
        assert result.stderr.strip() == "error: not_found: The client does not exist."


async def test_update_rotate_and_delete(
    cli: Cli, migrated: AsyncEngine, client: httpx.AsyncClient
) -> None:
    made = (await cli("apps", "create", "--name", "web", "--json")).json()
    client_id = made["client_id"]
    updated = await cli(
        "apps",
        "update",
        client_id,
        "--name",
        "web shop",
        "--callback",
        "https://shop.example.com/cb",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "client_credentials",
        "--json",
    )
    assert updated.code == 0, updated.stderr
    document = updated.json()
    assert (document["name"], document["callbacks"]) == (
        "web shop",
        ["https://shop.example.com/cb"],
    )
    assert document["grant_types"] == ["authorization_code", "client_credentials"]
    assert "client_secret" not in document
    cleared = (await cli("apps", "update", client_id, "--no-callbacks", "--json")).json()
    assert (cleared["callbacks"], cleared["name"]) == ([], "web shop")

    rotated = await cli("apps", "rotate-secret", client_id, "--json")
    assert rotated.code == 0, rotated.stderr
    secret = rotated.json()["client_secret"]
    token = {"grant_type": "client_credentials", "client_id": client_id}
    old = await client.post("/oauth/token", data={**token, "client_secret": made["client_secret"]})
    assert old.status_code == 401
    new = await client.post("/oauth/token", data={**token, "client_secret": secret})
    assert new.status_code == 200, new.text

    deleted = await cli("apps", "delete", client_id)
    assert deleted.code == 0, deleted.stderr
    assert deleted.words == f"Deleted {client_id}"
    again = await cli("apps", "delete", client_id)
    assert again.code == 1
    assert again.stderr.strip() == "error: not_found: The client does not exist."
    logged = (
        select(audit_events.c.description)
        .where(audit_events.c.client_id == client_id, audit_events.c.type == "sapi")
        .order_by(audit_events.c.id)
    )
    async with migrated.connect() as conn:
        rows = (await conn.execute(logged)).scalars().all()
    assert rows == [
        "Create an application: web",
        "Update an application: web shop",
        "Update an application: web shop",
        "Rotate an application's secret: web shop",
        "Delete an application: web shop",
    ]


@pytest.mark.usefixtures("migrated")
async def test_a_spa_may_hold_the_webauthn_grant_for_passkeys(cli: Cli) -> None:
    webauthn = "urn:okta:params:oauth:grant-type:webauthn"
    made = await cli(
        "apps",
        "create",
        "--name",
        "passkey spa",
        "--type",
        "spa",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        webauthn,
        "--json",
    )
    assert made.code == 0, made.stderr
    assert made.json()["grant_types"] == ["authorization_code", webauthn]
    assert made.json()["client_secret"] is None  # public: a passkey needs no client secret
