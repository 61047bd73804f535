"""Invariants 1 and 4 read off the raw rows: no secret is stored in clear in any column.

The rows are read with SQLAlchemy Core from every table the database actually has
(reflected, not taken from our own table list), so a new table cannot escape the scan.
"""

from __future__ import annotations

import base64
import json
import secrets

import httpx
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.helpers import associate, code, mfa_token, otp_grant
from tests.builders import Person, a_client
from twofold.clock import FrozenClock
from twofold.flows.runtime import Runtime
from twofold.flows.users import NewUser, create_user
from twofold.security.envelope import KeyRing
from twofold.security.tokens import token_hash
from twofold.store.tables import signing_keys

Cell = tuple[str, bytes]
"""`table.column` and the stored value as bytes."""


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode("utf-8", "surrogatepass")


async def every_cell(engine: AsyncEngine) -> list[Cell]:
    """Every non-null value of every column of every table in the database."""
    reflected = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(reflected.reflect)
        cells: list[Cell] = []
        for table in reflected.sorted_tables:
            for row in await conn.execute(select(table)):
                cells.extend(
                    (f"{table.name}.{column.name}", as_bytes(value))
                    for column, value in zip(table.columns, row, strict=True)
                    if value is not None
                )
    return cells


def found(cells: list[Cell], needles: dict[str, bytes]) -> list[tuple[str, str]]:
    """(needle name, where) for every needle that appears inside some stored value."""
    return [
        (name, where)
        for name, needle in needles.items()
        for where, value in cells
        if needle.lower() in value.lower()
    ]


def encodings(name: str, raw: bytes) -> dict[str, bytes]:
    """The raw bytes and the text forms a careless store might keep them in."""
    return {
        f"{name} (raw)": raw,
        f"{name} (hex)": raw.hex().encode(),
        f"{name} (base64)": base64.b64encode(raw).rstrip(b"="),
        f"{name} (base64url)": base64.urlsafe_b64encode(raw).rstrip(b"="),
        f"{name} (base32)": base64.b32encode(raw).rstrip(b"="),
    }


async def test_no_secret_is_stored_in_clear(
    client: httpx.AsyncClient, runtime: Runtime, engine: AsyncEngine, clock: FrozenClock
) -> None:
    app = await a_client(runtime)
    password = "pw-" + secrets.token_urlsafe(16)
    email = f"at-rest-{secrets.token_hex(6)}@example.com"
    user = await create_user(runtime, NewUser(email=email, password=password), actor="test")
    person = Person(user.id, email, password)
    enrolling = await mfa_token(client, app, person)
    body = (await associate(client, enrolling)).json()
    otp_secret, recovery_code = body["secret"], body["recovery_codes"][0]
    confirmed = await otp_grant(client, app, enrolling, code(otp_secret, clock.now()))
    assert confirmed.status_code == 200, confirmed.text
    pending = await mfa_token(client, app, person)  # an open MFA transaction

    raw_secret = base64.b32decode(otp_secret + "=" * (-len(otp_secret) % 8))
    needles = {
        "otp secret": otp_secret.encode(),
        **encodings("otp secret bytes", raw_secret),
        "recovery code": recovery_code.encode(),
        "client secret": app.client_secret.encode(),
        "enrolment mfa_token": enrolling.encode(),
        "pending mfa_token": pending.encode(),
        "password": password.encode(),
    }
    cells = await every_cell(engine)

    assert found(cells, needles) == []
    # The scan does see this test's rows, in the forms they are meant to be stored in.
    expected = {
        "email": email.encode(),
        "client id": app.client_id.encode(),
        "mfa_token hash": token_hash(pending).encode(),
        "client secret hash": token_hash(app.client_secret).encode(),
        "recovery code hash": runtime.keyring.keyed_hash(
            recovery_code, purpose="recovery-code"
        ).encode(),
    }
    assert {name for name, _ in found(cells, expected)} == set(expected)
    hashes = [value for where, value in cells if where == "users.password_hash"]
    assert hashes
    assert all(value.startswith(b"$argon2id$v=19$") for value in hashes)


async def test_signing_keys_are_stored_encrypted(runtime: Runtime, engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(signing_keys))).mappings().all()
    assert rows
    needles: dict[str, bytes] = {"pem armour": b"PRIVATE KEY"}
    for row in rows:
        blob = bytes(row["private_key"])
        assert KeyRing.kid_of(blob) == row["key_id"]
        # The associated data flows/signing.py binds each private key to its JWT kid.
        pem = runtime.keyring.decrypt(blob, aad=b"twofold:signing-key:" + row["kid"].encode())
        assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
        needles[f"{row['kid']} pem"] = pem
        needles.update(encodings(f"{row['kid']} der", base64.b64decode(body)))
        for key, value in row["public_jwk"].items():
            assert key not in ("d", "p", "q", "dp", "dq", "qi"), value
    assert found(await every_cell(engine), needles) == []
