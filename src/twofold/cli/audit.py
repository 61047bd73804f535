"""`twofold audit`: verify the hash chains, export JSONL."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import typer
from rich.markup import escape

from twofold.audit.chain import verify as verify_chain
from twofold.audit.sinks import export_jsonl
from twofold.cli.context import console, emit_json, run, settings
from twofold.cli.progress import progress_bar
from twofold.clock import SystemClock
from twofold.config import Settings
from twofold.store.db import create_engine
from twofold.store.uow import Store

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def _store(config: Settings) -> Store:
    engine = create_engine(config, pool_size=2)
    return Store(engine, clock=SystemClock(), audit_chains=config.audit_chains)


@app.command("verify")
def verify(json_output: bool = typer.Option(False, "--json")) -> None:
    """Check every chain end to end; names the first broken link. Exit 1 if broken."""

    async def work() -> dict[str, object]:
        store = _store(settings())
        try:
            with progress_bar("verifying") as update:
                report = await verify_chain(store, progress=update)
        finally:
            await store.engine.dispose()
        broken = report.first_broken
        return {
            "ok": report.ok,
            "checked": report.checked,
            "first_broken": None
            if broken is None
            else {
                "id": broken.event_id,
                "chain": broken.chain,
                "seq": broken.seq,
                "reason": broken.reason,
            },
        }

    result = run(work)
    if json_output:
        emit_json(result)
    elif result["ok"]:
        console.print(f"[green]OK[/green]: {result['checked']} events, every chain intact.")
    else:
        broken = cast(dict[str, object], result["first_broken"])
        console.print(
            f"[red]BROKEN[/red] after {result['checked']} events: first broken link is event "
            f"{escape(str(broken['id']))} (chain {escape(str(broken['chain']))}, "
            f"seq {broken['seq']}): {escape(str(broken['reason']))}",
            soft_wrap=True,
        )
    if not result["ok"]:
        raise typer.Exit(1)


@app.command("export")
def export(out: Path | None = typer.Option(None, help="File to write (default stdout).")) -> None:
    """Write every event as one JSON object per line."""

    async def work() -> int:
        store = _store(settings())
        try:
            if out is None:
                return await export_jsonl(store, sys.stdout)
            with progress_bar("exporting") as update, out.open("w", encoding="utf-8") as handle:
                return await export_jsonl(store, handle, progress=update)
        finally:
            await store.engine.dispose()

    count = run(work)
    if out is not None:
        console.print(f"Wrote {count} events to {out}")
