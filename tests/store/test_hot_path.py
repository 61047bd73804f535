"""The second-factor step's store work: joined reads, the transaction a limiter check joins,
and concurrent writers that must never starve the connection pool (on this leg's database)."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import argon2
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.audit import events
from twofold.clock import FrozenClock
from twofold.config import Bucket
from twofold.domain import Application, Authenticator, MfaTransaction, User
from twofold.security import tokens
from twofold.store.db import open_connection
from twofold.store.limits.sql import SqlLimiter
from twofold.store.uow import Store
from twofold.types import AuthenticatorId, AuthenticatorStatus, ClientId, FactorType, UserId

PASSWORD_HASH = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("unused")
"""A real (cheap) argon2id hash: other suites check every stored password hash."""


def _store(engine: AsyncEngine, clock: FrozenClock) -> Store:
    return Store(engine, clock=clock, audit_chains=8)


def _application(now: dt.datetime) -> Application:
    return Application(
        client_id=ClientId(tokens.new_client_id()),
        name="hot path",
        secret_hash=None,
        app_type="spa",
        grant_types=("password",),
        scopes=(),
        created_at=now,
    )


def _user(now: dt.datetime) -> User:
    return User(
        id=UserId(tokens.new_user_id()),
        email=f"hot-{secrets.token_hex(6)}@example.com",
        name="Hot Path",
        password_hash=PASSWORD_HASH,
        created_at=now,
        updated_at=now,
    )


def _authenticator(user: User, created_at: dt.datetime, kind: FactorType) -> Authenticator:
    return Authenticator(
        id=AuthenticatorId(tokens.new_authenticator_id(kind.value)),
        user_id=user.id,
        type=kind,
        status=AuthenticatorStatus.ACTIVE,
        name=None,
        created_at=created_at,  # no secret: other suites unseal every stored one
    )


def _transaction(user: User, application: Application, now: dt.datetime) -> MfaTransaction:
    return MfaTransaction(
        id=tokens.new_transaction_id(),
        user_id=user.id,
        client_id=application.client_id,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=10),
        auth_time=now,
        audience="https://api.example",
        scope="openid",
        amr=("pwd",),
    )


async def test_with_client_reads_the_client_and_the_token_in_one_query(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    store, now = _store(engine, clock), clock.now()
    mine, other, user = _application(now), _application(now), _user(now)
    transaction = _transaction(user, mine, now)
    token_hash = tokens.token_hash(tokens.new_token())
    async with store.transaction() as tx:
        await tx.applications.add(mine)
        await tx.applications.add(other)
        await tx.users.add(user)
        await tx.transactions.add(transaction, token_hash=token_hash)

    async with store.read() as tx:
        unknown_client = await tx.transactions.with_client(token_hash, client_id="nobody")
        unknown_token = await tx.transactions.with_client("0" * 64, client_id=mine.client_id)
        found = await tx.transactions.with_client(token_hash, client_id=mine.client_id)
        foreign = await tx.transactions.with_client(token_hash, client_id=other.client_id)

    assert unknown_client == (None, None)
    assert unknown_token == (mine, None)
    assert found == (mine, transaction)
    assert foreign == (other, transaction)  # the flow compares the two and refuses


async def test_with_authenticators_reads_the_user_and_every_authenticator_in_order(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    store, now = _store(engine, clock), clock.now()
    enrolled, bare = _user(now), _user(now)
    later = _authenticator(enrolled, now + dt.timedelta(seconds=1), FactorType.RECOVERY_CODE)
    first = _authenticator(enrolled, now, FactorType.OTP)
    async with store.transaction() as tx:
        await tx.users.add(enrolled)
        await tx.users.add(bare)
        await tx.authenticators.add(later, key_id=None)
        await tx.authenticators.add(first, key_id=None)

    async with store.read() as tx:
        with_two = await tx.users.with_authenticators(enrolled.id)
        with_none = await tx.users.with_authenticators(bare.id)
        missing = await tx.users.with_authenticators("auth0|nobody")
        separately = await tx.authenticators.for_user(enrolled.id)

    assert with_two == (enrolled, [first, later])
    assert with_two[1] == separately
    assert with_none == (bare, [])
    assert missing == (None, [])


async def test_a_limiter_check_joins_the_open_transaction(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    store = _store(engine, clock)
    assert open_connection(engine) is None
    async with store.transaction() as tx:
        assert open_connection(engine) is tx.conn
    async with store.read() as tx:
        assert open_connection(engine) is tx.conn
    assert open_connection(engine) is None


async def test_concurrent_writers_that_check_limits_never_starve_the_pool(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    """More writers than pooled connections, each checking a limit mid-transaction (as the
    OTP grant does). A check on a second connection would leave every pooled connection
    held by a writer waiting for another one (and, on SQLite, for the write lock)."""
    store, limiter = _store(engine, clock), SqlLimiter(engine)
    bucket = Bucket(burst=5, refill_seconds=1)
    writers = 64

    async def write(number: int) -> None:
        async with store.transaction() as tx:
            await limiter.check([(f"hot:{number}", bucket)], now=clock.now())
            await asyncio.sleep(0)  # let every other writer start meanwhile
            await tx.conn.execute(text("SELECT 1"))
            tx.record(events.UserBlockRemoved(user_id=f"hot|{number}", actor="test").entry())

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(writers))), timeout=60)


async def test_a_write_inside_a_write_is_refused_on_sqlite_rather_than_waiting_forever(
    engine: AsyncEngine, clock: FrozenClock
) -> None:
    store, limiter = _store(engine, clock), SqlLimiter(engine)
    async with store.transaction():
        if engine.dialect.name == "sqlite":
            with pytest.raises(RuntimeError, match="inside another"):
                await limiter.reset("hot:nested")
        else:  # PostgreSQL runs it on a second connection, as it always did
            await limiter.reset("hot:nested")
