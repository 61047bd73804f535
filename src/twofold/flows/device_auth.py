"""Device authentication: every device call after enrolment carries a short-lived ES256 JWT
signed by the device key (decisions/010). No server-issued device secret exists to leak.
"""

from __future__ import annotations

import datetime as dt
import secrets

from twofold.domain import Authenticator
from twofold.factors.push.device import (
    DeviceTokenError,
    device_audience,
    unverified_issuer,
    verify_device_token,
)
from twofold.factors.push.state import DeviceFacts
from twofold.flows.runtime import Runtime
from twofold.types import AuthenticatorStatus

PRUNE_ONE_IN = 50
"""Expired jtis are deleted on about one call in this many: cheap, and the table stays
about as large as a minute of device traffic."""


async def authenticate_device(
    rt: Runtime, bearer: str | None, *, now: dt.datetime
) -> Authenticator:
    """The active push authenticator that signed `bearer`, or a 401 saying why.

    The unverified `iss` only picks the key to check (a well-formed device id, or nothing is
    read); the signature, the claims and then the `jti` (inserted once: a second insert is a
    replay) decide. The jti is recorded only after everything else passed, so junk tokens
    cannot fill the table.
    """
    if not bearer:
        raise DeviceTokenError("Missing Authorization: Bearer device token.")
    device_id = unverified_issuer(bearer)
    async with rt.store.read() as tx:
        device = await tx.push_devices.get(device_id)
    if device is None or device.status != AuthenticatorStatus.ACTIVE:
        raise DeviceTokenError("The device is not enrolled (unknown or removed).")
    claims = verify_device_token(
        bearer,
        DeviceFacts.from_json(device.params).key,
        device_id=device.id,
        audience=device_audience(rt.settings.issuer),
        now=now,
    )
    async with rt.store.transaction() as tx:
        if not await tx.push_devices.record_jti(
            device.id, claims.jti, expires_at=claims.expires_at
        ):
            raise DeviceTokenError("The device token was already used (replayed jti).")
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            await tx.push_devices.prune_jtis(now=now)
    return device
