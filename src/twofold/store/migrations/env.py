"""Alembic's environment: runs on the connection `twofold.store.migrate` hands over.

There is no alembic.ini and no offline (`--sql`) mode: migrations always run inside the
caller's transaction, so a failed upgrade leaves the schema as it was.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from twofold.store.tables import metadata
from twofold.store.tables.base import UtcDateTime


def render_item(type_: str, obj: Any, _autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UtcDateTime as the type it stores: revisions never import our table code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_revision(
    _context: MigrationContext, _revision: Any, directives: list[MigrationScript]
) -> None:
    """An autogenerate run that finds no change writes no file."""
    script = directives[0] if directives else None
    if script is not None and script.upgrade_ops is not None and script.upgrade_ops.is_empty():
        directives.clear()
        context.config.print_stdout("No schema change detected: no revision written.")


def run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported")
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through twofold.store.migrate (`twofold migrate`)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        process_revision_directives=(
            skip_empty_revision if context.config.attributes.get("autogenerate") else None
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
