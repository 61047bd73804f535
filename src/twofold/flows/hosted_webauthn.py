"""Security keys, device biometrics and passkeys on the hosted pages, transport-free: the
bearer-free WebAuthn cores the MFA API uses (flows/webauthn_*.py, flows/passkeys.py), bound
to the browser session (ADR 008).

A ceremony started here is bound to the session's id: the `auth_session` handle its page
carries is refused in any other browser, and it survives the new session token a sign-in
brings. Limits, audit and single use are the cores' own, so a page costs what the API costs.
"""

from __future__ import annotations

from twofold.domain import AuthorizationRequest, JsonObject
from twofold.errors import AccessDeniedError, InvalidRequestError, TooManyAttemptsError
from twofold.factors.webauthn.ceremony import credential_id_from, parse_response
from twofold.factors.webauthn.credential import credential_id_hash
from twofold.flows import passkeys, sessions
from twofold.flows.hosted_mfa import Passed
from twofold.flows.hosted_policy import policy_state
from twofold.flows.policy_check import check_allowed
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.sessions import OpenSession
from twofold.flows.webauthn_challenge import start_assertion
from twofold.flows.webauthn_enrolment import finish_registration, start_registration
from twofold.flows.webauthn_state import Binding, Ceremony
from twofold.flows.webauthn_verification import verify_for
from twofold.types import FactorType


class NoResponseError(InvalidRequestError):
    """A form posted without the browser's answer (no JavaScript, or a hand-made post)."""

    description = "Use your security key or device to continue."


def _answer(auth_session: str | None, response: str | None) -> tuple[str, JsonObject]:
    """The form's handle and the browser's `credential.toJSON()`; a 400 before anything is
    read or deleted, so a malformed post leaves nothing spent."""
    if not auth_session or not response:
        raise NoResponseError
    return auth_session, parse_response(response)


def _client_id(sign_in: AuthorizationRequest | None) -> str | None:
    return sign_in.client_id if sign_in else None


async def start_enrolment(
    rt: Runtime,
    user_id: str,
    factor: FactorType,
    *,
    name: str,
    info: RequestInfo,
    session_id: str,
    sign_in: AuthorizationRequest | None = None,
) -> Ceremony:
    """Creation options for a new `factor` credential named `name`. The recovery code, when
    the user has none, comes once the registration succeeds (as with an app's first code).
    During a sign-in, only of a type its policy accepts."""
    check_allowed(policy_state(sign_in), factor)
    started = await start_registration(
        rt,
        user_id,
        factor,
        info,
        binding=Binding.session(session_id),
        name=name,
        client_id=_client_id(sign_in),
    )
    return started.ceremony


async def finish_enrolment(
    rt: Runtime,
    user_id: str,
    auth_session: str | None,
    response: str | None,
    *,
    info: RequestInfo,
    session_id: str,
    sign_in: AuthorizationRequest | None = None,
) -> Passed:
    """The browser's registration response: the new authenticator is active and, as the
    factor just proved, passes the MFA step; a first factor brings the recovery code."""
    handle, payload = _answer(auth_session, response)
    registered = await finish_registration(
        rt,
        user_id,
        handle,
        payload,
        info,
        binding=Binding.session(session_id),
        client_id=_client_id(sign_in),
    )
    return Passed(amr=registered.amr, recovery_code=registered.recovery_code)


async def start_challenge(
    rt: Runtime,
    user_id: str,
    info: RequestInfo,
    *,
    session_id: str,
    authenticator_id: str | None = None,
    sign_in: AuthorizationRequest | None = None,
) -> Ceremony:
    """Request options for the user's security keys and devices (or the one picked)."""
    return await start_assertion(
        rt,
        user_id,
        info,
        binding=Binding.session(session_id),
        authenticator_id=authenticator_id,
        client_id=_client_id(sign_in),
    )


async def verify(
    rt: Runtime,
    user_id: str,
    auth_session: str | None,
    response: str | None,
    *,
    info: RequestInfo,
    session_id: str,
    sign_in: AuthorizationRequest | None = None,
) -> Passed:
    handle, payload = _answer(auth_session, response)
    await _check_policy_accepts(rt, user_id, payload, sign_in=sign_in)
    asserted = await verify_for(
        rt,
        user_id,
        handle,
        payload,
        info,
        binding=Binding.session(session_id),
        client_id=_client_id(sign_in),
    )
    return Passed(amr=asserted.amr)


async def _check_policy_accepts(
    rt: Runtime, user_id: str, payload: JsonObject, *, sign_in: AuthorizationRequest | None
) -> None:
    """A sign-in whose policy accepts only some factor types refuses an answer from a key
    of another type before it is checked (nothing spent, nothing counted)."""
    policy = policy_state(sign_in)
    if policy is None:
        return
    async with rt.store.read() as tx:
        item = await tx.authenticators.by_credential(
            credential_id_hash(credential_id_from(payload))
        )
    if item is not None and item.user_id == user_id:
        check_allowed(policy, item.type)


async def offer_passkey(
    rt: Runtime, info: RequestInfo, *, session_id: str, sign_in: AuthorizationRequest
) -> Ceremony | None:
    """Options for a passkey sign-in on the sign-in page, or None when the page offers none:
    passkeys off (the setting, or no WebAuthn factor on), or this IP has asked too often
    (the password form still works; the refusal is audited by the limit)."""
    if not rt.settings.webauthn.passkeys:
        return None
    try:
        return await passkeys.start_passkey(
            rt, info, binding=Binding.session(session_id), client_id=sign_in.client_id
        )
    except (AccessDeniedError, TooManyAttemptsError):
        return None


async def sign_in_with_passkey(
    rt: Runtime,
    current: OpenSession,
    auth_session: str | None,
    response: str | None,
    *,
    info: RequestInfo,
    sign_in: AuthorizationRequest,
) -> OpenSession:
    """A passkey answered: the session belongs to its user, with both factors proved by the
    one gesture (`amr` `[hwk|swk, user, mfa]`), under a fresh token."""
    handle, payload = _answer(auth_session, response)
    signed_in = await passkeys.verify_passkey(
        rt,
        handle,
        payload,
        credential_id_from(payload),
        info,
        binding=Binding.session(current.session.id),
        client_id=sign_in.client_id,
        completes_login=False,
    )
    return await sessions.sign_in_with_both(rt, current, signed_in.user, signed_in.amr)
