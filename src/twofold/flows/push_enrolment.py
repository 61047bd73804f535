"""Enrolling a push device (decisions/010): `/mfa/associate` with `oob_channels:["auth0"]`
creates the pending authenticator and a single-use ticket; the device registers itself with
`POST /api/device/enroll` and the ticket, which activates it; the client that associated then
polls the `mfa-oob` grant with the `oob_code` (flows/push_poll.py reads `enrolment_status`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.channels.push import PushAddress, PushProvider
from twofold.domain import Authenticator, User
from twofold.errors import AccessDeniedError, InvalidRequestError, InvalidTokenError, NotFoundError
from twofold.factors.otp import TotpParams, encode_secret
from twofold.factors.push.device import DeviceKey, barcode_uri, parse_device_key
from twofold.factors.push.state import ID_KIND, PUSH_CHANNEL, DeviceFacts, DeviceSecret
from twofold.flows.attempts import active_recovery_code, factor_context, on_authenticator
from twofold.flows.enrolment import check_first_enrolment, issue_recovery_code
from twofold.flows.mfa_state import MfaCaller, resolve_bearer
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import seal, unseal
from twofold.flows.tenant import enabled_factors
from twofold.security import tokens
from twofold.store.repos.push_enrolments import PushEnrolment
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType

FACTOR_NAME = "push-notification"
TICKET_LIFETIME = dt.timedelta(minutes=5)
"""Auth0's QR code lifetime: long enough to find the phone, short enough to go stale."""
MAX_NAME = 100
MAX_IDENTIFIER = 200
MAX_PUSH_TOKEN = 4096
"""A Web Push subscription (endpoint and keys, as JSON) is the longest kind of token."""
TICKET_HEADER = re.compile(r'Ticket id="([A-Za-z0-9_-]{43})"')


class TicketError(InvalidTokenError):
    """The enrolment ticket is missing, unknown, spent or expired (401)."""


@dataclass(frozen=True, slots=True)
class DeviceEnrolment:
    """`POST /api/device/enroll`'s body, as raw JSON values (checked by `enrol_device`)."""

    identifier: object
    name: object
    public_key: object
    push: object


@dataclass(frozen=True, slots=True)
class EnrolmentPoll:
    """What polling the `mfa-oob` grant with an enrolment's `oob_code` needs to know."""

    enrolment: PushEnrolment
    used: bool
    """The device registered: the authenticator is active (if it still exists)."""
    expired: bool
    """The ticket expired unused: the enrolment can no longer complete."""
    authenticator: Authenticator | None
    transaction_id: str | None
    """The `mfa_token`'s transaction the enrolment was started with (None: access token)."""


async def require_push_enabled(tx: Tx) -> None:
    if not (await enabled_factors(tx)).get(FACTOR_NAME, False):
        raise AccessDeniedError(f"The {FACTOR_NAME} factor is disabled for this tenant.")


def accepted_providers(rt: Runtime) -> frozenset[PushProvider]:
    """Providers the server can deliver to: the stream (SSE) always, others once a sender
    for them is configured (channels/push's `build_push_senders`)."""
    return frozenset({PushProvider.STREAM, *rt.push_senders})


async def associate_push(rt: Runtime, bearer: str | None, info: RequestInfo) -> dict[str, Any]:
    """`/mfa/associate` for a push device: Auth0's shape plus the enrolment's `barcode_uri`.

    Refused when the factor is off (403); with an `mfa_token`, when the user already has a
    factor its policy accepts or the policy refuses `oob` (403), as every first enrolment.
    """
    async with rt.store.transaction() as tx:
        caller = await resolve_bearer(rt, tx, bearer)
        caller.require("enroll")
        await require_push_enabled(tx)
        user, items = await tx.users.with_authenticators(caller.user_id)
        if user is None:
            raise NotFoundError("The user no longer exists.")
        check_first_enrolment(caller.transaction, FactorType.OOB, items)
        authenticator_id, body = await _begin(rt, tx, user, caller, info)
        if active_recovery_code(items) is None:
            # Shown now, as for every first enrolment; active once the device registers.
            body["recovery_codes"] = [await issue_recovery_code(rt, tx, user.id, active=False)]
    body["id"] = authenticator_id
    return body


async def _begin(
    rt: Runtime, tx: Tx, user: User, caller: MfaCaller, info: RequestInfo
) -> tuple[AuthenticatorId, dict[str, Any]]:
    transaction_id = caller.transaction.id if caller.transaction else None
    return await begin_push_enrolment(
        rt, tx, user, info, client_id=caller.client_id, transaction_id=transaction_id
    )


async def begin_push_enrolment(
    rt: Runtime,
    tx: Tx,
    user: User,
    info: RequestInfo,
    *,
    client_id: str | None,
    transaction_id: str | None,
) -> tuple[AuthenticatorId, dict[str, Any]]:
    """The pending authenticator (seed sealed, no address yet) and its ticket, stored hashed;
    `transaction_id` is what the `oob_code` is good with (an `mfa_token`'s transaction, or a
    hosted page's binding). The caller has checked the factor is on and may be enrolled."""
    now = rt.clock.now()
    ctx = factor_context(rt, user)
    seed = (await rt.factors[FactorType.OTP].begin_enrolment(ctx)).state
    await tx.authenticators.delete_for_user(
        user.id, types=(FactorType.OOB,), status=AuthenticatorStatus.PENDING
    )
    authenticator_id = AuthenticatorId(tokens.new_authenticator_id(ID_KIND))
    secret, key_id = seal(rt, authenticator_id, DeviceSecret(seed=seed.secret).to_bytes())
    pending = Authenticator(
        id=authenticator_id,
        user_id=user.id,
        type=FactorType.OOB,
        status=AuthenticatorStatus.PENDING,
        name=None,
        created_at=now,
        secret=secret,
        params=dict(seed.params),
        oob_channel=PUSH_CHANNEL,
    )
    await tx.authenticators.add(pending, key_id=key_id)
    ticket, oob_code = tokens.new_token(), tokens.new_token()
    await tx.push_enrolments.add(
        PushEnrolment(
            ticket_hash=tokens.token_hash(ticket),
            oob_code_hash=tokens.token_hash(oob_code),
            authenticator_id=authenticator_id,
            user_id=user.id,
            transaction_id=transaction_id,
            client_id=client_id or None,
            created_at=now,
            expires_at=now + TICKET_LIFETIME,
        )
    )
    tx.record(on_authenticator(events.EnrolmentStarted, pending, client_id=client_id, info=info))
    uri = barcode_uri(
        encode_secret(seed.secret),
        issuer=ctx.tenant_name,
        account=user.email,
        params=TotpParams.from_json(seed.params),
        enrollment_tx_id=ticket,
        base_url=rt.settings.issuer,
    )
    return authenticator_id, {
        "authenticator_type": "oob",
        "oob_channel": PUSH_CHANNEL,
        "oob_code": oob_code,
        "barcode_uri": uri,
    }


def ticket_of(authorization: str | None) -> str:
    """The ticket in `Authorization: Ticket id="..."` (Guardian's scheme)."""
    match = TICKET_HEADER.fullmatch((authorization or "").strip())
    if match is None:
        raise TicketError('Missing or malformed Authorization: Ticket id="..." header.')
    return match.group(1)


def text_field(value: object, name: str, *, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} must be a non-empty string.")
    if len(value) > limit:
        raise InvalidRequestError(f"{name} must be at most {limit} characters.")
    if not value.isprintable():  # control characters, NUL, lone surrogates: unstorable
        raise InvalidRequestError(f"{name} must be printable text.")
    return value.strip()


def parse_push(rt: Runtime, raw: object) -> PushAddress:
    """`{provider, token}`: a provider this server can send to, and a token for it (the
    stream needs none: the device id addresses it)."""
    if not isinstance(raw, Mapping):
        raise InvalidRequestError("push must be an object with provider and token.")
    provider = raw.get("provider")
    accepted = accepted_providers(rt)
    if provider not in {p.value for p in accepted}:
        names = ", ".join(sorted(p.value for p in accepted))
        raise InvalidRequestError(f"push.provider must be one of: {names}.")
    token = raw.get("token", "")
    if not isinstance(token, str) or len(token) > MAX_PUSH_TOKEN:
        raise InvalidRequestError(f"push.token must be a string of at most {MAX_PUSH_TOKEN}.")
    if not (token.isascii() and token.isprintable()):
        raise InvalidRequestError("push.token must be printable ASCII.")
    if provider != PushProvider.STREAM and not token.strip():
        raise InvalidRequestError("push.token is required for this provider.")
    return PushAddress(PushProvider(str(provider)), token.strip())


@dataclass(frozen=True, slots=True)
class _Checked:
    identifier: str
    name: str
    key: DeviceKey
    address: PushAddress


def _check(rt: Runtime, request: DeviceEnrolment) -> _Checked:
    return _Checked(
        identifier=text_field(request.identifier, "identifier", limit=MAX_IDENTIFIER),
        name=text_field(request.name, "name", limit=MAX_NAME),
        key=parse_device_key(request.public_key),
        address=parse_push(rt, request.push),
    )


async def _spend(rt: Runtime, tx: Tx, ticket: str) -> PushEnrolment:
    enrolment = await tx.push_enrolments.by_ticket(tokens.token_hash(ticket))
    if enrolment is None:
        raise TicketError("The enrolment ticket is invalid.")
    if enrolment.used_at is not None:
        raise TicketError("The enrolment ticket has already been used.")
    now = rt.clock.now()
    if not await tx.push_enrolments.spend(enrolment.ticket_hash, now=now):
        raise TicketError("The enrolment ticket has expired.")
    return enrolment


async def enrol_device(
    rt: Runtime, authorization: str | None, request: DeviceEnrolment, info: RequestInfo
) -> dict[str, Any]:
    """Register the device that scanned the ticket: every field is checked before the ticket
    is spent (a typo does not burn it); the authenticator becomes active, with its pending
    recovery code, in the same transaction that spends the ticket."""
    ticket = ticket_of(authorization)
    checked = _check(rt, request)
    async with rt.store.transaction() as tx:
        enrolment = await _spend(rt, tx, ticket)
        user, items = await tx.users.with_authenticators(enrolment.user_id)
        pending = next((a for a in items if a.id == enrolment.authenticator_id), None)
        if user is None or pending is None or pending.secret is None:
            raise TicketError("The enrolment was cancelled.")
        seed = DeviceSecret.from_bytes(unseal(rt, pending.id, pending.secret)).seed
        secret, key_id = seal(
            rt, pending.id, DeviceSecret(seed=seed, address=checked.address).to_bytes()
        )
        totp = TotpParams.from_json(pending.params)
        facts = DeviceFacts(
            key=checked.key,
            identifier=checked.identifier,
            provider=checked.address.provider,
            totp=totp,
        )
        now = rt.clock.now()
        if not await tx.push_devices.activate(
            pending.id,
            name=checked.name,
            params=facts.to_json(),
            secret=secret,
            key_id=key_id,
            now=now,
        ):
            raise TicketError("The enrolment was cancelled.")
        for item in items:
            if item.type == FactorType.RECOVERY_CODE and item.status == AuthenticatorStatus.PENDING:
                await tx.authenticators.activate(item.id, now=now)
        tx.record(
            on_authenticator(
                events.EnrolmentCompleted, pending, client_id=enrolment.client_id, info=info
            )
        )
    return {
        "device_id": pending.id,
        "issuer": rt.settings.tenant_name,
        "user": {"id": user.id, "email": user.email},
        "totp": {"secret": encode_secret(seed), **totp.to_json()},
    }


async def enrolment_status(rt: Runtime, tx: Tx, oob_code_hash: str) -> EnrolmentPoll | None:
    """The enrolment an `oob_code` names, None when it names none (for flows/push_poll.py)."""
    enrolment = await tx.push_enrolments.by_oob_code(oob_code_hash)
    if enrolment is None:
        return None
    authenticator = await tx.authenticators.get(
        enrolment.authenticator_id, user_id=enrolment.user_id
    )
    used = enrolment.used_at is not None
    return EnrolmentPoll(
        enrolment=enrolment,
        used=used,
        expired=not used and rt.clock.now() >= enrolment.expires_at,
        authenticator=authenticator,
        transaction_id=enrolment.transaction_id,
    )
