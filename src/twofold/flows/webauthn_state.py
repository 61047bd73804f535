"""WebAuthn ceremonies in flight, as flows see them (ADR 008): what a challenge is bound to,
storing one, and taking it back exactly once; and the user's credentials as the factor layer
reads them.

A ceremony's `auth_session` is a 256-bit handle kept only as its SHA-256. It names one row,
bound to the MFA transaction, the browser session or the client that asked; the row is
deleted before its answer is verified, so an answer, right or wrong, is never checked twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from twofold.domain import Authenticator, JsonObject
from twofold.errors import ExpiredTokenError, InvalidGrantError, TwofoldError
from twofold.factors.webauthn.ceremony import Options
from twofold.factors.webauthn.credential import Credential, b64url, from_b64url
from twofold.flows.runtime import Runtime
from twofold.security import tokens
from twofold.store.repos.webauthn import StoredCeremony
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType

WEBAUTHN_TYPES = (FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM)
Purpose = Literal["register", "authenticate", "passkey"]
GRACE = dt.timedelta(seconds=30)
"""A ceremony lives its timeout plus this: the browser's timer starts after the round trip."""


@dataclass(frozen=True, slots=True)
class Binding:
    """What an `auth_session` belongs to; presented under anything else, it does not exist."""

    kind: Literal["mfa", "session", "api", "client"]
    """`mfa`: an MFA transaction (`mfa_token`); `session`: a hosted pages' browser session;
    `api`: an MFA API access token's client and user; `client`: a passkey sign-in's client.
    Stored as `<kind>:<value>` (at most 120 characters)."""
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    @classmethod
    def mfa(cls, transaction_id: str) -> Binding:
        return cls("mfa", transaction_id)

    @classmethod
    def session(cls, session_id: str) -> Binding:
        return cls("session", session_id)

    @classmethod
    def api(cls, client_id: str, user_id: str) -> Binding:
        """An MFA API access token's client and user: another user of the same client
        cannot even see (and so cannot spend) the ceremony."""
        return cls("api", f"{client_id}|{user_id}")

    @classmethod
    def client(cls, client_id: str) -> Binding:
        return cls("client", client_id)


@dataclass(frozen=True, slots=True)
class Ceremony:
    """What a client needs to run one ceremony: Auth0's Passkey API names."""

    authn_params_public_key: JsonObject
    """The WebAuthn options in JSON form (`PublicKeyCredential.parse*OptionsFromJSON`)."""
    auth_session: str
    """The handle to send back with the browser's `credential.toJSON()`."""

    def as_json(self) -> JsonObject:
        return {
            "authn_params_public_key": self.authn_params_public_key,
            "auth_session": self.auth_session,
        }


@dataclass(frozen=True, slots=True)
class Refusal:
    """An answer refused inside a transaction that must still commit (the ceremony's
    deletion, the audit event); the caller raises `error` after the commit."""

    error: TwofoldError
    reason: str
    """For the audit event: `invalid_response`, `expired`, `unknown_credential`..."""
    authenticator_id: str | None = None
    counts: bool = True
    """Whether it is charged to the failure buckets (an expired ceremony is not a guess)."""
    user_id: str | None = None
    """Whose credential answered, when the flow did not know the user beforehand (a passkey)."""


def is_webauthn(item: Authenticator) -> bool:
    return item.type in WEBAUTHN_TYPES


def credentials(items: Sequence[Authenticator]) -> list[tuple[Authenticator, Credential]]:
    """The user's active WebAuthn authenticators with their credentials, oldest first."""
    return [
        (item, credential_of(item))
        for item in items
        if is_webauthn(item) and item.status == AuthenticatorStatus.ACTIVE
    ]


def credential_of(item: Authenticator) -> Credential:
    """The stored credential; the sign count lives in `last_step` (-1 reads as 0: none yet)."""
    return Credential.from_params(item.params, max(item.last_step, 0))


async def store_ceremony(
    rt: Runtime,
    tx: Tx,
    options: Options,
    *,
    purpose: Purpose,
    binding: Binding,
    user_id: str | None,
    user_verification: str,
    factor: FactorType | None = None,
    allowed: Sequence[Credential] = (),
    name: str | None = None,
) -> Ceremony:
    """Keep the challenge server-side (py_webauthn keeps nothing) and hand out its handle.

    Ceremonies nobody answered are pruned here, so the table holds only live ones (plus
    those that expired since the last issue).
    """
    now = rt.clock.now()
    await tx.webauthn.prune(now)
    handle = tokens.new_token()
    await tx.webauthn.add(
        StoredCeremony(
            id="wach_" + secrets.token_hex(12),
            handle_hash=tokens.token_hash(handle),
            purpose=purpose,
            factor=factor.value if factor else None,
            user_id=user_id,
            bound_to=binding.key,
            challenge=b64url(options.challenge),
            user_verification=user_verification,
            allowed=tuple(b64url(item.credential_id) for item in allowed),
            name=name,
            created_at=now,
            expires_at=now + dt.timedelta(milliseconds=rt.settings.webauthn.timeout_ms) + GRACE,
        )
    )
    return Ceremony(authn_params_public_key=options.public_key, auth_session=handle)


@dataclass(frozen=True, slots=True)
class Taken:
    """A ceremony deleted for its answer; `expired` ones must be refused (after the commit
    that deleted them)."""

    ceremony: StoredCeremony
    expired: ExpiredTokenError | None

    @property
    def challenge(self) -> bytes:
        return from_b64url(self.ceremony.challenge)


INVALID_SESSION = "Invalid auth_session."


async def take_ceremony(
    rt: Runtime,
    tx: Tx,
    auth_session: str,
    *,
    binding: Binding,
    purposes: Collection[str],
) -> Taken:
    """Delete the ceremony `auth_session` names, before anything is verified (single use).

    Unknown, foreign (another binding or purpose) and already-spent handles get the same
    InvalidGrantError, and a foreign one is left alone: its handle alone must not let anyone
    destroy another user's ceremony. An expired one is deleted and returned as expired.
    """
    stored = (
        await tx.webauthn.by_handle(tokens.token_hash(auth_session))
        if tokens.is_well_formed(auth_session)
        else None
    )
    if stored is None or stored.bound_to != binding.key or stored.purpose not in purposes:
        raise InvalidGrantError(INVALID_SESSION)
    # The conditional delete: of two requests racing with one answer, one deletes the row.
    if not await tx.webauthn.take(stored.id):
        raise InvalidGrantError(INVALID_SESSION)
    expired = ExpiredTokenError("auth_session is expired")
    return Taken(ceremony=stored, expired=expired if rt.clock.now() >= stored.expires_at else None)


def with_factor(ceremony: StoredCeremony) -> FactorType:
    """The factor a `register` ceremony enrols (stored by `store_ceremony`)."""
    if ceremony.factor not in {factor.value for factor in WEBAUTHN_TYPES}:
        raise InvalidGrantError(INVALID_SESSION)
    return FactorType(ceremony.factor)


def replaced_params(item: Authenticator, *, backed_up: bool) -> JsonObject | None:
    """New stored parameters when an assertion's BS flag changed (a key was synced or
    unsynced since), else None: nothing to rewrite."""
    if item.params.get("backed_up") == backed_up:
        return None
    return dict(item.params, backed_up=backed_up)
