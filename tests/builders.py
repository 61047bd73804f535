"""Small data builders for tests: applications, users, logins, enrolled authenticators."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from twofold.flows.clients import create_application
from twofold.flows.runtime import Runtime
from twofold.flows.users import NewUser, create_user

PASSWORD = "correct horse battery"


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    email: str
    password: str = PASSWORD


async def a_client(rt: Runtime, *, management: bool = False) -> Client:
    new = await create_application(rt, name="test app", management=management)
    return Client(new.application.client_id, new.client_secret or "")


async def a_user(rt: Runtime) -> Person:
    email = f"user-{secrets.token_hex(6)}@example.com"
    user = await create_user(rt, NewUser(email=email, password=PASSWORD), actor="test")
    return Person(user.id, email)


def an_ip() -> str:
    """A fresh client address per test, so per-IP buckets never leak between tests."""
    return "10.{}.{}.{}".format(*secrets.token_bytes(3))
