"""`python -m twofold.store.migrations MESSAGE`: write the next numbered revision (developers).

Autogenerates against a throwaway SQLite database brought to head (or `--database-url`, which
must be disposable: it is upgraded first), so the revision holds exactly what the tables'
metadata adds. Always read and edit the result before committing it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from twofold.config import Settings
from twofold.store.db import create_engine
from twofold.store.migrate import autogenerate_revision


async def _write(settings: Settings, message: str) -> None:
    engine = create_engine(settings, pool_size=1)
    try:
        await autogenerate_revision(engine, message)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m twofold.store.migrations",
        description="Write the next migration revision by comparing the tables to the schema.",
    )
    parser.add_argument("message", help='what the revision does, e.g. "add webauthn tables"')
    parser.add_argument(
        "--database-url", help="a disposable database to compare with (default: temporary SQLite)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'draft.db'}"
        asyncio.run(_write(Settings(data_dir=Path(tmp), database_url=url), args.message))


if __name__ == "__main__":
    main()
