"""`twofold apps create`: one JSON document, a secret that authenticates, Management API apps."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli.conftest import Cli
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.clients import USER_GRANTS
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
        "grant_types",
        "scopes",
    }
    assert (document["name"], document["app_type"]) == ("demo", "regular_web")
    assert document["grant_types"] == [grant.value for grant in USER_GRANTS]
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
