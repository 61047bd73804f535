"""The bootstrap administrator: created once, its secrets printed once."""

from __future__ import annotations

import secrets

from twofold.app import build_runtime, close_runtime
from twofold.config import Settings
from twofold.flows.clients import create_application
from twofold.flows.users import NewUser, create_user

BOOTSTRAP_KEY = "bootstrap_admin"


async def bootstrap_admin(config: Settings) -> dict[str, str] | None:
    """An admin user and a Management API application, or None if they were made before."""
    runtime = await build_runtime(config)
    try:
        async with runtime.store.transaction() as tx:
            if await tx.tenant.get(BOOTSTRAP_KEY):
                return None
            await tx.tenant.put(BOOTSTRAP_KEY, True)
        password = secrets.token_urlsafe(18)
        user = await create_user(
            runtime,
            NewUser(
                email="admin@twofold.local",
                password=password,
                name="Administrator",
                roles=("admin",),
            ),
            actor="bootstrap",
        )
        app = await create_application(
            runtime, name="Bootstrap admin (Management API)", management=True
        )
        return {
            "admin_email": user.email,
            "admin_password": password,
            "admin_user_id": user.id,
            "management_client_id": app.application.client_id,
            "management_client_secret": app.client_secret or "",
        }
    finally:
        await close_runtime(runtime)
