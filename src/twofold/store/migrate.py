"""Schema migrations: Alembic, driven from code on the async engine (no alembic.ini).

Each command runs in one transaction on one connection (SQLite: BEGIN IMMEDIATE, foreign keys
off for batch table copies; PostgreSQL: transactional DDL under an advisory lock), so
concurrent migrators queue and a failed upgrade changes nothing. The scripts live in
`twofold/store/migrations/` and ship inside the wheel.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from twofold.errors import TwofoldError
from twofold.store.db import READ_ONLY

MIGRATIONS_PACKAGE = "twofold.store.migrations"
_PG_LOCK_KEY = 0x74776F66  # "twof": one advisory lock serialises migrators across nodes


class SchemaOutOfDateError(TwofoldError):
    code = "schema_out_of_date"
    description = "The database schema is not at this version's revision: run `twofold migrate`."


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config pointing at the packaged scripts; env.py runs on `connection`."""
    config = Config()
    # ConfigParser interpolates "%": escape it in the path, keep it in the template.
    config.set_main_option("script_location", str(script_location()).replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def script_location() -> Path:
    location = resources.files(MIGRATIONS_PACKAGE)
    if not isinstance(location, Path):
        raise RuntimeError(f"{MIGRATIONS_PACKAGE} must be installed as files, not zipped")
    return location


def head_revision() -> str:
    """The revision this code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration scripts found")
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest); idempotent."""
    await run_command(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Step back to `revision` ("base" drops every table the migrations made)."""
    await run_command(engine, command.downgrade, revision)


async def run_command(
    engine: AsyncEngine, step: Callable[[Config, str], None], revision: str
) -> None:
    """Run an Alembic command (`command.upgrade`, `command.stamp`...) in one transaction as
    the module docstring says; `config.attributes["connection"]` is that transaction's."""
    async with engine.connect() as conn:
        await conn.run_sync(_step, step, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision, or None on an empty database."""
    async with engine.connect() as conn:
        await conn.execution_options(**{READ_ONLY: True})  # a deferred BEGIN on SQLite
        return await conn.run_sync(_current)


async def check_up_to_date(engine: AsyncEngine) -> None:
    """Raise SchemaOutOfDateError unless the database is at this code's head revision."""
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDateError(
            f"The database schema is at {current or 'no revision'}, this version needs "
            f"{head}: run `twofold migrate`."
        )


async def autogenerate_revision(engine: AsyncEngine, message: str) -> None:
    """Developer tool: upgrade `engine`'s database, then write the next numbered revision
    with what differs from the tables' metadata (nothing is written if nothing differs)."""
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.run_sync(_autogenerate, message)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _step(connection: Connection, step: Callable[[Config, str], None], revision: str) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations copy a table, drop it and rename the copy: with foreign keys on,
        # the drop would cascade into the children (ON DELETE CASCADE). SQLite ignores this
        # pragma inside a transaction, so it is set before ours begins.
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
            step(alembic_config(connection), revision)
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("migration left rows whose foreign keys point nowhere")
    finally:
        if sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection: Connection, sql: str) -> None:
    """Run `sql` on the driver connection, outside any SQLAlchemy transaction."""
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:
        raise RuntimeError("connection is closed")
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _autogenerate(connection: Connection, message: str) -> None:
    config = alembic_config(connection)
    config.attributes["autogenerate"] = True
    # Format and sort the new file the way `make lint` wants it (ruff is a dev dependency).
    hooks = {
        "ruff_format": "format REVISION_SCRIPT_FILENAME",
        "ruff_fix": "check --fix --exit-zero --quiet REVISION_SCRIPT_FILENAME",
    }
    config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
    for name, options in hooks.items():
        config.set_section_option("post_write_hooks", f"{name}.type", "module")
        config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
        config.set_section_option("post_write_hooks", f"{name}.options", options)
    head = ScriptDirectory.from_config(config).get_current_head()
    rev_id = f"{int(head) + 1:04d}" if head else "0001"
    command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
