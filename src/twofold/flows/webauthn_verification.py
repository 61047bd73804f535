"""Answering a WebAuthn ceremony with the browser's response (ADR 008): the second factor
(an assertion) and the enrolment started with an `mfa_token` (a registration), both through
`/oauth/token` with `grant_type=urn:okta:params:oauth:grant-type:webauthn`.

Order matters for single use and for the clone alarm: the ceremony row is deleted first (a
failed or replayed answer gets no second try), the signature is verified, and only then is
the sign counter compared, and written with `WHERE last_step = :old` so that two copies of a
key racing cannot both pass. A refusal still commits (the deletion, the audit event, the
`mfa_token`'s failure count) before it is raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Authenticator, JsonObject, MfaTransaction, User
from twofold.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    WebauthnAssertionError,
    WebauthnCounterRegressionError,
)
from twofold.factors.webauthn.ceremony import credential_id_of, parse_response, verify_assertion
from twofold.factors.webauthn.credential import b64url
from twofold.flows import webauthn_enrolment
from twofold.flows.attempts import on_authenticator
from twofold.flows.grants import GrantType
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_types
from twofold.flows.tokens import TokenSet
from twofold.flows.verification import (
    activate_recovery_code,
    consume,
    mint_for_step,
    open_bearer,
    record_exhaustion,
    succeed,
)
from twofold.flows.webauthn_enrolment import Registered, complete_registration
from twofold.flows.webauthn_limits import check_failures, refuse
from twofold.flows.webauthn_settings import factor_settings
from twofold.flows.webauthn_state import (
    INVALID_SESSION,
    Binding,
    Refusal,
    Taken,
    credential_of,
    is_webauthn,
    replaced_params,
    take_ceremony,
)
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus


@dataclass(frozen=True, slots=True)
class WebauthnAnswer:
    """The WebAuthn grant's parameters; without `mfa_token` it is a passkey sign-in."""

    client_id: str | None
    client_secret: str | None
    mfa_token: str | None
    auth_session: str | None
    authn_response: JsonObject | str | None
    audience: str | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class Asserted:
    """A verified assertion: the authenticator that made it and what it proved."""

    authenticator: Authenticator
    amr: tuple[str, ...]


def read_answer(grant: WebauthnAnswer) -> tuple[str, JsonObject, bytes]:
    """The handle, the response and the credential id it names, or a 400 before anything is
    read or deleted: a malformed request leaves the ceremony answerable."""
    if not grant.auth_session:
        raise InvalidRequestError("Missing required parameter: auth_session")
    if grant.authn_response is None:
        raise InvalidRequestError("Missing required parameter: authn_response")
    response = parse_response(grant.authn_response)
    return grant.auth_session, response, credential_id_of(response)


async def check_assertion(
    rt: Runtime,
    tx: Tx,
    item: Authenticator,
    response: JsonObject,
    *,
    taken: Taken,
    user_verification: str,
    client_id: str | None,
    info: RequestInfo,
) -> Asserted | Refusal:
    """Verify an assertion by one stored credential and write its counter (conditionally);
    a counter that did not grow is audited as a possible clone."""
    credential = credential_of(item)
    try:
        assertion = verify_assertion(
            rt.relying_party,
            response,
            challenge=taken.challenge,
            credential=credential,
            user_verification=user_verification,
        )
    except WebauthnCounterRegressionError as exc:
        tx.record(
            events.WebauthnPossibleClone(
                user_id=item.user_id,
                client_id=client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                authenticator_id=item.id,
                factor=item.type.value,
                stored_count=exc.stored,
                received_count=exc.received,
            ).entry()
        )
        return Refusal(exc, "counter_regression", item.id)
    except WebauthnAssertionError as exc:
        return Refusal(exc, "invalid_response", item.id)
    used = await tx.authenticators.use_counter(
        item.id,
        old=item.last_step,
        new=assertion.sign_count,
        now=rt.clock.now(),
        params=replaced_params(item, backed_up=assertion.backed_up),
    )
    if not used:  # another assertion of this credential moved the counter meanwhile
        raced = WebauthnAssertionError("The security key was used twice at the same time.")
        return Refusal(raced, "concurrent_use", item.id)
    return Asserted(authenticator=item, amr=tuple(value.value for value in assertion.amr))


async def complete_assertion(
    rt: Runtime,
    tx: Tx,
    taken: Taken,
    items: list[Authenticator],
    *,
    response: JsonObject,
    credential_id: bytes,
    client_id: str | None,
    info: RequestInfo,
) -> Asserted | Refusal:
    """A second-factor answer: the credential must be one the (deleted) ceremony listed, still
    active and of an enabled type, and its factor's user-verification setting applies."""
    if taken.expired is not None:
        return Refusal(taken.expired, "expired", counts=False)
    wanted = b64url(credential_id)
    item = next(
        (
            a
            for a in items
            if is_webauthn(a)
            and a.status == AuthenticatorStatus.ACTIVE
            and a.params.get("credential_id") == wanted
        ),
        None,
    )
    if item is None or wanted not in taken.ceremony.allowed:
        unknown = WebauthnAssertionError(
            "The response is from a credential this challenge did not ask for."
        )
        return Refusal(unknown, "unknown_credential")
    if item.type not in await enabled_types(tx):
        disabled = AccessDeniedError(f"The {item.type.value} factor is disabled for this tenant.")
        return Refusal(disabled, "factor_disabled", item.id, counts=False)
    return await check_assertion(
        rt,
        tx,
        item,
        response,
        taken=taken,
        user_verification=(await factor_settings(rt, tx, item.type)).user_verification,
        client_id=client_id,
        info=info,
    )


def record_refusal(
    tx: Tx,
    refusal: Refusal,
    *,
    taken: Taken,
    user_id: str,
    client_id: str | None,
    info: RequestInfo,
    failures: int | None = None,
) -> None:
    """`gd_webauthn_enrollment_failed` for a registration (as an enrolment outside the MFA API
    records it), else `gd_webauthn_challenge_failed`."""
    if taken.ceremony.purpose == "register":
        webauthn_enrolment.record_refusal(
            tx,
            refusal,
            user_id=user_id,
            factor=taken.ceremony.factor,
            client_id=client_id,
            info=info,
        )
        return
    tx.record(
        events.WebauthnChallengeFailed(
            user_id=user_id,
            client_id=client_id,
            ip=info.ip,
            user_agent=info.user_agent,
            reason=refusal.reason,
            authenticator_id=refusal.authenticator_id,
            failures=failures,
        ).entry()
    )


async def verify_for(
    rt: Runtime,
    user_id: str,
    auth_session: str,
    response: JsonObject,
    info: RequestInfo,
    *,
    binding: Binding,
    client_id: str | None = None,
) -> Asserted:
    """The second factor outside the MFA API (the hosted pages): the same checks, limits and
    events, in a transaction of its own."""
    credential_id = credential_id_of(response)
    await check_failures(rt, user_id, info)
    async with rt.store.transaction() as tx:
        items = await tx.authenticators.for_user(user_id)
        taken = await take_ceremony(
            rt, tx, auth_session, binding=binding, purposes=("authenticate",)
        )
        if taken.ceremony.user_id != user_id:
            raise InvalidGrantError(INVALID_SESSION)
        outcome = await complete_assertion(
            rt,
            tx,
            taken,
            items,
            response=response,
            credential_id=credential_id,
            client_id=client_id,
            info=info,
        )
        if isinstance(outcome, Refusal):
            record_refusal(
                tx, outcome, taken=taken, user_id=user_id, client_id=client_id, info=info
            )
        else:
            tx.record(
                on_authenticator(
                    events.MfaSucceeded, outcome.authenticator, client_id=client_id, info=info
                )
            )
    if isinstance(outcome, Refusal):
        await refuse(rt, outcome, user_id, info)
    return outcome


async def _answer(
    rt: Runtime,
    tx: Tx,
    transaction: MfaTransaction,
    *,
    user: User,
    items: list[Authenticator],
    answer: tuple[str, JsonObject, bytes],
    info: RequestInfo,
) -> tuple[Taken, Asserted | Registered | Refusal]:
    auth_session, response, credential_id = answer
    taken = await take_ceremony(
        rt,
        tx,
        auth_session,
        binding=Binding.mfa(transaction.id),
        purposes=("register", "authenticate"),
    )
    if taken.ceremony.purpose == "register":
        registered = await complete_registration(
            rt, tx, taken, user, response, client_id=transaction.client_id, info=info
        )
        return taken, registered
    asserted = await complete_assertion(
        rt,
        tx,
        taken,
        items,
        response=response,
        credential_id=credential_id,
        client_id=transaction.client_id,
        info=info,
    )
    return taken, asserted


async def mfa_grant(rt: Runtime, grant: WebauthnAnswer, info: RequestInfo) -> TokenSet:
    """The WebAuthn grant with an `mfa_token`: answers a `/mfa/challenge` ceremony, or
    completes a `/mfa/associate` one (the new key is the factor that passes the step, as the
    first OTP code is for a new authenticator app)."""
    answer = read_answer(grant)
    async with rt.store.transaction() as tx:
        application, transaction, user, items = await open_bearer(
            rt, tx, grant, grant_type=GrantType.WEBAUTHN
        )
        await check_failures(rt, user.id, info)
        taken, outcome = await _answer(
            rt, tx, transaction, user=user, items=items, answer=answer, info=info
        )
        if isinstance(outcome, Refusal):
            await _record_failure(rt, tx, transaction, outcome, taken=taken, info=info)
        else:
            await consume(tx, transaction)
            if isinstance(outcome, Registered):
                await activate_recovery_code(rt, tx, items)
            await succeed(rt, tx, transaction, info, authenticator=outcome.authenticator)
    if isinstance(outcome, Refusal):
        await refuse(rt, outcome, user.id, info)
    return mint_for_step(
        rt, transaction, user=user, client_id=application.client_id, amr=outcome.amr
    )


async def _record_failure(
    rt: Runtime,
    tx: Tx,
    transaction: MfaTransaction,
    refusal: Refusal,
    *,
    taken: Taken,
    info: RequestInfo,
) -> None:
    """Count the refusal on the `mfa_token` (its failure cap holds for every factor) and
    audit it."""
    failures = await tx.transactions.add_failure(transaction.id)
    record_refusal(
        tx,
        refusal,
        taken=taken,
        user_id=transaction.user_id,
        client_id=transaction.client_id,
        info=info,
        failures=failures,
    )
    record_exhaustion(rt, tx, transaction, info, failures=failures)
