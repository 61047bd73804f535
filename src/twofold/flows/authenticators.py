"""`/mfa/authenticators`: a user lists and removes their own authenticators (the removal is
shared with My MFA settings)."""

from __future__ import annotations

from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator
from twofold.errors import NotFoundError
from twofold.flows.mfa_state import MfaCaller
from twofold.flows.runtime import RequestInfo
from twofold.flows.webauthn_state import WEBAUTHN_TYPES, credential_of
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus


def describe(item: Authenticator) -> dict[str, Any]:
    """Auth0's shape; unconfirmed enrolments show `active: false`. WebAuthn ones add, as
    Twofold extras, the model (`aaguid`), whether the credential is synced now (`backed_up`)
    and what kind it is (`credential_kind`)."""
    body: dict[str, Any] = {
        "id": item.id,
        "authenticator_type": item.type.value,
        "active": item.status == AuthenticatorStatus.ACTIVE,
    }
    if item.oob_channel:
        body["oob_channel"] = item.oob_channel
    if item.name:
        body["name"] = item.name
    body["created_at"] = item.created_at.isoformat().replace("+00:00", "Z")
    if item.last_used_at:
        body["last_auth"] = item.last_used_at.isoformat().replace("+00:00", "Z")
    if item.type in WEBAUTHN_TYPES:
        credential = credential_of(item)
        body |= {
            "aaguid": credential.aaguid,
            "backed_up": credential.backed_up,
            "credential_kind": credential.kind,
        }
    return body


async def list_authenticators(tx: Tx, caller: MfaCaller) -> list[dict[str, Any]]:
    caller.require("read:authenticators")
    return [describe(item) for item in await tx.authenticators.for_user(caller.user_id)]


async def delete_authenticator(
    tx: Tx, caller: MfaCaller, authenticator_id: str, info: RequestInfo
) -> None:
    caller.require("remove:authenticators", mfa_token_allowed=False)
    item = await tx.authenticators.get(authenticator_id, user_id=caller.user_id)
    if item is None:
        raise NotFoundError("Authenticator not found.")
    await remove(tx, item, actor=caller.user_id, client_id=caller.client_id, info=info)


async def remove(
    tx: Tx, item: Authenticator, *, actor: str, client_id: str | None, info: RequestInfo
) -> None:
    """Delete one authenticator and audit it as `gd_unenroll`: the MFA API and My MFA settings
    both remove through here, so the two leave the same trail."""
    if not await tx.authenticators.delete(item.id, user_id=item.user_id):
        raise NotFoundError("Authenticator not found.")
    tx.record(
        events.Unenrolled(
            user_id=item.user_id,
            client_id=client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            authenticator_id=item.id,
            factor=item.type.value,
            actor=actor,
        ).entry()
    )
