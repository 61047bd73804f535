"""`twofold init` and the preparation `serve` does: data dir, master key, schema, keys."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import typer

from twofold.app import build_runtime, close_runtime
from twofold.cli.bootstrap import bootstrap_admin
from twofold.cli.context import console, emit_json, run, settings
from twofold.clock import SystemClock
from twofold.config import Settings
from twofold.flows.runtime import Runtime
from twofold.flows.signing import ensure_signing_key
from twofold.security.envelope import KeyRing
from twofold.store.db import create_engine
from twofold.store.migrate import check_up_to_date, upgrade
from twofold.store.uow import Store


@dataclass(frozen=True, slots=True)
class Prepared:
    created_master_key: bool


async def prepare(config: Settings, *, migrate_embedded: bool) -> Prepared:
    """Idempotent: creates what is missing and leaves the rest alone."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config.data_dir, 0o700)
    created = not config.master_key_path.exists()
    keyring = KeyRing.load_or_create(config.master_key_path)
    engine = create_engine(config, pool_size=2)
    try:
        if migrate_embedded and config.is_embedded:
            await upgrade(engine)
        else:
            await check_up_to_date(engine)  # PostgreSQL is migrated by `twofold migrate`
        clock = SystemClock()
        store = Store(engine, clock=clock, audit_chains=config.audit_chains)
        await ensure_signing_key(store, keyring, config, clock)
    finally:
        await engine.dispose()
    return Prepared(created_master_key=created)


@asynccontextmanager
async def opened(config: Settings) -> AsyncIterator[Runtime]:
    """A runtime for one CLI command, after making sure the data dir and schema exist."""
    await prepare(config, migrate_embedded=True)
    runtime = await build_runtime(config)
    try:
        yield runtime
    finally:
        await close_runtime(runtime)


def init(
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create the data directory, master key (mode 0600), schema, signing key and admin."""
    config = settings()

    async def work() -> dict[str, object]:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        if not config.is_embedded:
            engine = create_engine(config, pool_size=2)
            try:
                await upgrade(engine)
            finally:
                await engine.dispose()
        await prepare(config, migrate_embedded=True)
        admin = await bootstrap_admin(config)
        return {"data_dir": str(config.data_dir), "admin": admin}

    result = run(work)
    if json_output:
        emit_json(result)
        return
    console.print(f"Twofold initialised in [bold]{config.data_dir}[/bold]")
    admin = result["admin"]
    if isinstance(admin, dict):
        print_admin(admin)


def print_admin(admin: dict[str, str]) -> None:
    console.print("[bold yellow]Bootstrap admin (shown once, store it now):[/bold yellow]")
    for key, value in admin.items():
        console.print(f"  {key}: {value}", soft_wrap=True, markup=False, highlight=False)
