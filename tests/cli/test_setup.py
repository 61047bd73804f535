"""`twofold init`: data directory, master key (0600), schema, signing key, bootstrap admin."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.cli.conftest import CHEAP_ARGON2, Cli
from twofold.config import Settings
from twofold.flows.grants import MANAGEMENT_SCOPES
from twofold.security.envelope import KeyRing
from twofold.security.passwords import PasswordHasher
from twofold.security.tokens import token_hash
from twofold.store.db import create_engine
from twofold.store.tables import applications, signing_keys, users

ADMIN_FIELDS = (
    "admin_email",
    "admin_password",
    "admin_user_id",
    "management_client_id",
    "management_client_secret",
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def printed(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+): (\S+)$", stdout, flags=re.MULTILINE))


async def test_init_creates_the_key_file_and_prints_the_admin_once(
    cli: Cli, deployment: Settings
) -> None:
    assert not deployment.data_dir.exists()
    first = await cli("init")
    assert first.code == 0, first.stderr
    assert mode_of(deployment.master_key_path) == 0o600
    assert mode_of(deployment.data_dir) == 0o700
    assert "Bootstrap admin (shown once, store it now):" in first.stdout
    admin = printed(first.stdout)
    assert tuple(admin) == ADMIN_FIELDS
    assert admin["admin_email"] == "admin@twofold.local"
    key_file = deployment.master_key_path.read_bytes()

    second = await cli("init", "--json")
    assert second.code == 0, second.stderr
    assert second.json() == {"data_dir": str(deployment.data_dir), "admin": None}
    assert deployment.master_key_path.read_bytes() == key_file
    assert admin["admin_password"] not in second.stdout + second.stderr

    engine = create_engine(deployment, pool_size=1)
    try:
        async with engine.connect() as conn:
            people = (await conn.execute(select(users))).mappings().all()
            apps = (await conn.execute(select(applications))).mappings().all()
            keys = (await conn.execute(select(signing_keys))).mappings().all()
    finally:
        await engine.dispose()
    assert [(p["id"], p["email"], p["roles"]) for p in people] == [
        (admin["admin_user_id"], "admin@twofold.local", ["admin"])
    ]
    hasher = PasswordHasher(CHEAP_ARGON2)
    try:
        assert await hasher.verify(people[0]["password_hash"], admin["admin_password"])
    finally:
        hasher.close()
    assert [(a["client_id"], a["secret_hash"], a["grant_types"]) for a in apps] == [
        (
            admin["management_client_id"],
            token_hash(admin["management_client_secret"]),
            ["client_credentials"],
        )
    ]
    assert tuple(apps[0]["scopes"]) == MANAGEMENT_SCOPES
    assert [key["active"] for key in keys] == [True]


@pytest.mark.usefixtures("migrated")
async def test_a_key_file_readable_by_others_stops_every_command(
    cli: Cli, deployment: Settings
) -> None:
    KeyRing.load_or_create(deployment.master_key_path)
    deployment.master_key_path.chmod(0o644)
    result = await cli("users", "list", "--json")
    assert result.code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    path = deployment.master_key_path
    assert " ".join(result.stderr.split()) == (
        f"error: master_key: {path} is readable by others (mode 644); run `chmod 600 {path}`"
    )


async def test_an_outbox_behind_an_https_issuer_stops_every_command(
    cli: Cli, deployment: Settings
) -> None:
    assert (await cli("init", "--json")).code == 0
    https = Cli(env={**cli.env, "TWOFOLD_ISSUER": "https://login.example.com/"}, cwd=cli.cwd)
    result = await https("users", "list", "--json")
    assert result.code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert " ".join(result.stderr.split()) == (
        "error: channels: the console provider (sms, voice, email) writes live codes to a file;"
        " with an https issuer set a real provider, or TWOFOLD_CHANNELS__ALLOW_OUTBOX=true"
    )
