"""`twofold migrate`: bring the configured database to the newest schema."""

from __future__ import annotations

from twofold.cli.context import console, run, settings
from twofold.clock import SystemClock
from twofold.flows.signing import ensure_signing_key
from twofold.security.envelope import KeyRing
from twofold.store.db import create_engine
from twofold.store.migrate import upgrade
from twofold.store.uow import Store


def migrate() -> None:
    """Apply pending migrations, then make sure a signing key exists."""
    config = settings()

    async def work() -> None:
        engine = create_engine(config, pool_size=2)
        try:
            await upgrade(engine)
            keyring = KeyRing.load_or_create(config.master_key_path)
            clock = SystemClock()
            store = Store(engine, clock=clock, audit_chains=config.audit_chains)
            await ensure_signing_key(store, keyring, config, clock)
        finally:
            await engine.dispose()

    run(work)
    console.print("Database is up to date.")
