"""`twofold apps`: register, list, change and delete applications; rotate their secrets."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from twofold.cli.context import console, emit_json, run, settings
from twofold.cli.setup import opened
from twofold.domain import Application
from twofold.flows import clients
from twofold.flows.clients import ApplicationChanges, NewApplication

app = typer.Typer(help="Applications (Auth0 clients).", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print one JSON document.")
CALLBACK_HELP = "A redirect URI allowed at /authorize (repeat for several)."
LOGOUT_HELP = "Where logout may send the browser (repeat for several)."
GRANT_HELP = "A grant type the app may use (repeat; default: by --type)."
BY_ID = {"ignore_unknown_options": True}
"""Client ids are url-safe base64 and may begin with `-`: such an id must still read as the
CLIENT_ID argument, not as an unknown option (no command here has a short option)."""


def _document(application: Application) -> dict[str, Any]:
    """The Management API's client object, plus the Management API scopes it holds."""
    return {**clients.client_json(application), "scopes": list(application.scopes)}


def _with_secret(new: NewApplication) -> dict[str, Any]:
    return {**_document(new.application), "client_secret": new.client_secret}


def _show(document: dict[str, Any], *, json_output: bool) -> None:
    if json_output:
        emit_json(document)
        return
    for key in ("name", "client_id", "client_secret", "app_type", "grant_types", "callbacks"):
        if key in document:
            value = document[key]
            shown = ", ".join(value) if isinstance(value, list) else value
            console.print(f"{key}: {shown}", soft_wrap=True, markup=False, highlight=False)
    if document.get("client_secret"):
        console.print("[yellow]The client secret is shown only now.[/yellow]")


@app.command("create")
def create(
    *,
    name: str = typer.Option(..., help="Display name."),
    app_type: str | None = typer.Option(
        None, "--type", help="regular_web (default), spa, native or non_interactive."
    ),
    callbacks: list[str] = typer.Option([], "--callback", help=CALLBACK_HELP),
    logout_urls: list[str] = typer.Option([], "--logout-url", help=LOGOUT_HELP),
    grant_types: list[str] = typer.Option([], "--grant-type", help=GRANT_HELP),
    management: bool = typer.Option(
        False, "--management", help="Machine-to-machine app with every Management API scope."
    ),
    json_output: bool = JSON,
) -> None:
    """Create an application; its secret (none for spa and native) is printed once."""

    async def work() -> dict[str, Any]:
        async with opened(settings()) as rt:
            new = await clients.create_application(
                rt,
                name=name,
                app_type=app_type,
                callbacks=callbacks,
                allowed_logout_urls=logout_urls,
                grant_types=grant_types or None,
                management=management,
            )
        return _with_secret(new)

    _show(run(work), json_output=json_output)


@app.command("update", context_settings=BY_ID)
def update(
    *,
    client_id: str = typer.Argument(..., help="The application's client_id."),
    name: str | None = typer.Option(None, help="A new display name."),
    app_type: str | None = typer.Option(
        None, "--type", help="regular_web or non_interactive (a confidential app only)."
    ),
    callbacks: list[str] = typer.Option([], "--callback", help=f"{CALLBACK_HELP} Replaces all."),
    no_callbacks: bool = typer.Option(False, "--no-callbacks", help="Remove every callback."),
    logout_urls: list[str] = typer.Option([], "--logout-url", help=f"{LOGOUT_HELP} Replaces all."),
    no_logout_urls: bool = typer.Option(False, "--no-logout-urls", help="Remove every one."),
    grant_types: list[str] = typer.Option([], "--grant-type", help="Replaces the grant types."),
    json_output: bool = JSON,
) -> None:
    """Change an application; options left out keep their value, lists are replaced whole."""
    changes = ApplicationChanges(
        name=name,
        app_type=app_type,
        callbacks=_replacement(callbacks, clear=no_callbacks, option="--callback"),
        allowed_logout_urls=_replacement(logout_urls, clear=no_logout_urls, option="--logout-url"),
        grant_types=grant_types or None,
    )

    async def work() -> dict[str, Any]:
        async with opened(settings()) as rt:
            return _document(await clients.update_application(rt, client_id, changes, actor="cli"))

    _show(run(work), json_output=json_output)


def _replacement(values: list[str], *, clear: bool, option: str) -> list[str] | None:
    """A new list, an empty one (`--no-...`), or None to keep the current one."""
    if clear and values:
        raise typer.BadParameter(f"{option} and its --no-... switch exclude each other.")
    return [] if clear else (values or None)


@app.command("delete", context_settings=BY_ID)
def delete(
    client_id: str = typer.Argument(..., help="The application's client_id."),
    json_output: bool = JSON,
) -> None:
    """Delete an application: its secret and refresh tokens stop working at once."""

    async def work() -> None:
        async with opened(settings()) as rt:
            await clients.delete_application(rt, client_id, actor="cli")

    run(work)
    if json_output:
        emit_json({"client_id": client_id, "deleted": True})
    else:
        console.print(f"Deleted {client_id}", soft_wrap=True, markup=False, highlight=False)


@app.command("rotate-secret", context_settings=BY_ID)
def rotate_secret(
    client_id: str = typer.Argument(..., help="The application's client_id."),
    json_output: bool = JSON,
) -> None:
    """Replace a confidential application's secret; the old one stops working at once."""

    async def work() -> dict[str, Any]:
        async with opened(settings()) as rt:
            return _with_secret(await clients.rotate_secret(rt, client_id, actor="cli"))

    _show(run(work), json_output=json_output)


@app.command("list")
def list_apps(json_output: bool = JSON) -> None:
    """List applications, oldest first."""

    async def work() -> list[dict[str, Any]]:
        async with opened(settings()) as rt, rt.store.read() as tx:
            items = await tx.applications.list()
        return [_document(application) for application in items]

    result = run(work)
    if json_output:
        emit_json(result)
        return
    table = Table("client_id", "name", "type", "callbacks")
    for item in result:
        cells = (item["client_id"], item["name"], item["app_type"], "\n".join(item["callbacks"]))
        table.add_row(*(Text(cell) for cell in cells))
    console.print(table)
