"""CLI fixtures: a deployment of its own (a fresh database and data directory) and the real
`twofold` command run against it as a subprocess, the way an operator runs it.

A fresh deployment per test, because these tests bootstrap admins, rotate the master key and
tamper with the audit chain: none of that may leak into the session's shared database.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.builders import an_ip
from tests.conftest import scratch_database
from twofold.app import build_runtime, close_runtime, create_app
from twofold.cli.setup import prepare
from twofold.clock import FrozenClock
from twofold.config import PasswordSettings, Settings
from twofold.flows.runtime import Runtime
from twofold.store.db import create_engine
from twofold.store.migrate import upgrade

TWOFOLD = Path(sys.executable).with_name("twofold")
"""The console script installed next to this interpreter (the virtualenv's `twofold`)."""
CHEAP_ARGON2 = PasswordSettings(time_cost=1, memory_kib=8, parallelism=1)
TIMEOUT = 120


@dataclass(frozen=True, slots=True)
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The one JSON document a `--json` command prints."""
        return json.loads(self.stdout)

    @property
    def words(self) -> str:
        """stdout with rich's line wrapping undone, for phrases that may span a wrap."""
        return " ".join(self.stdout.split())


@dataclass(frozen=True, slots=True)
class Cli:
    env: dict[str, str]
    cwd: Path

    async def __call__(self, *args: str) -> Result:
        process = await asyncio.create_subprocess_exec(
            TWOFOLD,
            *args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT)
        assert process.returncode is not None
        return Result(process.returncode, stdout.decode(), stderr.decode())


def environment(settings: Settings) -> dict[str, str]:
    """This process's environment without any TWOFOLD_* variable, plus the deployment's.

    COLUMNS is wide so rich does not fold a long temporary path in the middle."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TWOFOLD_")}
    env.update(
        {
            "COLUMNS": "400",
            "TWOFOLD_DATA_DIR": str(settings.data_dir),
            "TWOFOLD_DATABASE_URL": settings.database_url or "",
            "TWOFOLD_PASSWORDS__TIME_COST": str(settings.passwords.time_cost),
            "TWOFOLD_PASSWORDS__MEMORY_KIB": str(settings.passwords.memory_kib),
            "TWOFOLD_PASSWORDS__PARALLELISM": str(settings.passwords.parallelism),
        }
    )
    return env


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for an empty database (no schema yet) and a data directory not yet made."""
    async with scratch_database(tmp_path, "cli") as url:
        yield Settings(data_dir=tmp_path / "data", database_url=url, passwords=CHEAP_ARGON2)


@pytest.fixture
def cli(deployment: Settings, tmp_path: Path) -> Cli:
    return Cli(env=environment(deployment), cwd=tmp_path)


@pytest.fixture
async def database(deployment: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on the deployment's database, for reading and altering raw rows."""
    engine = create_engine(deployment, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def migrated(database: AsyncEngine) -> AsyncEngine:
    """The schema in place, as `twofold init` or `twofold migrate` would leave it."""
    await upgrade(database)
    return database


@pytest.fixture
async def runtime(
    deployment: Settings, migrated: AsyncEngine, clock: FrozenClock
) -> AsyncIterator[Runtime]:
    """The server's runtime on the same deployment (master key and signing key created)."""
    await prepare(deployment, migrate_embedded=False)
    rt = await build_runtime(deployment, clock=clock)
    yield rt
    await close_runtime(rt)


@pytest.fixture
async def client(deployment: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP over ASGI to an app serving the deployment the CLI works on."""
    transport = httpx.ASGITransport(
        app=create_app(deployment, runtime=runtime), client=(an_ip(), 40000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://twofold.test") as http:
        yield http
