"""`twofold apps`: register and list applications."""

from __future__ import annotations

import typer
from rich.table import Table

from twofold.cli.context import console, emit_json, run, settings
from twofold.cli.setup import opened
from twofold.flows.clients import create_application

app = typer.Typer(help="Applications (Auth0 clients).", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Option(..., help="Display name."),
    app_type: str = typer.Option("regular_web", "--type", help="regular_web, spa, native."),
    management: bool = typer.Option(
        False, "--management", help="Machine-to-machine app with every Management API scope."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create an application; its secret is printed once."""

    async def work() -> dict[str, object]:
        async with opened(settings()) as rt:
            new = await create_application(rt, name=name, app_type=app_type, management=management)
        application = new.application
        return {
            "client_id": application.client_id,
            "client_secret": new.client_secret,
            "name": application.name,
            "app_type": application.app_type,
            "grant_types": list(application.grant_types),
            "scopes": list(application.scopes),
        }

    result = run(work)
    if json_output:
        emit_json(result)
        return
    for key in ("name", "client_id", "client_secret", "app_type"):
        console.print(f"{key}: {result[key]}", soft_wrap=True, markup=False, highlight=False)
    console.print("[yellow]The client secret is shown only now.[/yellow]")


@app.command("list")
def list_apps(json_output: bool = typer.Option(False, "--json")) -> None:
    """List applications."""

    async def work() -> list[dict[str, object]]:
        async with opened(settings()) as rt, rt.store.read() as tx:
            items = await tx.applications.list()
        return [
            {
                "client_id": a.client_id,
                "name": a.name,
                "app_type": a.app_type,
                "grant_types": list(a.grant_types),
            }
            for a in items
        ]

    result = run(work)
    if json_output:
        emit_json(result)
        return
    table = Table("client_id", "name", "type")
    for item in result:
        table.add_row(str(item["client_id"]), str(item["name"]), str(item["app_type"]))
    console.print(table)
