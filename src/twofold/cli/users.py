"""`twofold users`: create, list, reset MFA, unblock."""

from __future__ import annotations

import typer
from rich.table import Table

from twofold.cli.context import console, emit_json, run, settings
from twofold.cli.setup import opened
from twofold.errors import NotFoundError
from twofold.flows.admin import reset_mfa, unblock_user
from twofold.flows.runtime import Runtime
from twofold.flows.users import NewUser, create_user

app = typer.Typer(help="Users of the embedded user store.", no_args_is_help=True)


@app.command("create")
def create(
    email: str = typer.Option(...),
    password: str = typer.Option(..., prompt=True, hide_input=True),
    name: str | None = typer.Option(None),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Create a user."""

    async def work() -> dict[str, str]:
        async with opened(settings()) as rt:
            user = await create_user(
                rt, NewUser(email=email, password=password, name=name), actor="cli"
            )
        return {"user_id": user.id, "email": user.email, "name": user.name}

    result = run(work)
    if json_output:
        emit_json(result)
    else:
        console.print(f"Created {result['email']} ({result['user_id']})")


@app.command("list")
def list_users(
    q: str | None = typer.Option(None, help="Search email or name."),
    page: int = typer.Option(0, min=0),
    per_page: int = typer.Option(50, min=1, max=100),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """List or search users."""

    async def work() -> dict[str, object]:
        async with opened(settings()) as rt, rt.store.read() as tx:
            found = await tx.users.search(q=q, page=page, per_page=per_page)
        return {
            "total": found.total,
            "users": [
                {
                    "user_id": u.id,
                    "email": u.email,
                    "name": u.name,
                    "created_at": u.created_at.isoformat(),
                }
                for u in found.items
            ],
        }

    result = run(work)
    if json_output:
        emit_json(result)
        return
    table = Table("user_id", "email", "name")
    users = result["users"]
    if isinstance(users, list):
        for user in users:
            table.add_row(user["user_id"], user["email"], user["name"])
    console.print(table)
    console.print(f"{result['total']} user(s)")


async def _user_id(rt: Runtime, who: str) -> str:
    async with rt.store.read() as tx:
        user = await (
            tx.users.by_email(who) if "@" in who and "|" not in who else tx.users.get(who)
        )
    if user is None:
        raise NotFoundError(f"No user {who!r}.")
    return user.id


@app.command("reset-mfa")
def reset(
    who: str = typer.Argument(..., help="User id or email."),
    json_output: bool = typer.Option(False, "--json"),
) -> None:
    """Remove every authenticator and recovery code and end open MFA transactions."""

    async def work() -> dict[str, object]:
        async with opened(settings()) as rt:
            user_id = await _user_id(rt, who)
            removed = await reset_mfa(rt, user_id, actor="cli")
        return {"user_id": user_id, "removed": removed}

    result = run(work)
    if json_output:
        emit_json(result)
    else:
        console.print(f"Removed {result['removed']} authenticator(s) of {result['user_id']}")


@app.command("unblock")
def unblock(who: str = typer.Argument(..., help="User id or email.")) -> None:
    """Lift brute-force blocks on the user (every IP) and their factor buckets."""

    async def work() -> int:
        async with opened(settings()) as rt:
            return await unblock_user(rt, await _user_id(rt, who), actor="cli")

    console.print(f"Lifted {run(work)} block(s).")
