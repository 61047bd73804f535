"""Asking for a security key or this device as the second factor: request options listing the
user's WebAuthn credentials (or the one `authenticator_id` names), and the ceremony that will
check the answer (ADR 008).

`start_assertion` takes a user id and a `Binding`, so `/mfa/challenge` (bound to the MFA
transaction) and the hosted pages (bound to the browser session) share it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from twofold.audit import events
from twofold.domain import Authenticator
from twofold.errors import InvalidRequestError, UnsupportedChallengeTypeError
from twofold.factors.webauthn.ceremony import authentication_options
from twofold.factors.webauthn.credential import Credential
from twofold.flows.runtime import RequestInfo, Runtime
from twofold.flows.tenant import enabled_types
from twofold.flows.webauthn_limits import admit_challenge
from twofold.flows.webauthn_settings import factor_settings
from twofold.flows.webauthn_state import Binding, Ceremony, credentials, store_ceremony
from twofold.store.uow import Tx
from twofold.types import FactorType


async def user_verification_for(rt: Runtime, tx: Tx, factors: Collection[FactorType]) -> str:
    """What one request asks of every listed credential: their factors' common setting, or
    `preferred` when they differ. Each answer is still held to its own factor's setting."""
    asked = {(await factor_settings(rt, tx, factor)).user_verification for factor in factors}
    return asked.pop() if len(asked) == 1 else "preferred"


async def start_assertion(
    rt: Runtime,
    user_id: str,
    info: RequestInfo,
    *,
    binding: Binding,
    authenticator_id: str | None = None,
    client_id: str | None = None,
) -> Ceremony:
    """Request options for the user's active WebAuthn credentials of enabled types (or the
    one `authenticator_id` names). Charged to the user's challenge bucket."""
    async with rt.store.read() as tx:
        items = await tx.authenticators.for_user(user_id)
        enabled = await enabled_types(tx)
    return await issue_assertion(
        rt,
        user_id,
        info,
        usable_credentials(items, enabled, authenticator_id),
        binding=binding,
        client_id=client_id,
        authenticator_id=authenticator_id,
    )


def usable_credentials(
    items: Sequence[Authenticator],
    enabled: Collection[FactorType],
    authenticator_id: str | None,
) -> list[tuple[Authenticator, Credential]]:
    """Active WebAuthn credentials of enabled types (or the one `authenticator_id` names)."""
    return [
        (item, credential)
        for item, credential in credentials(items)
        if item.type in enabled and authenticator_id in (None, item.id)
    ]


async def issue_assertion(
    rt: Runtime,
    user_id: str,
    info: RequestInfo,
    usable: Sequence[tuple[Authenticator, Credential]],
    *,
    binding: Binding,
    client_id: str | None,
    authenticator_id: str | None = None,
) -> Ceremony:
    """`start_assertion` once the user's credentials are read (the MFA API reads them with
    the client and the `mfa_token`, in one transaction)."""
    if not usable:
        if authenticator_id is not None:
            raise InvalidRequestError(
                "authenticator_id does not name one of the user's authenticators."
            )
        raise UnsupportedChallengeTypeError(
            "The user has no security key or device the tenant accepts."
        )
    await admit_challenge(rt, user_id, info, client_id=client_id)
    allowed = [credential for _, credential in usable]
    async with rt.store.transaction() as tx:
        factors = {item.type for item, _ in usable}
        user_verification = await user_verification_for(rt, tx, factors)
        options = authentication_options(
            rt.relying_party,
            rt.settings.webauthn,
            user_verification=user_verification,
            allowed=allowed,
        )
        ceremony = await store_ceremony(
            rt,
            tx,
            options,
            purpose="authenticate",
            binding=binding,
            user_id=user_id,
            user_verification=user_verification,
            allowed=allowed,
        )
        tx.record(
            events.WebauthnChallengeStarted(
                user_id=user_id,
                client_id=client_id,
                ip=info.ip,
                user_agent=info.user_agent,
                authenticator_ids=tuple(item.id for item, _ in usable),
            ).entry()
        )
    return ceremony
