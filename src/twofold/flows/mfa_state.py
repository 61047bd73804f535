"""Opening an `mfa_token` or an MFA API access token: who is calling, with what rights."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from twofold.domain import Authenticator, MfaTransaction
from twofold.errors import (
    ExpiredTokenError,
    InsufficientScopeError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidTokenError,
    MalformedMfaTokenError,
    TooManyAttemptsError,
)
from twofold.flows.runtime import Runtime
from twofold.security import tokens
from twofold.store.uow import Tx
from twofold.types import AuthenticatorStatus, FactorType, UserId

REQUIREMENTS = (
    "otp",
    "push-notification",
    "phone",
    "email",
    "webauthn-roaming",
    "webauthn-platform",
    "recovery-code",
)
"""Auth0's `mfa_requirements` type names, in the order they are listed (the WebAuthn ones are
its authenticator type names, answered with `challenge_type: "webauthn"`)."""
WEBAUTHN = (FactorType.WEBAUTHN_ROAMING, FactorType.WEBAUTHN_PLATFORM)


def requirement_of(item: Authenticator, channels: Collection[str]) -> str | None:
    """The `mfa_requirements` type an active authenticator answers, None when it cannot be
    challenged now (an out-of-band channel the tenant has switched off)."""
    if item.type in (FactorType.OTP, FactorType.RECOVERY_CODE):
        return item.type.value
    if item.type != FactorType.OOB or item.oob_channel not in channels:
        return None
    if item.oob_channel == "auth0":
        return "push-notification"
    return "email" if item.oob_channel == "email" else "phone"


def mfa_requirements(
    items: Sequence[Authenticator],
    *,
    enabled: Collection[FactorType],
    channels: Collection[str],
) -> dict[str, list[dict[str, str]]]:
    """Auth0's optional `mfa_requirements`: what the user can do next.

    A user with an active factor is told what `/mfa/challenge` would accept (SMS and voice
    are both `phone`; a security key or device only while its type is enabled); one without
    is told what `/mfa/associate` would, never `email`, which is refused as a first factor
    (flows/oob_enrolment.has_independent_factor).
    """
    active = [a for a in items if a.status == AuthenticatorStatus.ACTIVE]
    if any(a.type != FactorType.RECOVERY_CODE for a in active):
        found = {requirement_of(a, channels) for a in active}
        found |= {a.type.value for a in active if a.type in WEBAUTHN and a.type in enabled}
        return {"challenge": [{"type": kind} for kind in REQUIREMENTS if kind in found]}
    enrol = [
        kind
        for kind, allowed in (("otp", FactorType.OTP in enabled), ("phone", "sms" in channels))
        if allowed
    ]
    enrol += [factor.value for factor in WEBAUTHN if factor in enabled]
    return {"enroll": [{"type": kind} for kind in enrol]}


async def open_transaction(rt: Runtime, tx: Tx, mfa_token: str | None) -> MfaTransaction:
    """The live transaction behind an `mfa_token`, or the error Auth0's SDKs expect."""
    if not mfa_token:
        raise InvalidRequestError("Missing required parameter: mfa_token")
    if not tokens.is_well_formed(mfa_token):
        raise MalformedMfaTokenError
    return check_transaction(rt, await tx.transactions.by_token_hash(tokens.token_hash(mfa_token)))


def check_transaction(rt: Runtime, transaction: MfaTransaction | None) -> MfaTransaction:
    """`open_transaction` once the transaction has been read (or found missing)."""
    if transaction is None:
        raise MalformedMfaTokenError
    if transaction.consumed:
        raise InvalidGrantError("mfa_token has already been used.")
    if rt.clock.now() >= transaction.expires_at:
        raise ExpiredTokenError
    if transaction.failures >= rt.settings.limits.mfa_token_failures:
        raise TooManyAttemptsError(
            "Too many failed attempts with this mfa_token. Sign in again.",
            retry_at=transaction.expires_at,
        )
    return transaction


@dataclass(frozen=True, slots=True)
class MfaCaller:
    """The bearer of `/mfa/*`: an `mfa_token` (first enrolment) or an MFA API access token."""

    user_id: UserId
    client_id: str
    scopes: frozenset[str]
    transaction: MfaTransaction | None

    def require(self, scope: str, *, mfa_token_allowed: bool = True) -> None:
        """An `mfa_token` may enrol a first factor and list; access tokens need the scope."""
        if self.transaction is not None:
            if mfa_token_allowed:
                return
            raise InsufficientScopeError(
                f"An mfa_token cannot do this; use an access token with the {scope} scope."
            )
        if scope not in self.scopes:
            raise InsufficientScopeError(f"Insufficient scope, expected: {scope}")


async def resolve_bearer(rt: Runtime, tx: Tx, bearer: str | None) -> MfaCaller:
    if not bearer:
        raise InvalidTokenError("Missing Authorization: Bearer token.")
    if "." in bearer:
        claims = rt.signing.verifier.verify(
            bearer, issuer=rt.settings.issuer, audience=rt.settings.mfa_audience, now=rt.clock.now()
        )
        return MfaCaller(
            user_id=UserId(str(claims["sub"])),
            client_id=str(claims.get("azp", "")),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            transaction=None,
        )
    try:
        transaction = await open_transaction(rt, tx, bearer)
    except (InvalidGrantError, ExpiredTokenError) as exc:
        raise InvalidTokenError(exc.description) from exc
    return MfaCaller(
        user_id=transaction.user_id,
        client_id=transaction.client_id,
        scopes=frozenset(),
        transaction=transaction,
    )
