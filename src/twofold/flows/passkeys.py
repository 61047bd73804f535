"""Passwordless sign-in with a passkey (ADR 008): `POST /passkey/challenge` hands out request
options with no `allowCredentials` (the browser offers the user's discoverable credentials),
and the WebAuthn grant without an `mfa_token` answers it.

The response names its user twice, by the credential id (looked up among every user's) and
by the user handle the credential was created with; both must agree. User verification is
required, so the one gesture is both factors: `amr` is `[hwk|swk, user, mfa]`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from twofold.audit import events
from twofold.domain import Application, Authenticator, JsonObject, User
from twofold.errors import AccessDeniedError, NotFoundError, WebauthnAssertionError
from twofold.factors.webauthn.ceremony import authentication_options, user_handle_of
from twofold.factors.webauthn.credential import credential_id_hash
from twofold.flows.attempts import on_authenticator
from twofold.flows.clients import authenticate_client
from twofold.flows.grants import GrantType
from twofold.flows.policy_check import record_success
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_types
from twofold.flows.tokens import TokenSet, granted_scope, mint, resolve_audience
from twofold.flows.webauthn_limits import admit_passkey_challenge, check_failures, refuse
from twofold.flows.webauthn_state import (
    WEBAUTHN_TYPES,
    Binding,
    Ceremony,
    Refusal,
    Taken,
    is_webauthn,
    store_ceremony,
    take_ceremony,
)
from twofold.flows.webauthn_verification import WebauthnAnswer, check_assertion, read_answer
from twofold.store.uow import Tx
from twofold.types import Amr, AuthenticatorStatus

UNKNOWN = "The passkey is not registered here."


async def require_passkeys(rt: Runtime, tx: Tx) -> None:
    """Passkeys need the tenant setting and at least one WebAuthn factor switched on."""
    enabled = await enabled_types(tx)
    if not rt.settings.webauthn.passkeys or not any(t in enabled for t in WEBAUTHN_TYPES):
        raise AccessDeniedError("Passkeys are not enabled.")


async def start_passkey(
    rt: Runtime, info: RequestInfo, *, binding: Binding, client_id: str | None
) -> Ceremony:
    """Request options for any discoverable credential, bound to the client (API) or the
    browser session (pages). Charged to the caller's IP: no user is known yet."""
    async with rt.store.read() as tx:
        await require_passkeys(rt, tx)
    await admit_passkey_challenge(rt, info, client_id=client_id)
    options = authentication_options(
        rt.relying_party, rt.settings.webauthn, user_verification="required", allowed=()
    )
    async with rt.store.transaction() as tx:
        ceremony = await store_ceremony(
            rt,
            tx,
            options,
            purpose="passkey",
            binding=binding,
            user_id=None,
            user_verification="required",
        )
        tx.record(
            events.PasskeyChallengeStarted(
                user_id=None, client_id=client_id, ip=info.ip, user_agent=info.user_agent
            ).entry()
        )
    return ceremony


async def passkey_challenge(
    rt: Runtime, *, client_id: str | None, client_secret: str | None, info: RequestInfo
) -> Ceremony:
    """`POST /passkey/challenge`: the client must hold the WebAuthn grant type."""
    async with rt.store.read() as tx:
        application = await authenticate_client(
            tx, client_id=client_id, client_secret=client_secret, grant_type=GrantType.WEBAUTHN
        )
    return await start_passkey(
        rt, info, binding=Binding.client(application.client_id), client_id=application.client_id
    )


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a passkey signed in, with which authenticator, proving what."""

    user: User
    authenticator: Authenticator
    amr: tuple[str, ...]


async def _sign_in(
    rt: Runtime,
    tx: Tx,
    taken: Taken,
    response: JsonObject,
    credential_id: bytes,
    *,
    client_id: str | None,
    info: RequestInfo,
) -> SignedIn | Refusal:
    if taken.expired is not None:
        return Refusal(taken.expired, "expired", counts=False)
    item = await tx.authenticators.by_credential(credential_id_hash(credential_id))
    if item is None or not is_webauthn(item) or item.status != AuthenticatorStatus.ACTIVE:
        return Refusal(WebauthnAssertionError(UNKNOWN), "unknown_credential")
    owner = item.user_id
    if user_handle_of(response) != owner.encode():
        mismatch = WebauthnAssertionError("The passkey does not name the user it belongs to.")
        return Refusal(mismatch, "user_handle_mismatch", item.id, user_id=owner)
    if item.type not in await enabled_types(tx):
        disabled = AccessDeniedError("Passkeys are not enabled.")
        return Refusal(disabled, "factor_disabled", item.id, counts=False, user_id=owner)
    await check_failures(rt, item.user_id, info)
    user = await tx.users.get(item.user_id)
    if user is None:
        raise NotFoundError("The user no longer exists.")
    outcome = await check_assertion(
        rt,
        tx,
        item,
        response,
        taken=taken,
        user_verification="required",
        client_id=client_id,
        info=info,
    )
    if isinstance(outcome, Refusal):
        return dataclasses.replace(outcome, user_id=owner)
    return SignedIn(user=user, authenticator=item, amr=(*outcome.amr, Amr.MFA.value))


async def verify_passkey(
    rt: Runtime,
    auth_session: str,
    response: JsonObject,
    credential_id: bytes,
    info: RequestInfo,
    *,
    binding: Binding,
    client_id: str | None,
    completes_login: bool,
) -> SignedIn:
    """Check a passkey answer in a transaction of its own (API and pages); a refusal is
    audited and charged to the IP (and to the user, once the credential named one).

    `completes_login`: the grant issues tokens here, so this is the login (`s`, counted); a
    page goes on to the authorization request, whose completion records the one `s`, so here
    only the authenticator's success is recorded."""
    await check_failures(rt, None, info)
    async with rt.store.transaction() as tx:
        await require_passkeys(rt, tx)
        taken = await take_ceremony(rt, tx, auth_session, binding=binding, purposes=("passkey",))
        outcome = await _sign_in(
            rt, tx, taken, response, credential_id, client_id=client_id, info=info
        )
        facts = {"client_id": client_id, "ip": info.ip, "user_agent": info.user_agent}
        if isinstance(outcome, Refusal):
            tx.record(
                events.PasskeyLoginFailed(
                    **facts,
                    user_id=outcome.user_id,
                    reason=outcome.reason,
                    authenticator_id=outcome.authenticator_id,
                ).entry()
            )
        elif completes_login:
            await record_success(rt, tx, user_id=outcome.user.id, ip=info.ip, state=None)
            tx.record(
                events.PasskeyLoginSucceeded(
                    **facts,
                    user_id=outcome.user.id,
                    authenticator_id=outcome.authenticator.id,
                    amr=outcome.amr,
                ).entry()
            )
        else:
            tx.record(
                on_authenticator(
                    events.MfaSucceeded, outcome.authenticator, client_id=client_id, info=info
                )
            )
    if isinstance(outcome, Refusal):
        await refuse(rt, outcome, outcome.user_id, info)
    return outcome


async def passkey_grant(rt: Runtime, grant: WebauthnAnswer, info: RequestInfo) -> TokenSet:
    """The WebAuthn grant without an `mfa_token`: a passkey sign-in, both factors at once."""
    auth_session, response, credential_id = read_answer(grant)
    audience = resolve_audience(rt.settings, grant.audience)
    scope = granted_scope(rt.settings, audience=audience, requested=grant.scope)
    application = await _client(rt, grant)
    signed_in = await verify_passkey(
        rt,
        auth_session,
        response,
        credential_id,
        info,
        binding=Binding.client(application.client_id),
        client_id=application.client_id,
        completes_login=True,
    )
    return mint(
        rt,
        user=signed_in.user,
        client_id=application.client_id,
        audience=audience,
        scope=scope,
        amr=signed_in.amr,
        auth_time=rt.clock.now(),
    )


async def _client(rt: Runtime, grant: WebauthnAnswer) -> Application:
    async with rt.store.read() as tx:
        return await authenticate_client(
            tx,
            client_id=grant.client_id,
            client_secret=grant.client_secret,
            grant_type=GrantType.WEBAUTHN,
        )
