"""Seeding the benchmark's steps straight into the store (no HTTP, no argon2 per user).

Each user gets an active TOTP authenticator and one open `mfa_token`, written in bulk through
the store's tables in the shapes its repositories write (bench layer; see docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twofold.app import build_runtime, close_runtime
from twofold.cli.setup import prepare
from twofold.config import Settings
from twofold.factors.otp import TotpParams, encode_secret
from twofold.flows.clients import create_application
from twofold.flows.runtime import Runtime
from twofold.flows.sealing import seal
from twofold.security import tokens
from twofold.store.tables import authenticators, mfa_transactions, users

PASSWORD = "bench-password-not-secret"  # noqa: S105 - a fixed password for seeded users
IP = "127.0.0.1"
BATCH = 2000


@dataclass(frozen=True, slots=True)
class Step:
    """One open `mfa_token` of a user enrolled in TOTP: the input of one measured step."""

    mfa_token: str
    otp_secret: str
    client_id: str
    client_secret: str

    def json_line(self) -> str:
        return json.dumps(
            {
                "mfa_token": self.mfa_token,
                "otp_secret": self.otp_secret,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        )


@dataclass(frozen=True, slots=True)
class Seeded:
    steps: list[Step]
    emails: list[str]
    """The seeded users' logins (all share PASSWORD), for the password grant."""


AuthenticatorRow = Callable[[str, dt.datetime], dict[str, Any]]
"""Makes the one authenticator row of a user being seeded (their id, the seeding time)."""


@dataclass(frozen=True, slots=True)
class SeededUser:
    user_id: str
    email: str
    mfa_token: str


async def seed(settings: Settings, *, count: int, scope: str, ttl: int) -> Seeded:
    """`count` users, each with an active TOTP authenticator and one open `mfa_token`."""
    await prepare(settings, migrate_embedded=True)
    rt = await build_runtime(settings)
    try:
        client = await create_application(rt, name="bench")
        otp_secrets: dict[str, bytes] = {}

        def totp_row(user_id: str, now: dt.datetime) -> dict[str, Any]:
            secret = otp_secrets[user_id] = secrets.token_bytes(20)
            authenticator_id = tokens.new_authenticator_id("totp")
            sealed, key_id = seal(rt, authenticator_id, secret)
            return authenticator_row(authenticator_id, user_id, sealed, key_id, now)

        seeded = await seed_users(
            rt,
            count=count,
            client_id=client.application.client_id,
            scope=scope,
            ttl=ttl,
            authenticator=totp_row,
        )
        steps = [
            Step(
                mfa_token=user.mfa_token,
                otp_secret=encode_secret(otp_secrets[user.user_id]),
                client_id=client.application.client_id,
                client_secret=client.client_secret or "",
            )
            for user in seeded
        ]
        return Seeded(steps=steps, emails=[user.email for user in seeded])
    finally:
        await close_runtime(rt)


async def seed_users(
    rt: Runtime,
    *,
    count: int,
    client_id: str,
    scope: str,
    ttl: int,
    authenticator: AuthenticatorRow,
) -> list[SeededUser]:
    """`count` users, each with the one active authenticator `authenticator` makes and one
    open `mfa_token` of `client_id`: what every MFA step benchmark measures against.

    Rows are written in bulk through the store's tables, in the shapes its repositories
    write, `BATCH` users a transaction; one argon2 hash (at the server's cost) is shared by
    every user.
    """
    password_hash = await rt.passwords.hash(PASSWORD)
    now = rt.clock.now()
    seeded: list[SeededUser] = []
    for start in range(0, count, BATCH):
        rows: dict[str, list[dict[str, Any]]] = {"u": [], "a": [], "t": []}
        for _ in range(min(BATCH, count - start)):
            user_id = tokens.new_user_id()
            email = f"bench-{secrets.token_hex(8)}@example.com"
            rows["u"].append(user_row(user_id, email, password_hash, now))
            rows["a"].append(authenticator(user_id, now))
            token = tokens.new_token()
            rows["t"].append(
                transaction_row(
                    tokens.token_hash(token),
                    user_id=user_id,
                    client_id=client_id,
                    audience=rt.settings.userinfo_audience,
                    scope=scope,
                    now=now,
                    ttl=ttl,
                )
            )
            seeded.append(SeededUser(user_id=user_id, email=email, mfa_token=token))
        async with rt.store.transaction() as tx:
            await tx.conn.execute(users.insert(), rows["u"])
            await tx.conn.execute(authenticators.insert(), rows["a"])
            await tx.conn.execute(mfa_transactions.insert(), rows["t"])
    return seeded


def user_row(user_id: str, email: str, password_hash: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "email_verified": True,
        "name": email,
        "password_hash": password_hash,
        "roles": [],
        "app_metadata": {},
        "user_metadata": {},
        "created_at": now,
        "updated_at": now,
        "last_login": None,
        "logins_count": 0,
    }


def authenticator_row(
    authenticator_id: str, user_id: str, sealed: bytes, key_id: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": authenticator_id,
        "user_id": user_id,
        "type": "otp",
        "status": "active",
        "name": None,
        "oob_channel": None,
        "secret": sealed,
        "key_id": key_id,
        "secret_hash": None,
        "params": TotpParams().to_json(),  # SHA-1, 6 digits, 30 s: what httpload.totp computes
        "last_step": -1,
        "created_at": now,
        "confirmed_at": now,
        "last_used_at": None,
    }


def transaction_row(
    token_hash: str,
    *,
    user_id: str,
    client_id: str,
    audience: str,
    scope: str,
    now: dt.datetime,
    ttl: int,
) -> dict[str, Any]:
    """What flows/login.py writes when a password passes and MFA is required."""
    return {
        "id": tokens.new_transaction_id(),
        "token_hash": token_hash,
        "user_id": user_id,
        "client_id": client_id,
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=ttl),
        "auth_time": now,
        "failures": 0,
        "audience": audience,
        "scope": scope,
        "amr": ["pwd"],
        "challenge": None,
        "ip": IP,
        "consumed": False,
    }
