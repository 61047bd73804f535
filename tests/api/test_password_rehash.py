"""A password hashed at an older argon2 cost is upgraded at the next right login."""

from __future__ import annotations

import httpx

from tests.api.helpers import password_login
from tests.builders import a_client, a_user
from twofold.config import PasswordSettings
from twofold.flows.runtime import Runtime
from twofold.security.passwords import PasswordHasher
from twofold.types import UserId


async def _stored_hash(runtime: Runtime, user_id: str) -> str:
    async with runtime.store.read() as tx:
        user = await tx.users.get(user_id)
    assert user is not None
    return user.password_hash


async def test_an_old_cost_hash_is_rehashed_on_a_right_password(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    app, person = await a_client(runtime), await a_user(runtime)
    older = PasswordHasher(PasswordSettings(time_cost=2, memory_kib=8, parallelism=1))
    try:
        old_hash = await older.hash(person.password)
    finally:
        older.close()
    async with runtime.store.transaction() as tx:
        await tx.users.set_password(UserId(person.user_id), old_hash, now=runtime.clock.now())
    assert runtime.passwords.needs_rehash(old_hash)

    wrong = type(person)(person.user_id, person.email, "not the password")
    assert (await password_login(client, app, wrong)).status_code == 403
    assert await _stored_hash(runtime, person.user_id) == old_hash  # a wrong one changes nothing

    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"
    upgraded = await _stored_hash(runtime, person.user_id)
    assert upgraded != old_hash
    assert not runtime.passwords.needs_rehash(upgraded)
    assert (await password_login(client, app, person)).json()["error"] == "mfa_required"
