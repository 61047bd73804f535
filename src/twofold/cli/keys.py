"""`twofold keys rotate`: a new master key, and every secret re-wrapped under it."""

from __future__ import annotations

import typer

from twofold.cli.context import console, run, settings
from twofold.cli.progress import progress_bar
from twofold.cli.setup import opened
from twofold.flows.admin import rotate_keys

app = typer.Typer(help="Master encryption keys.", no_args_is_help=True)


@app.command("rotate")
def rotate() -> None:
    """Add a master key, re-encrypt every secret with it, retire the old keys."""

    async def work() -> int:
        async with opened(settings()) as rt:
            with progress_bar("re-encrypting") as update:
                return await rotate_keys(rt, progress=update)

    count = run(work)
    console.print(f"Re-encrypted {count} secret(s) under the new key.")
