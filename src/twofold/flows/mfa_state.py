"""Opening an `mfa_token` or an MFA API access token: who is calling, with what rights."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.domain import MfaTransaction
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
from twofold.types import UserId


def mfa_requirements(*, has_active_authenticator: bool) -> dict[str, list[dict[str, str]]]:
    """Auth0's optional `mfa_requirements`: what the user can do next."""
    if has_active_authenticator:
        return {"challenge": [{"type": "otp"}, {"type": "recovery-code"}]}
    return {"enroll": [{"type": "otp"}]}


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
