"""Domain values for store tests: users and clients with fresh ids (the database is shared)."""

from __future__ import annotations

import datetime as dt
import secrets

import argon2

from twofold.domain import Application, User
from twofold.security import tokens
from twofold.types import ClientId, UserId

PASSWORD_HASH = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("unused")
"""A real (cheap) argon2id hash: other suites check every stored password hash."""


def a_user(now: dt.datetime) -> User:
    return User(
        id=UserId(tokens.new_user_id()),
        email=f"store-{secrets.token_hex(6)}@example.com",
        name="Store Test",
        password_hash=PASSWORD_HASH,
        created_at=now,
        updated_at=now,
    )


def an_application(now: dt.datetime) -> Application:
    return Application(
        client_id=ClientId(tokens.new_client_id()),
        name="store test",
        secret_hash=None,
        app_type="spa",
        grant_types=("password",),
        scopes=(),
        created_at=now,
    )
