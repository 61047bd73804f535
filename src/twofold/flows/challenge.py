"""`/mfa/challenge`: ask the user for a factor they have. It never enrols."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application, Authenticator, JsonObject, MfaTransaction
from twofold.errors import (
    AssociationRequiredError,
    InvalidGrantError,
    InvalidRequestError,
    UnsupportedChallengeTypeError,
)
from twofold.factors.push.state import PUSH_CHANNEL, is_push
from twofold.flows.clients import authenticate_client, check_client
from twofold.flows.mfa_state import check_transaction, open_transaction
from twofold.flows.oob_challenge import reaches, requested_channel, send_challenge
from twofold.flows.policy_check import allowed
from twofold.flows.push_challenge import send_push_challenge
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_channels, enabled_types
from twofold.flows.webauthn_challenge import issue_assertion, start_assertion, usable_credentials
from twofold.flows.webauthn_state import WEBAUTHN_TYPES, Binding
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType

CHALLENGE_TYPES = {
    "otp": (FactorType.OTP,),
    "oob": (FactorType.OOB,),
    "webauthn": WEBAUTHN_TYPES,
}
"""Auth0 challenge types and the factors that answer them (`oob`: SMS, voice, email and push;
`webauthn`, Twofold's: security keys and device biometrics)."""


@dataclass(frozen=True, slots=True)
class ChallengeRequest:
    client_id: str | None
    client_secret: str | None
    mfa_token: str | None
    challenge_type: str | None = None
    authenticator_id: str | None = None
    oob_channel: str | None = None


async def open_for_client(
    rt: Runtime,
    tx: Tx,
    *,
    client_id: str | None,
    client_secret: str | None,
    mfa_token: str | None,
    grant_type: str | None = None,
) -> tuple[Application, MfaTransaction]:
    """Authenticate the client and open its `mfa_token`; a token is bound to its client.

    With both present and well formed (every real request), one query reads the client and
    the token; the checks run in the same order as the two-step path, so the errors (and
    what they reveal) are the same: the client is authenticated before the token is looked at.
    """
    if client_id and mfa_token and tokens.is_well_formed(mfa_token):
        found, stored = await tx.transactions.with_client(
            tokens.token_hash(mfa_token), client_id=client_id
        )
        application = check_client(found, client_secret=client_secret, grant_type=grant_type)
        transaction = check_transaction(rt, stored)
    else:
        application = await authenticate_client(
            tx, client_id=client_id, client_secret=client_secret, grant_type=grant_type
        )
        transaction = await open_transaction(rt, tx, mfa_token)
    if transaction.client_id != application.client_id:
        raise InvalidGrantError("The mfa_token was issued to another client.")
    return application, transaction


def _requested_types(challenge_type: str | None) -> list[str]:
    requested = (challenge_type or "otp oob").split()
    unknown = [item for item in requested if item not in CHALLENGE_TYPES]
    if unknown or not requested:
        raise UnsupportedChallengeTypeError(
            "challenge_type must be a space-separated list of otp, oob and webauthn."
        )
    return requested


def _usable(
    items: list[Authenticator],
    enabled: frozenset[str],
    channel: str | None,
    types: Collection[FactorType] = (),
) -> list[Authenticator]:
    """Active authenticators that can be challenged: OTP, out-of-band ones whose channel the
    tenant still has on and that the requested `oob_channel` can reach (`auth0`: push
    devices only), and WebAuthn ones whose type (in `types`) the tenant has on."""
    return [
        a
        for a in items
        if a.status == AuthenticatorStatus.ACTIVE
        and a.type != FactorType.RECOVERY_CODE
        and (a.type != FactorType.OOB or (a.oob_channel in enabled and _reaches(a, channel)))
        and (a.type not in WEBAUTHN_TYPES or a.type in types)
    ]


def _reaches(authenticator: Authenticator, channel: str | None) -> bool:
    """`oob_channel: auth0` asks for a push device; any other asks for a code channel."""
    if channel == PUSH_CHANNEL:
        return is_push(authenticator)
    return reaches(authenticator, requested_channel(channel))


async def _open(
    rt: Runtime, tx: Tx, request: ChallengeRequest
) -> tuple[Application, MfaTransaction, list[Authenticator]]:
    """The client, its `mfa_token`'s transaction and the user's authenticators: what every
    challenge reads first, whichever factor it goes on to ask for."""
    application, transaction = await open_for_client(
        rt,
        tx,
        client_id=request.client_id,
        client_secret=request.client_secret,
        mfa_token=request.mfa_token,
    )
    items = await tx.authenticators.for_user(transaction.user_id)
    # A policy that accepts only some factor types hides the others from this `mfa_token`.
    return application, transaction, [a for a in items if allowed(transaction.policy, a.type)]


def _require_enrolled(items: list[Authenticator]) -> None:
    """`association_required` for a user with no active factor (a recovery code alone cannot
    be challenged): the client must send them to `/mfa/associate` first."""
    if not any(
        a.status == AuthenticatorStatus.ACTIVE and a.type != FactorType.RECOVERY_CODE for a in items
    ):
        raise AssociationRequiredError


async def challenge(rt: Runtime, request: ChallengeRequest, info: RequestInfo) -> JsonObject:
    requested = _requested_types(request.challenge_type)
    channel = (
        None if request.oob_channel == PUSH_CHANNEL else requested_channel(request.oob_channel)
    )
    if requested == ["webauthn"]:
        return await _webauthn_only(rt, request, info)
    async with rt.store.transaction() as tx:
        application, transaction, items = await _open(rt, tx, request)
        _require_enrolled(items)
        types = await enabled_types(tx) if any(a.type in WEBAUTHN_TYPES for a in items) else ()
        active = _usable(items, await enabled_channels(tx), request.oob_channel, types)
        if request.authenticator_id:
            active = [a for a in active if a.id == request.authenticator_id]
            if not active:
                raise InvalidRequestError(
                    "authenticator_id does not name one of the user's authenticators."
                )
        answerable = {kind for kind in requested for _ in CHALLENGE_TYPES[kind]}
        chosen = next(
            (a for a in active for kind in answerable if a.type in CHALLENGE_TYPES[kind]), None
        )
        if chosen is None:
            raise UnsupportedChallengeTypeError
        if chosen.type not in WEBAUTHN_TYPES:  # a WebAuthn ceremony audits its own start
            tx.record(
                events.MfaStarted(
                    user_id=transaction.user_id,
                    client_id=application.client_id,
                    ip=info.ip,
                    user_agent=info.user_agent,
                    authenticator_id=chosen.id,
                    factor=chosen.type.value,
                ).entry()
            )
    if is_push(chosen):
        return await send_push_challenge(
            rt,
            chosen,
            info,
            application=application.name,
            client_id=application.client_id,
            transaction_id=transaction.id,
        )
    if chosen.type == FactorType.OOB:
        return await send_challenge(rt, transaction, chosen, channel, info)
    if chosen.type in WEBAUTHN_TYPES:
        return await _webauthn(rt, application, transaction, request, info)
    return {"challenge_type": "otp"}


async def _webauthn(
    rt: Runtime,
    application: Application,
    transaction: MfaTransaction,
    request: ChallengeRequest,
    info: RequestInfo,
) -> JsonObject:
    """Options for every WebAuthn credential the user has (or the one named), bound to the
    `mfa_token`'s transaction: its `auth_session` is good with that token only."""
    ceremony = await start_assertion(
        rt,
        transaction.user_id,
        info,
        binding=Binding.mfa(transaction.id),
        authenticator_id=request.authenticator_id,
        client_id=application.client_id,
    )
    return {"challenge_type": "webauthn", **ceremony.as_json()}


async def _webauthn_only(rt: Runtime, request: ChallengeRequest, info: RequestInfo) -> JsonObject:
    """`challenge_type: "webauthn"` alone: the client, the token, the user's credentials and
    the tenant's factors in one read; the ceremony's own transaction is the one write."""
    async with rt.store.read() as tx:
        application, transaction, items = await _open(rt, tx, request)
        enabled = await enabled_types(tx)
    _require_enrolled(items)
    ceremony = await issue_assertion(
        rt,
        transaction.user_id,
        info,
        usable_credentials(items, enabled, request.authenticator_id),
        binding=Binding.mfa(transaction.id),
        client_id=application.client_id,
        authenticator_id=request.authenticator_id,
    )
    return {"challenge_type": "webauthn", **ceremony.as_json()}
