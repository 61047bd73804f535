"""`twofold serve`: prepare the embedded database if needed, then run uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from twofold.cli.bootstrap import bootstrap_admin
from twofold.cli.context import console, run, settings
from twofold.cli.setup import prepare, print_admin


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int | None = typer.Option(
        None, help="Worker processes (default 1 on SQLite, 2 on PostgreSQL)."
    ),
) -> None:
    """Serve the API. On the embedded database this also migrates and bootstraps."""
    config = settings()

    async def work() -> dict[str, str] | None:
        await prepare(config, migrate_embedded=True)
        return await bootstrap_admin(config)

    admin = run(work)
    if admin:
        print_admin(admin)
    count = workers if workers is not None else (1 if config.is_embedded else 2)
    console.print(f"Twofold listening on http://{host}:{port} ({count} worker(s))")
    uvicorn.run(
        "twofold.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=count,
        log_level=config.log_level,
        access_log=False,
        proxy_headers=False,
    )
