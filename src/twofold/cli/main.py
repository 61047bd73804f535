"""The `twofold` command: every group registered here, explicitly."""

from __future__ import annotations

import typer

from twofold.cli import apps, audit, keys, users
from twofold.cli.migrate import migrate
from twofold.cli.serve import serve
from twofold.cli.setup import init

cli = typer.Typer(help="Twofold: self-hosted multi-factor authentication.", no_args_is_help=True)
cli.command()(serve)
cli.command()(init)
cli.command()(migrate)
cli.add_typer(apps.app, name="apps")
cli.add_typer(users.app, name="users")
cli.add_typer(audit.app, name="audit")
cli.add_typer(keys.app, name="keys")


def main() -> None:
    cli()
