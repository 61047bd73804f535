"""`twofold users`: create, list, reset MFA; bad input is a one-line error, never a traceback."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import code, enrolled, mfa_token, otp_grant, password_login
from tests.builders import Person, a_client, a_user
from tests.cli.conftest import Cli
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.store.tables import audit_events, authenticators, mfa_transactions, users


async def test_create_then_list(cli: Cli, runtime: Runtime, client: httpx.AsyncClient) -> None:
    created = await cli(
        "users", "create", "--email", "Alice@Example.COM", "--password", "s3cret-enough", "--json"
    )
    assert created.code == 0, created.stderr
    document = created.json()
    assert document == {
        "user_id": document["user_id"],
        "email": "alice@example.com",
        "name": "alice@example.com",
    }
    assert document["user_id"].startswith("auth0|")
    other = await a_user(runtime)

    listed = await cli("users", "list", "--json")
    assert listed.code == 0, listed.stderr
    page = listed.json()
    assert page["total"] == 2
    assert sorted((u["user_id"], u["email"]) for u in page["users"]) == sorted(
        [(document["user_id"], "alice@example.com"), (other.user_id, other.email)]
    )

    # The password was stored so that it verifies: the first factor passes, MFA is next.
    alice = Person(document["user_id"], "alice@example.com", "s3cret-enough")
    response = await password_login(client, await a_client(runtime), alice)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "mfa_required"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long enough password", "email must be a valid email address."),
        ("bob@example.com", "short", "PasswordStrengthError"),
    ],
    ids=["bad-email", "short-password"],
)
async def test_bad_input_is_a_clear_error(
    cli: Cli, migrated: AsyncEngine, email: str, password: str, message: str
) -> None:
    result = await cli("users", "create", "--email", email, "--password", password, "--json")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: invalid_request: ")
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert password not in result.stderr
    async with migrated.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(users)) == 0


async def test_reset_mfa_removes_every_authenticator_and_open_transaction(
    cli: Cli,
    runtime: Runtime,
    client: httpx.AsyncClient,
    migrated: AsyncEngine,
    clock: FrozenClock,
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    secret, _ = await enrolled(client, app, person, clock.now())
    pending = await mfa_token(client, app, person)

    result = await cli("users", "reset-mfa", person.email, "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"user_id": person.user_id, "removed": 2}

    async with migrated.connect() as conn:
        left = await conn.scalar(
            select(func.count())
            .select_from(authenticators)
            .where(authenticators.c.user_id == person.user_id)
        )
        open_ = await conn.scalar(
            select(func.count())
            .select_from(mfa_transactions)
            .where(mfa_transactions.c.user_id == person.user_id)
        )
        event = (
            await conn.execute(
                select(audit_events.c.actor, audit_events.c.details).where(
                    audit_events.c.type == "gd_user_delete",
                    audit_events.c.user_id == person.user_id,
                )
            )
        ).one()
    assert (left, open_) == (0, 0)
    assert (event.actor, event.details) == (
        "cli",
        {"removed": 2, "sessions_ended": 0, "browsers_forgotten": 0, "grants_revoked": 0},
    )

    clock.advance(30)
    dead = await otp_grant(client, app, pending, code(secret, clock.now()))
    assert dead.status_code == 403, dead.text
    assert dead.json()["error"] == "invalid_grant"
    again = await password_login(client, app, person)
    assert again.status_code == 403
    assert again.json()["mfa_requirements"] == {"enroll": [{"type": "otp"}]}


async def test_reset_mfa_of_an_unknown_user_is_a_clear_error(
    cli: Cli, migrated: AsyncEngine
) -> None:
    result = await cli("users", "reset-mfa", "nobody@example.com")
    assert result.code == 1
    assert " ".join(result.stderr.split()) == "error: not_found: No user 'nobody@example.com'."
    assert "Traceback" not in result.stderr
