"""Master key rotation, in process (`flows.admin.rotate_keys`) and by `twofold keys rotate`:
every secret is re-wrapped under the new key, the old keys leave the file, logins go on."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import MFA_RECOVERY, code, enrolled, mfa_token, otp_grant
from tests.builders import Client, Person, a_client, a_user
from tests.cli.conftest import Cli
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.flows.admin import rotate_keys
from twofold.flows.runtime import Runtime
from twofold.security.envelope import KeyRing
from twofold.store.tables import audit_events, authenticators, signing_keys

USERS = 3


async def key_ids_in_rows(engine: AsyncEngine) -> set[tuple[str, str]]:
    """(the key_id column, the kid inside the blob) of every encrypted row."""
    async with engine.connect() as conn:
        secrets = await conn.execute(
            select(authenticators.c.key_id, authenticators.c.secret).where(
                authenticators.c.secret.is_not(None)
            )
        )
        keys = await conn.execute(select(signing_keys.c.key_id, signing_keys.c.private_key))
        return {(key_id, KeyRing.kid_of(blob)) for key_id, blob in [*secrets, *keys]}


def kids_in_file(settings: Settings) -> tuple[str, list[str]]:
    document = json.loads(settings.master_key_path.read_text())
    return document["active"], list(document["keys"])


async def log_in(
    http: httpx.AsyncClient, app: Client, person: Person, secret: str, clock: FrozenClock
) -> None:
    token = await mfa_token(http, app, person)
    response = await otp_grant(http, app, token, code(secret, clock.now()))
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


async def test_rotation_rewraps_every_secret_and_logins_go_on(
    cli: Cli, runtime: Runtime, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    deployment, database = runtime.settings, runtime.store.engine
    app = await a_client(runtime)
    people = [await a_user(runtime) for _ in range(USERS)]
    enrolled_secrets = [await enrolled(client, app, person, clock.now()) for person in people]
    first = runtime.keyring.active_kid
    assert await key_ids_in_rows(database) == {(first, first)}

    # In process: one OTP secret per user and the signing key, all re-wrapped.
    assert await rotate_keys(runtime) == USERS + 1
    second = runtime.keyring.active_kid
    assert second != first
    assert kids_in_file(deployment) == (second, [second])
    assert await key_ids_in_rows(database) == {(second, second)}

    # The command line, on the same files: this runtime learns the new key on first use.
    result = await cli("keys", "rotate")
    assert result.code == 0, result.stderr
    assert f"Re-encrypted {USERS + 1} secret(s) under the new key." in result.words
    third, kids = kids_in_file(deployment)
    assert kids == [third]
    assert third not in (first, second)
    assert await key_ids_in_rows(database) == {(third, third)}
    assert runtime.keyring.kids() == [second]  # not yet re-read

    clock.advance(30)  # a fresh TOTP step: the enrolment used the current one
    for person, (secret, _) in zip(people, enrolled_secrets, strict=True):
        await log_in(client, app, person, secret, clock)
    assert runtime.keyring.kids() == [third]
    # Recovery codes are keyed hashes under the pepper, which rotation leaves alone.
    recovered = await client.post(
        "/oauth/token",
        data={
            "grant_type": MFA_RECOVERY,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "mfa_token": await mfa_token(client, app, people[0]),
            "recovery_code": enrolled_secrets[0][1],
        },
    )
    assert recovered.status_code == 200, recovered.text

    async with database.connect() as conn:
        rotations = (
            await conn.execute(
                select(audit_events.c.actor, audit_events.c.details)
                .where(audit_events.c.description == "Rotate the master key")
                .order_by(audit_events.c.id)
            )
        ).all()
    assert [(row.actor, row.details) for row in rotations] == [
        ("cli", {"new_key_id": second, "reencrypted": USERS + 1}),
        ("cli", {"new_key_id": third, "reencrypted": USERS + 1}),
    ]
