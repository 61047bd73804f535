"""What a device may do about itself (`/api/device/me`): see what the server knows, change
its name or push token (tokens rotate on phones), or unenrol."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator
from twofold.errors import InvalidRequestError
from twofold.factors.destinations import mask_email
from twofold.factors.push.state import DeviceFacts, DeviceSecret
from twofold.flows.authenticators import remove
from twofold.flows.push_enrolment import MAX_NAME, parse_push, text_field
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal, unseal
from twofold.store.uow import Tx


@dataclass(frozen=True, slots=True)
class DeviceChanges:
    """`PATCH /api/device/me`'s body as raw JSON values; absent members are None."""

    name: object = None
    push: object = None


async def _profile(rt: Runtime, tx: Tx, device: Authenticator) -> dict[str, Any]:
    user = await tx.users.get(device.user_id)
    facts = DeviceFacts.from_json(device.params)
    return {
        "device_id": device.id,
        "name": device.name,
        "issuer": rt.settings.tenant_name,
        "user": {"email": mask_email(user.email) if user else None},
        "provider": facts.provider.value,
        "unreachable": facts.unreachable,
    }


async def device_profile(rt: Runtime, device: Authenticator) -> dict[str, Any]:
    """What the server knows about the device; the email is masked (a lost phone should
    not tell its finder whose it was)."""
    async with rt.store.read() as tx:
        return await _profile(rt, tx, device)


async def update_device(
    rt: Runtime, device: Authenticator, changes: DeviceChanges, info: RequestInfo
) -> dict[str, Any]:
    """Rename the device and/or give it a new push address (sealed again; a new token also
    clears `unreachable`, since the old one is what the provider refused)."""
    if changes.name is None and changes.push is None:
        raise InvalidRequestError("Nothing to change: send name and/or push.")
    name = device.name
    if changes.name is not None:
        name = text_field(changes.name, "name", limit=MAX_NAME)
    facts = DeviceFacts.from_json(device.params)
    secret: bytes | None = None
    key_id: str | None = None
    if changes.push is not None and device.secret is not None:
        address = parse_push(rt, changes.push)
        stored = DeviceSecret.from_bytes(unseal(rt, device.id, device.secret))
        sealed = DeviceSecret(seed=stored.seed, address=address).to_bytes()
        secret, key_id = seal(rt, device.id, sealed)
        facts = dataclasses.replace(facts, provider=address.provider, unreachable=False)
    changed = tuple(
        label
        for label, value in (("name", changes.name), ("push", changes.push))
        if value is not None
    )
    async with rt.store.transaction() as tx:
        params = {**device.params, **facts.to_json()}
        await tx.push_devices.update(
            device.id, name=name, params=params, secret=secret, key_id=key_id
        )
        tx.record(
            events.PushDeviceUpdated(
                user_id=device.user_id,
                client_id=None,
                ip=info.ip,
                user_agent=info.user_agent,
                authenticator_id=device.id,
                changed=changed,
            ).entry()
        )
        updated = dataclasses.replace(device, name=name, params=params)
        return await _profile(rt, tx, updated)


async def unenrol_device(rt: Runtime, device: Authenticator, info: RequestInfo) -> None:
    """The device removes itself, audited as the user's own unenrolment (`gd_unenroll`)."""
    async with rt.store.transaction() as tx:
        await remove(tx, device, actor=device.user_id, client_id=None, info=info)
