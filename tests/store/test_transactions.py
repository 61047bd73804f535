"""store/repos/transactions.py: the login's policy decision travels with its `mfa_token`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.store.builders import a_user, an_application
from twofold.clock import FrozenClock
from twofold.domain import JsonObject, MfaTransaction
from twofold.security import tokens
from twofold.store.uow import Store

DECISION = {"outcome": "mfa", "factors": ["otp", "webauthn-roaming"], "max_age": 300}


@pytest.mark.parametrize("policy", [DECISION, {}, None])
async def test_the_policy_round_trips(
    engine: AsyncEngine, clock: FrozenClock, policy: JsonObject | None
) -> None:
    store, now = Store(engine, clock=clock, audit_chains=8), clock.now()
    user, application = a_user(now), an_application(now)
    transaction = MfaTransaction(
        id=tokens.new_transaction_id(),
        user_id=user.id,
        client_id=application.client_id,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=10),
        auth_time=now,
        amr=("pwd",),
        policy=policy,
    )
    token_hash = tokens.token_hash(tokens.new_token())
    async with store.transaction() as tx:
        await tx.applications.add(application)
        await tx.users.add(user)
        await tx.transactions.add(transaction, token_hash=token_hash)

    async with store.read() as tx:
        found = await tx.transactions.by_token_hash(token_hash)
        _, joined = await tx.transactions.with_client(token_hash, client_id=application.client_id)

    assert found == transaction
    assert joined == transaction
    assert found is not None
    assert found.policy == policy
