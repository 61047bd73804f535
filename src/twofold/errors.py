"""The Twofold error tree. Each class carries its OAuth/Auth0 `code` and a safe description.

TwofoldError
 +-- InvalidRequestError        invalid_request
 +-- InvalidClientError         invalid_client / unauthorized_client
 +-- InvalidGrantError          invalid_grant (wrong code, bad credentials, malformed token)
 |    +-- MalformedMfaTokenError
 |    +-- InvalidOtpError
 |    +-- InvalidRecoveryCodeError
 +-- ExpiredTokenError          expired_token
 +-- InvalidScopeError          invalid_scope (wider than what was granted)
 +-- UnsupportedGrantTypeError  unsupported_grant_type
 +-- UnsupportedChallengeTypeError
 +-- AssociationRequiredError   association_required
 +-- MfaRequiredError           mfa_required (carries the mfa_token)
 +-- AccessDeniedError          access_denied
 +-- InvalidTokenError          invalid_token (bearer token missing or bad)
 +-- InsufficientScopeError     insufficient_scope
 +-- NotFoundError              not_found (inexistent_user, inexistent_authenticator)
 +-- ConflictError              conflict
 +-- TooManyAttemptsError       too_many_attempts (carries when to retry)

Transports map classes to HTTP status (api/errors.py), page messages or exit codes.
Messages never contain a secret, a code or a token.
"""

from __future__ import annotations

import datetime as dt


class TwofoldError(Exception):
    code: str = "server_error"
    description: str = "Something went wrong."

    def __init__(self, description: str | None = None) -> None:
        if description is not None:
            self.description = description
        super().__init__(self.description)


class InvalidRequestError(TwofoldError):
    code = "invalid_request"
    description = "The request is missing a parameter or has an invalid one."


class InvalidClientError(TwofoldError):
    code = "invalid_client"
    description = "Client authentication failed."


class UnauthorizedClientError(TwofoldError):
    code = "unauthorized_client"
    description = "The client is not allowed to use this grant type."


class InvalidGrantError(TwofoldError):
    code = "invalid_grant"
    description = "Invalid grant."


class MalformedMfaTokenError(InvalidGrantError):
    description = "Malformed mfa_token"


class InvalidOtpError(InvalidGrantError):
    description = "Invalid otp_code."


class InvalidRecoveryCodeError(InvalidGrantError):
    description = "Invalid recovery_code."


class InvalidCredentialsError(InvalidGrantError):
    description = "Wrong email or password."


class ExpiredTokenError(TwofoldError):
    code = "expired_token"
    description = "mfa_token is expired"


class InvalidScopeError(TwofoldError):
    code = "invalid_scope"
    description = "The requested scope is invalid or exceeds what was granted."


class UnsupportedGrantTypeError(TwofoldError):
    code = "unsupported_grant_type"
    description = "Grant type not supported."


class UnsupportedChallengeTypeError(TwofoldError):
    code = "unsupported_challenge_type"
    description = "The user or client supports none of the requested challenge types."


class AssociationRequiredError(TwofoldError):
    code = "association_required"
    description = "User is not enrolled. You can use /mfa/associate endpoint to enroll."


class MfaRequiredError(TwofoldError):
    code = "mfa_required"
    description = "Multifactor authentication required"

    def __init__(self, mfa_token: str, requirements: dict[str, list[dict[str, str]]]) -> None:
        super().__init__()
        self.mfa_token = mfa_token
        self.requirements = requirements


class AccessDeniedError(TwofoldError):
    code = "access_denied"
    description = "Access denied."


class InvalidTokenError(TwofoldError):
    code = "invalid_token"
    description = "The access token is missing, invalid or expired."


class InsufficientScopeError(TwofoldError):
    code = "insufficient_scope"
    description = "The access token does not grant the scope this call needs."


class NotFoundError(TwofoldError):
    code = "not_found"
    description = "Not found."


class ConflictError(TwofoldError):
    code = "conflict"
    description = "The resource already exists."


class TooManyAttemptsError(TwofoldError):
    code = "too_many_attempts"
    description = "Too many attempts. Try again later."

    def __init__(self, description: str | None = None, *, retry_at: dt.datetime) -> None:
        super().__init__(description)
        self.retry_at = retry_at
