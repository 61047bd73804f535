"""User records: creation with an argon2id hash, lookup and search."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from twofold.audit import events
from twofold.domain import User
from twofold.errors import InvalidRequestError
from twofold.flows.runtime import Runtime
from twofold.security import tokens
from twofold.security.passwords import is_encodable
from twofold.types import UserId

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password: str
    name: str | None = None
    roles: tuple[str, ...] = ()
    email_verified: bool = False
    app_metadata: dict[str, Any] = field(default_factory=dict)
    user_metadata: dict[str, Any] = field(default_factory=dict)


def validate_password(password: str) -> None:
    """Auth0's default "fair" strength: at least 8 characters (and at most 128)."""
    if not 8 <= len(password) <= 128:
        raise InvalidRequestError("PasswordStrengthError: Password must be 8 to 128 characters.")
    if not is_encodable(password):
        raise InvalidRequestError("password must be valid Unicode text.")


async def create_user(rt: Runtime, new: NewUser, *, actor: str) -> User:
    email = new.email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidRequestError("email must be a valid email address.")
    validate_password(new.password)
    now = rt.clock.now()
    user = User(
        id=UserId(tokens.new_user_id()),
        email=email,
        name=(new.name or email).strip()[:200],
        password_hash=await rt.passwords.hash(new.password),
        created_at=now,
        updated_at=now,
        email_verified=new.email_verified,
        roles=new.roles,
        app_metadata=new.app_metadata,
        user_metadata=new.user_metadata,
    )
    async with rt.store.transaction() as tx:
        await tx.users.add(user)
        tx.record(events.UserCreated(user_id=user.id, actor=actor, email=email).entry())
    return user
