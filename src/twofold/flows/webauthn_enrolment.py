"""Enrolling a security key (`webauthn-roaming`) or this device's biometrics
(`webauthn-platform`) in one WebAuthn registration ceremony (ADR 008).

The cores take a user id and a `Binding`, not a bearer, so the MFA API (an `mfa_token` or an
`enroll` access token) and the hosted pages (a browser session) share them. The verified
registration response is the proof of possession: the authenticator is created active, and
there is no pending row to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from twofold.audit import events
from twofold.domain import Authenticator, JsonObject, User
from twofold.errors import (
    AccessDeniedError,
    ConflictError,
    InvalidGrantError,
    InvalidRequestError,
    NotFoundError,
    WebauthnRegistrationError,
)
from twofold.factors.webauthn.ceremony import amr, registration_options, verify_registration
from twofold.factors.webauthn.credential import credential_id_hash
from twofold.flows.attempts import active_recovery_code, on_authenticator
from twofold.flows.authenticators import describe
from twofold.flows.enrolment import check_first_enrolment, issue_recovery_code
from twofold.flows.mfa_state import MfaCaller, resolve_bearer
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_types
from twofold.flows.webauthn_limits import admit_challenge, refuse
from twofold.flows.webauthn_settings import factor_settings, for_factor
from twofold.flows.webauthn_state import (
    INVALID_SESSION,
    WEBAUTHN_TYPES,
    Binding,
    Ceremony,
    Refusal,
    Taken,
    credentials,
    store_ceremony,
    take_ceremony,
    with_factor,
)
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorId, AuthenticatorStatus, FactorType

MAX_NAME = 200
_NAME_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def check_name(name: str | None) -> str | None:
    """What the user calls the key ("Work YubiKey"): 1 to 200 printable characters, or None."""
    if name is None:
        return None
    name = name.strip()
    if not name or len(name) > MAX_NAME or _NAME_FORBIDDEN.search(name):
        raise InvalidRequestError(f"name must be 1 to {MAX_NAME} printable characters.")
    return name


def webauthn_factor(authenticator_types: tuple[str, ...]) -> FactorType | None:
    """The WebAuthn type `/mfa/associate` asks for, None for another factor; several at once
    (or one mixed with otp/oob) is refused."""
    asked = [kind for kind in authenticator_types if kind in {t.value for t in WEBAUTHN_TYPES}]
    if not asked:
        return None
    if len(authenticator_types) != 1:
        raise InvalidRequestError(
            'authenticator_types must be ["webauthn-roaming"] or ["webauthn-platform"] alone.'
        )
    return FactorType(asked[0])


@dataclass(frozen=True, slots=True)
class StartedRegistration:
    ceremony: Ceremony
    recovery_code: str | None
    """Issued (unconfirmed) when asked for and the user has none: shown now, active once the
    registration completes, as `/mfa/associate` does for otp."""


async def _enrollable(rt: Runtime, user_id: str, factor: FactorType) -> tuple[User, list[Any]]:
    async with rt.store.read() as tx:
        if factor not in await enabled_types(tx):
            raise AccessDeniedError(f"The {factor.value} factor is disabled for this tenant.")
        user, items = await tx.users.with_authenticators(user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    return user, items


async def start_registration(
    rt: Runtime,
    user_id: str,
    factor: FactorType,
    info: RequestInfo,
    *,
    binding: Binding,
    name: str | None = None,
    client_id: str | None = None,
    with_recovery_code: bool = False,
) -> StartedRegistration:
    """Creation options for a new credential of `factor`, the user's existing ones excluded
    (one authenticator is not registered twice), and the ceremony that will check the answer.
    Charged to the user's challenge bucket."""
    name = check_name(name)
    user, items = await _enrollable(rt, user_id, factor)
    await admit_challenge(rt, user.id, info, client_id=client_id)
    code = None
    async with rt.store.transaction() as tx:
        chosen = await factor_settings(rt, tx, factor)
        options = registration_options(
            rt.relying_party,
            for_factor(rt.settings.webauthn, factor, chosen),
            factor,
            # The user handle is the opaque user id (no PII): a passkey's userHandle names it.
            user_handle=user.id.encode(),
            user_name=user.email,
            display_name=user.name or user.email,
            exclude=[credential for _, credential in credentials(items)],
        )
        ceremony = await store_ceremony(
            rt,
            tx,
            options,
            purpose="register",
            binding=binding,
            user_id=user.id,
            user_verification=chosen.user_verification,
            factor=factor,
            name=name,
        )
        if with_recovery_code and active_recovery_code(items) is None:
            code = await issue_recovery_code(rt, tx, user.id, active=False)
        tx.record(
            events.WebauthnEnrolmentStarted(
                user_id=user.id,
                client_id=client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                factor=factor.value,
            ).entry()
        )
    return StartedRegistration(ceremony=ceremony, recovery_code=code)


@dataclass(frozen=True, slots=True)
class Registered:
    """A new active authenticator and what its registration proved (RFC 8176 `amr`)."""

    authenticator: Authenticator
    amr: tuple[str, ...]
    recovery_code: str | None = None
    """A first factor's recovery code, when it was issued only now (the hosted pages)."""


async def complete_registration(
    rt: Runtime,
    tx: Tx,
    taken: Taken,
    user: User,
    response: JsonObject,
    *,
    client_id: str | None,
    info: RequestInfo,
) -> Registered | Refusal:
    """Verify a registration response against its (already deleted) ceremony and store the
    credential; a refusal is returned, for the caller to commit and then raise."""
    ceremony = taken.ceremony
    if ceremony.user_id != user.id:
        return Refusal(InvalidGrantError(INVALID_SESSION), "unknown_session", counts=False)
    if taken.expired is not None:
        return Refusal(taken.expired, "expired", counts=False)
    factor = with_factor(ceremony)
    if factor not in await enabled_types(tx):
        disabled = AccessDeniedError(f"The {factor.value} factor is disabled for this tenant.")
        return Refusal(disabled, "factor_disabled", counts=False)
    try:
        credential = verify_registration(
            rt.relying_party,
            for_factor(rt.settings.webauthn, factor, await factor_settings(rt, tx, factor)),
            factor,
            response,
            challenge=taken.challenge,
            user_verification=ceremony.user_verification,
        )
    except WebauthnRegistrationError as exc:
        return Refusal(exc, "invalid_response")
    now = rt.clock.now()
    authenticator = Authenticator(
        id=AuthenticatorId(tokens.new_authenticator_id(factor.value)),
        user_id=user.id,
        type=factor,
        status=AuthenticatorStatus.ACTIVE,
        name=ceremony.name,
        created_at=now,
        params=credential.to_params(),
        last_step=credential.sign_count,
        confirmed_at=now,
    )
    try:
        await tx.authenticators.add(
            authenticator,
            key_id=None,
            credential_id_hash=credential_id_hash(credential.credential_id),
        )
    except ConflictError:
        twice = WebauthnRegistrationError("This security key or device is already registered.")
        return Refusal(twice, "already_registered")
    tx.record(
        on_authenticator(events.EnrolmentCompleted, authenticator, client_id=client_id, info=info)
    )
    proved = amr(backup_eligible=credential.backup_eligible, user_verified=credential.user_verified)
    return Registered(authenticator=authenticator, amr=tuple(value.value for value in proved))


def record_refusal(
    tx: Tx,
    refusal: Refusal,
    *,
    user_id: str,
    factor: str | None,
    client_id: str | None,
    info: RequestInfo,
) -> None:
    """`gd_webauthn_enrollment_failed`: here and in the WebAuthn grant's registrations alike."""
    tx.record(
        events.WebauthnEnrolmentFailed(
            user_id=user_id,
            client_id=client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            factor=factor,
            reason=refusal.reason,
        ).entry()
    )


async def finish_registration(
    rt: Runtime,
    user_id: str,
    auth_session: str,
    response: JsonObject,
    info: RequestInfo,
    *,
    binding: Binding,
    client_id: str | None = None,
) -> Registered:
    """Complete a registration outside an MFA transaction (an `enroll` access token, the
    hosted pages): the recovery code shown at the start becomes active, or a user who had
    none gets one now."""
    async with rt.store.transaction() as tx:
        user, items = await tx.users.with_authenticators(user_id)
        if user is None:
            raise NotFoundError("The user no longer exists.")
        taken = await take_ceremony(rt, tx, auth_session, binding=binding, purposes=("register",))
        outcome = await complete_registration(
            rt, tx, taken, user, response, client_id=client_id, info=info
        )
        if isinstance(outcome, Refusal):
            record_refusal(
                tx,
                outcome,
                user_id=user.id,
                factor=taken.ceremony.factor,
                client_id=client_id,
                info=info,
            )
        else:
            outcome = await _with_recovery_code(rt, tx, outcome, items)
    if isinstance(outcome, Refusal):
        await refuse(rt, outcome, user_id, info)
    return outcome


async def _with_recovery_code(
    rt: Runtime, tx: Tx, registered: Registered, items: list[Authenticator]
) -> Registered:
    pending = [
        a
        for a in items
        if a.type == FactorType.RECOVERY_CODE and a.status == AuthenticatorStatus.PENDING
    ]
    for item in pending:
        await tx.authenticators.activate(item.id, now=rt.clock.now())
    if pending or active_recovery_code(items) is not None:
        return registered
    code = await issue_recovery_code(rt, tx, registered.authenticator.user_id, active=True)
    return Registered(registered.authenticator, registered.amr, recovery_code=code)


async def associate_webauthn(
    rt: Runtime,
    bearer: str | None,
    factor: FactorType,
    info: RequestInfo,
    *,
    name: str | None,
) -> dict[str, Any]:
    """`/mfa/associate` for a WebAuthn type: creation options and the `auth_session` to send
    back with the browser's response (to `/oauth/token` with an `mfa_token`, or to
    `/mfa/associate` with an `enroll` access token)."""
    caller = await _caller(rt, bearer, factor)
    binding = (
        Binding.mfa(caller.transaction.id)
        if caller.transaction is not None
        else Binding.api(caller.client_id, caller.user_id)
    )
    started = await start_registration(
        rt,
        caller.user_id,
        factor,
        info,
        binding=binding,
        name=name,
        client_id=caller.client_id,
        with_recovery_code=True,
    )
    body: dict[str, Any] = {"authenticator_type": factor.value, **started.ceremony.as_json()}
    if started.recovery_code is not None:
        body["recovery_codes"] = [started.recovery_code]
    return body


async def _caller(rt: Runtime, bearer: str | None, factor: FactorType) -> MfaCaller:
    """An `mfa_token` enrols only a user's first factor, of a type its policy accepts
    (`check_first_enrolment`); an access token needs `enroll`."""
    async with rt.store.read() as tx:
        caller = await resolve_bearer(rt, tx, bearer)
        caller.require("enroll")
        items = await tx.authenticators.for_user(caller.user_id)
    check_first_enrolment(caller.transaction, factor, items)
    return caller


async def confirm_webauthn(
    rt: Runtime, bearer: str | None, auth_session: str, response: JsonObject, info: RequestInfo
) -> dict[str, Any]:
    """`/mfa/associate` with `auth_session` and `authn_response`: an `enroll` access token
    completes the registration it started (an `mfa_token` completes it at `/oauth/token`,
    which also answers the MFA step). Returns the new authenticator, as listed."""
    async with rt.store.read() as tx:
        caller = await resolve_bearer(rt, tx, bearer)
    caller.require("enroll", mfa_token_allowed=False)
    registered = await finish_registration(
        rt,
        caller.user_id,
        auth_session,
        response,
        info,
        binding=Binding.api(caller.client_id, caller.user_id),
        client_id=caller.client_id,
    )
    return describe(registered.authenticator)
