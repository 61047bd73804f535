"""The Twofold error tree. Each class carries its OAuth/Auth0 `code` and a safe description.

TwofoldError
 +-- InvalidRequestError        invalid_request
 |    +-- InvalidRuleError      a policy rule refused when saved (carries line and column)
 |    +-- InvalidPushAnswerError  a device's answer JWS that does not verify
 +-- InvalidClientError         invalid_client / unauthorized_client
 +-- InvalidGrantError          invalid_grant (wrong code, bad credentials, malformed token)
 |    +-- MalformedMfaTokenError
 |    +-- InvalidOtpError
 |    +-- InvalidRecoveryCodeError
 |    +-- InvalidBindingCodeError   (a wrong out-of-band code: count it as a failure)
 |    +-- OobCodeUsedError, OobCodeSupersededError, TooManyOobFailuresError
 |    +-- WebauthnRegistrationError  (a security key or device response that cannot enrol)
 |    +-- WebauthnAssertionError     (a WebAuthn sign-in response that does not verify)
 |    |    +-- WebauthnCounterRegressionError  (signature good, counter not increasing)
 |    +-- PushRejectedError          ("MFA Authorization rejected.")
 +-- ExpiredTokenError          expired_token
 |    +-- OobCodeExpiredError, PushExpiredError
 +-- InvalidScopeError          invalid_scope (wider than what was granted)
 +-- UnsupportedGrantTypeError  unsupported_grant_type
 +-- UnsupportedChallengeTypeError
 +-- AssociationRequiredError   association_required
 +-- MfaRequiredError           mfa_required (carries the mfa_token)
 +-- AccessDeniedError          access_denied
 |    +-- CountryNotAllowedError  sms_country_not_allowed (SMS and voice)
 |    +-- PushPausedError         push_paused (after a fraud report, until an admin clears it)
 +-- InvalidTokenError          invalid_token (bearer token missing or bad)
 +-- InsufficientScopeError     insufficient_scope
 +-- NotFoundError              not_found (inexistent_user, inexistent_authenticator)
 +-- ConflictError              conflict
 |    +-- PushAnsweredError     already_answered
 +-- InvalidPhoneNumberError    invalid_phone_number
 +-- TooManyAttemptsError       too_many_attempts (carries when to retry)
      +-- TooManySendsError     too_many_sms / too_many_voice / too_many_email
      +-- TooManyPushError      too_many_push
 +-- AuthorizationPendingError  authorization_pending (a push not answered yet)
 +-- SlowDownError              slow_down (polled too often)

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


class InvalidRuleError(InvalidRequestError):
    """A policy rule's condition or action refused when saved: it does not compile, exceeds a
    limit, or names something outside the allowlist. `line` and `column` (1-based) point at
    the offending place of the condition when there is one."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"Invalid rule: {message}{where}")
        self.message = message
        self.line = line
        self.column = column


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


class InvalidBindingCodeError(InvalidGrantError):
    """A wrong out-of-band code (SMS, voice, email): the one refusal that counts as a failure.

    Its siblings below refuse a code whatever its value, so none of them is a guess."""

    description = "Invalid binding_code."


class OobCodeUsedError(InvalidGrantError):
    description = "The code has already been used."


class OobCodeSupersededError(InvalidGrantError):
    description = "A newer code was sent: use that one."


class TooManyOobFailuresError(InvalidGrantError):
    description = "Too many wrong codes: ask for a new one."


class WebauthnRegistrationError(InvalidGrantError):
    """A registration (attestation) response refused: wrong origin, RP ID or challenge, no
    user verification when required, an algorithm, attestation or model not allowed.

    The description names which, never echoing the client's values."""

    description = "The security key or device could not be registered."


class WebauthnAssertionError(InvalidGrantError):
    """An authentication (assertion) response refused; like a wrong code, it counts as a
    failure."""

    description = "The security key or device response could not be verified."


class WebauthnCounterRegressionError(WebauthnAssertionError):
    """The signature verified but the sign counter did not increase (WebAuthn section 6.1.1):
    two copies of the credential may exist. Raised only after the signature checked out, so
    a forger cannot provoke the clone alarm."""

    description = "The security key's signature counter went backwards; it may have been cloned."

    def __init__(self, *, stored: int, received: int) -> None:
        super().__init__()
        self.stored = stored
        """The counter kept from the credential's last use."""
        self.received = received
        """The counter in the refused response (not greater than `stored`)."""


class ExpiredTokenError(TwofoldError):
    code = "expired_token"
    description = "mfa_token is expired"


class OobCodeExpiredError(ExpiredTokenError):
    description = "oob_code is expired"


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


class CountryNotAllowedError(AccessDeniedError):
    """A refusal by policy, not a rate: retrying later would not help, so 403 rather than 429.

    Guardian's code, also used for voice calls (Guardian has no voice-specific one)."""

    code = "sms_country_not_allowed"
    description = "Codes cannot be sent to phone numbers in this country."


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


class InvalidPhoneNumberError(TwofoldError):
    code = "invalid_phone_number"
    description = "The phone number is invalid."


class TooManyAttemptsError(TwofoldError):
    code = "too_many_attempts"
    description = "Too many attempts. Try again later."

    def __init__(self, description: str | None = None, *, retry_at: dt.datetime) -> None:
        super().__init__(description)
        self.retry_at = retry_at


class TooManySendsError(TooManyAttemptsError):
    """Too many codes sent out of band; the subclasses carry Guardian's per-medium codes."""

    description = "Too many codes sent. Try again later."


class TooManySmsError(TooManySendsError):
    code = "too_many_sms"
    description = "Too many SMS messages sent. Try again later."


class TooManyVoiceError(TooManySendsError):
    code = "too_many_voice"
    description = "Too many voice calls made. Try again later."


class TooManyEmailError(TooManySendsError):
    code = "too_many_email"
    description = "Too many emails sent. Try again later."


class AuthorizationPendingError(TwofoldError):
    """A push is still waiting for its answer (RFC 8628 section 3.5; HTTP 400, as Auth0)."""

    code = "authorization_pending"
    description = "Authorization pending: please repeat the request in a few seconds."


class SlowDownError(TwofoldError):
    """Polled more often than allowed (RFC 8628 section 3.5): wait longer between polls."""

    code = "slow_down"
    description = "You are polling faster than allowed. Try again in a few seconds."


class PushRejectedError(InvalidGrantError):
    description = "MFA Authorization rejected."


class PushExpiredError(ExpiredTokenError):
    description = "The push notification expired before it was answered: ask for a new one."


class PushAnsweredError(ConflictError):
    """A second answer, or a replay of the first: only one answer ever counts."""

    code = "already_answered"
    description = "The push notification has already been answered."


class InvalidPushAnswerError(InvalidRequestError):
    """The answer JWS is malformed, not signed by this device, or its claims are wrong; the
    description says which, never echoing the answer."""

    description = "The answer could not be verified."


class TooManyPushError(TooManyAttemptsError):
    code = "too_many_push"
    description = "Too many push notifications sent. Try again later."


class PushPausedError(AccessDeniedError):
    """A user reported a push as fraud: pushes stay off until an administrator clears it."""

    code = "push_paused"
    description = (
        "Push notifications are paused for this user after a push was reported as fraud; "
        "an administrator must clear the pause."
    )
