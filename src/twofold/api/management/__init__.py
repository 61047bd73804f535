"""The Management API subset (`/api/v2`), reached with client_credentials tokens."""

from fastapi import APIRouter

from twofold.api.management import (
    authentication_methods,
    clients,
    guardian,
    logs,
    policy_rules,
    push_pause,
    user_blocks,
    users,
)

router = APIRouter(prefix="/api/v2", tags=["Management API"])
for module in (
    users,
    authentication_methods,
    user_blocks,
    push_pause,
    guardian,
    policy_rules,
    logs,
    clients,
):
    router.include_router(module.router)
