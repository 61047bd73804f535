"""store/migrate.py: the Alembic revisions build exactly the tables' schema, on this leg's
database, and walk up and down cleanly. Each test makes a database of its own (one checks
the session's shared database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import scratch_database
from twofold.clock import FrozenClock
from twofold.config import Settings
from twofold.store.db import create_engine
from twofold.store.migrate import (
    SchemaOutOfDateError,
    alembic_config,
    check_up_to_date,
    current_revision,
    downgrade,
    head_revision,
    run_command,
    upgrade,
)
from twofold.store.tables import authenticators, metadata, users


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of this leg."""
    async with scratch_database(tmp_path, "migrations") as url:
        engine = create_engine(Settings(data_dir=tmp_path, database_url=url, redis_url=None))
        try:
            yield engine
        finally:
            await engine.dispose()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def drift(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would still write: empty when the revisions match the tables."""
    async with engine.connect() as conn:
        return await conn.run_sync(_diff)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def column_names(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns(table))
    return {column["name"] for column in columns}


def copy_table_adding_a_column(config: Config, table: str) -> None:
    """What a batch revision does on SQLite: copy the table, drop the old one, rename."""
    operations = Operations(MigrationContext.configure(config.attributes["connection"]))
    with operations.batch_alter_table(table, recreate="always") as batch:
        batch.add_column(sa.Column("nickname", sa.String(50), nullable=True))


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def test_upgrade_builds_exactly_the_tables_schema(fresh: AsyncEngine) -> None:
    await upgrade(fresh)

    assert await current_revision(fresh) == head_revision()
    assert await drift(fresh) == []
    assert await table_names(fresh) == {*metadata.tables, "alembic_version"}


async def test_the_session_database_has_no_drift(engine: AsyncEngine) -> None:
    assert await drift(engine) == []


async def test_upgrade_twice_changes_nothing(fresh: AsyncEngine) -> None:
    await upgrade(fresh)
    await upgrade(fresh)

    assert await current_revision(fresh) == head_revision()
    assert await drift(fresh) == []


async def test_downgrade_to_base_then_upgrade(fresh: AsyncEngine) -> None:
    await upgrade(fresh)

    await downgrade(fresh, "base")
    assert await current_revision(fresh) is None
    assert await table_names(fresh) == {"alembic_version"}

    await upgrade(fresh)
    assert await current_revision(fresh) == head_revision()
    assert await drift(fresh) == []


async def test_each_revision_steps_down_and_up_again(fresh: AsyncEngine) -> None:
    revisions = revisions_oldest_first()
    assert revisions[-1] == head_revision()
    for revision in revisions:
        await upgrade(fresh, revision)
        await downgrade(fresh, "-1")
        await upgrade(fresh, revision)
        assert await current_revision(fresh) == revision


async def test_check_up_to_date_refuses_an_unmigrated_database(fresh: AsyncEngine) -> None:
    with pytest.raises(SchemaOutOfDateError) as caught:
        await check_up_to_date(fresh)
    assert caught.value.code == "schema_out_of_date"

    await upgrade(fresh)
    await check_up_to_date(fresh)


async def test_a_sqlite_table_copy_keeps_the_rows_that_reference_it(
    tmp_path: Path, clock: FrozenClock
) -> None:
    # With foreign keys on, dropping the old `users` would cascade into `authenticators`.
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    engine = create_engine(Settings(data_dir=tmp_path, database_url=url, redis_url=None))
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id="u1",
                    email="a@example.com",
                    name="A",
                    password_hash="x",
                    roles=[],
                    app_metadata={},
                    user_metadata={},
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
            await conn.execute(
                authenticators.insert().values(
                    id="otp|1",
                    user_id="u1",
                    type="otp",
                    status="active",
                    params={},
                    created_at=clock.now(),
                )
            )

        await run_command(engine, copy_table_adding_a_column, "users")

        assert "nickname" in await column_names(engine, "users")
        async with engine.connect() as conn:
            count = select(func.count()).select_from(authenticators)
            assert (await conn.execute(count)).scalar_one() == 1
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        await engine.dispose()
