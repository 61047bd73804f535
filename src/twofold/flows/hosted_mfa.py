"""The MFA step of the hosted pages, transport-free: what a user may answer with or set up,
starting and confirming an enrolment, verifying a factor. My MFA settings enrols through the
same calls; out-of-band codes have theirs in hosted_oob.py.

Limits and audit are the MFA API's (flows/attempts.py): a guess costs the same at either door.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Authenticator, AuthorizationRequest, JsonObject, User
from twofold.errors import (
    InvalidOtpError,
    InvalidRecoveryCodeError,
    InvalidRequestError,
    NotFoundError,
)
from twofold.factors import pages
from twofold.factors.barcode import render_barcode
from twofold.factors.base import FactorState
from twofold.factors.push.state import is_push
from twofold.flows.attempts import (
    active_recovery_code,
    check_limits,
    count_failure,
    factor_context,
    limit_key,
    on_authenticator,
    record_wrong_code,
    recovered,
    use_recovery_code,
    verify_code,
)
from twofold.flows.enrolment import begin_enrolment, issue_recovery_code
from twofold.flows.factor_pages import EnrolChoices, challengeable, enrol_options
from twofold.flows.hosted_policy import policy_state
from twofold.flows.oob_enrolment import has_independent_factor
from twofold.flows.policy_check import allowed, check_allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sealing import unseal
from twofold.flows.tenant import enabled_channels, enabled_types
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType


@dataclass(frozen=True, slots=True)
class StartedEnrolment:
    """A pending authenticator and what the page shows to finish it."""

    authenticator_id: str
    factor_type: FactorType
    display: Mapping[str, str]
    """The factor's own: for otp `secret` (base32) and `barcode_uri` (the otpauth:// URI)."""
    qr: str | None
    """`barcode_uri` as an SVG QR code in a `data:` URI (the pages' CSP allows `data:` images)."""


@dataclass(frozen=True, slots=True)
class Passed:
    """A second factor passed: what it proves, and a recovery code to show exactly once."""

    amr: tuple[str, ...]
    recovery_code: str | None = None
    """New after a recovery code was spent (Auth0 rotates it), or with the first factor."""
    replaced: bool = False
    """The new code replaces one just spent (the old one no longer works)."""


@dataclass(frozen=True, slots=True)
class Choices:
    """What a user can answer the challenge with."""

    authenticators: tuple[Authenticator, ...]
    """Active authenticators a page can challenge (`factor_pages.challengeable`)."""
    fallbacks: tuple[FactorType, ...]
    """Fallback factors (recovery codes) the user holds an active one of."""


async def choices(rt: Runtime, user_id: str, *, policy: JsonObject | None = None) -> Choices:
    """`policy` (a sign-in's kept decision) narrows them to the factor types it accepts."""
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(user_id)
        channels = await enabled_channels(tx)
        enabled = await enabled_types(tx)
    active = [
        a for a in items if a.status == AuthenticatorStatus.ACTIVE and allowed(policy, a.type)
    ]
    held = {a.type for a in active}
    return Choices(
        authenticators=challengeable(rt, active, channels, enabled=enabled),
        fallbacks=tuple(f.type for f in pages.fallbacks(rt.factors) if f.type in held),
    )


async def enrol_choices(
    rt: Runtime, user_id: str, *, policy: JsonObject | None = None
) -> EnrolChoices:
    """What the tenant lets this user set up on the pages (email only beside a factor that
    can stand on its own, as the MFA API checks it); `policy`, a sign-in's kept decision,
    narrows it to the factor types the decision accepts."""
    async with rt.store.read() as tx:
        enabled = await enabled_types(tx)
        channels = await enabled_channels(tx)
        items = await tx.authenticators.for_user(user_id)
    options = tuple(
        option
        for option in enrol_options(rt.factors, enabled=enabled, channels=channels)
        if allowed(policy, option.factor_type)
    )
    return EnrolChoices(options=options, independent=has_independent_factor(items))


async def start_enrolment(
    rt: Runtime,
    user_id: str,
    factor_type: FactorType,
    info: RequestInfo,
    *,
    client_id: str | None = None,
    sign_in: AuthorizationRequest | None = None,
) -> StartedEnrolment:
    """A new pending authenticator, replacing an older pending one of the same type; during
    a sign-in only of a type its policy accepts."""
    check_allowed(policy_state(sign_in), factor_type)
    async with rt.store.transaction() as tx:
        enabled = await enabled_types(tx)
        if factor_type not in [f.type for f in pages.enrollable(rt.factors, enabled)]:
            raise InvalidRequestError("This factor cannot be enrolled on this tenant.")
        user, _ = await _user(tx, user_id)
        pending, enrolment = await begin_enrolment(
            rt, tx, user, factor_type, info, client_id=client_id
        )
    return _shown(pending, enrolment.display)


async def pending_enrolment(
    rt: Runtime, user_id: str, factor_type: FactorType, authenticator_id: str
) -> StartedEnrolment:
    """The same pending enrolment again (after a wrong first code): same secret, same QR."""
    async with rt.store.read() as tx:
        user, items = await _user(tx, user_id)
    pending = find_pending(items, factor_type, authenticator_id)
    state = FactorState(
        secret=unseal(rt, pending.id, pending.secret or b""),
        params=pending.params,
        last_step=pending.last_step,
    )
    display = rt.factors[factor_type].enrolment_display(factor_context(rt, user), state)
    return _shown(pending, display)


async def confirm_enrolment(  # noqa: PLR0917 -- the signature the account pages share
    rt: Runtime,
    user_id: str,
    factor_type: FactorType,
    authenticator_id: str,
    response: str,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
) -> Passed:
    """The first valid code activates the pending authenticator; a user without an active
    recovery code gets one now (the API shows it at association; here, once it counts)."""
    check_allowed(policy_state(sign_in), factor_type)
    key = limit_key(factor_type, user_id)
    await check_limits(rt, key, info)
    client_id = sign_in.client_id if sign_in else None
    passed: Passed | None = None
    async with rt.store.transaction() as tx:
        user, items = await _user(tx, user_id)
        pending = find_pending(items, factor_type, authenticator_id)
        verified = await verify_code(rt, tx, user, [pending], response)
        if verified is None:
            await record_page_failure(tx, user_id, factor_type, info, sign_in=sign_in)
        else:
            tx.record(
                on_authenticator(events.EnrolmentCompleted, pending, client_id=client_id, info=info)
            )
            has_code = active_recovery_code(items) is not None
            code = None if has_code else await issue_recovery_code(rt, tx, user_id, active=True)
            passed = Passed(amr=tuple(verified[1].amr), recovery_code=code)
    if passed is None:
        await count_failure(rt, key, info, factor=factor_type.value)
        raise InvalidOtpError
    return passed


async def verify_factor(
    rt: Runtime,
    user_id: str,
    factor_type: FactorType,
    response: str,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None = None,
    authenticator_id: str | None = None,
) -> Passed:
    """Check an answer to one of the user's active factors (`authenticator_id` narrows it to
    one authenticator). A recovery code proves no `amr` and is replaced by a new one.
    During a sign-in, a factor its policy does not accept is refused before any check."""
    check_allowed(policy_state(sign_in), factor_type)
    key = limit_key(factor_type, user_id)
    await check_limits(rt, key, info)
    client_id = sign_in.client_id if sign_in else None
    async with rt.store.transaction() as tx:
        user, items = await _user(tx, user_id)
        if factor_type == FactorType.RECOVERY_CODE:
            passed = await _recover(rt, tx, items, response, client_id=client_id, info=info)
        else:
            candidates = [
                a
                for a in items
                if (a.type == factor_type or (factor_type == FactorType.OTP and is_push(a)))
                and a.status == AuthenticatorStatus.ACTIVE
                and authenticator_id in (None, a.id)
            ]
            passed = await _verify(
                rt, tx, user, candidates, response, client_id=client_id, info=info
            )
        if passed is None:
            await record_page_failure(tx, user_id, factor_type, info, sign_in=sign_in)
    if passed is None:
        await count_failure(rt, key, info, factor=factor_type.value)
        raise (
            InvalidRecoveryCodeError if factor_type == FactorType.RECOVERY_CODE else InvalidOtpError
        )
    return passed


async def _verify(
    rt: Runtime,
    tx: Tx,
    user: User,
    candidates: Sequence[Authenticator],
    response: str,
    *,
    client_id: str | None,
    info: RequestInfo,
) -> Passed | None:
    verified = await verify_code(rt, tx, user, candidates, response)
    if verified is None:
        return None
    matched, verification = verified
    tx.record(on_authenticator(events.MfaSucceeded, matched, client_id=client_id, info=info))
    return Passed(amr=tuple(verification.amr))


async def _recover(
    rt: Runtime,
    tx: Tx,
    items: Sequence[Authenticator],
    response: str,
    *,
    client_id: str | None,
    info: RequestInfo,
) -> Passed | None:
    stored = active_recovery_code(items)
    new_code = await use_recovery_code(rt, tx, stored, response)
    if stored is None or new_code is None:
        return None
    tx.record(recovered(stored, client_id=client_id, info=info))
    return Passed(amr=(), recovery_code=new_code, replaced=True)


async def record_page_failure(
    tx: Tx,
    user_id: str,
    factor_type: FactorType,
    info: RequestInfo,
    *,
    sign_in: AuthorizationRequest | None,
) -> None:
    """Audit a wrong answer. Its `failures` count is the sign-in's, as an `mfa_token`'s is on
    the API; outside a sign-in (My MFA settings) each is counted alone."""
    failures = await tx.authorizations.add_failure(sign_in.id) if sign_in else 1
    record_wrong_code(
        tx,
        user_id=user_id,
        client_id=sign_in.client_id if sign_in else None,
        info=info,
        factor=factor_type.value,
        failures=failures,
    )


async def _user(tx: Tx, user_id: str) -> tuple[User, list[Authenticator]]:
    user, items = await tx.users.with_authenticators(user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    return user, items


def find_pending(
    items: Sequence[Authenticator], factor_type: FactorType, authenticator_id: str
) -> Authenticator:
    found = next(
        (
            a
            for a in items
            if a.id == authenticator_id
            and a.type == factor_type
            and a.status == AuthenticatorStatus.PENDING
            and a.secret is not None
        ),
        None,
    )
    if found is None:
        raise InvalidRequestError(
            "This enrolment has expired or was replaced by a newer one. Start again."
        )
    return found


def _shown(pending: Authenticator, display: Mapping[str, str]) -> StartedEnrolment:
    uri = display.get("barcode_uri")
    qr = None
    if uri:
        svg = render_barcode(uri, fmt="svg")
        qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return StartedEnrolment(
        authenticator_id=pending.id, factor_type=pending.type, display=display, qr=qr
    )
