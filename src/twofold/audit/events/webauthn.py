"""WebAuthn events: security keys and device biometrics as a second factor, and passkey
sign-in (ADR 008).

Auth0's codes where it has them (`gd_webauthn_enrollment_failed`,
`gd_webauthn_challenge_failed`, `passkey_challenge_started`, `passkey_challenge_failed`, `s`);
`webauthn_possible_clone` is Twofold's own. No event has a field for a challenge, a public key
or a client response: only ids, counters and the reason for a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import RequestFacts
from twofold.domain import AuditEntry, JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnEnrolmentStarted(RequestFacts):
    """Registration options went out; no authenticator exists until the response verifies."""

    factor: str
    """`webauthn-roaming` or `webauthn-platform`."""

    def entry(self) -> AuditEntry:
        details = {"factor": self.factor}
        return self._entry("gd_start_enroll", f"Enrolment started ({self.factor})", "info", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnEnrolmentFailed(RequestFacts):
    """A registration response was refused (or its ceremony was unknown, expired or spent)."""

    factor: str | None
    reason: str
    """`invalid_response`, `already_registered`, `expired`, `unknown_session`..."""

    def entry(self) -> AuditEntry:
        details: JsonObject = {"factor": self.factor, "reason": self.reason}
        description = f"Security key or device enrolment failed ({self.reason})"
        return self._entry("gd_webauthn_enrollment_failed", description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnChallengeStarted(RequestFacts):
    """Authentication options went out for these of the user's credentials."""

    authenticator_ids: tuple[str, ...]

    def entry(self) -> AuditEntry:
        details: JsonObject = {
            "factor": "webauthn",
            "authenticator_ids": list(self.authenticator_ids),
        }
        return self._entry("gd_start_auth", "Second factor started (webauthn)", "info", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnChallengeFailed(RequestFacts):
    """A second-factor assertion was refused, or a challenge could not be generated."""

    reason: str
    """`invalid_response`, `unknown_credential`, `expired`, `too_many_attempts`..."""
    authenticator_id: str | None = None
    """The credential that answered, when it is one of the user's."""
    failures: int | None = None
    """Failures so far on the `mfa_token`, for an assertion answered through the MFA API."""

    def entry(self) -> AuditEntry:
        details: JsonObject = {"factor": "webauthn", "reason": self.reason}
        extra = {"authenticator_id": self.authenticator_id, "failures": self.failures}
        details |= {name: value for name, value in extra.items() if value is not None}
        description = f"Security key or device check failed ({self.reason})"
        return self._entry("gd_webauthn_challenge_failed", description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebauthnPossibleClone(RequestFacts):
    """A valid signature whose counter did not increase (WebAuthn section 6.1.1): another copy
    of the credential has been used. The assertion was refused."""

    authenticator_id: str
    factor: str
    stored_count: int
    received_count: int

    def entry(self) -> AuditEntry:
        details: JsonObject = {
            "authenticator_id": self.authenticator_id,
            "factor": self.factor,
            "stored_count": self.stored_count,
            "received_count": self.received_count,
        }
        description = "Possible cloned authenticator: its signature counter went backwards"
        return self._entry("webauthn_possible_clone", description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyChallengeStarted(RequestFacts):
    """`POST /passkey/challenge` (or the sign-in page) handed out a passkey challenge."""

    def entry(self) -> AuditEntry:
        return self._entry("passkey_challenge_started", "Passkey challenge started", "info", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyLoginSucceeded(RequestFacts):
    """A passkey signed a user in: both factors at once, so Auth0's successful login `s`."""

    authenticator_id: str
    amr: tuple[str, ...]

    def entry(self) -> AuditEntry:
        details: JsonObject = {
            "method": "passkey",
            "authenticator_id": self.authenticator_id,
            "amr": list(self.amr),
        }
        return self._entry("s", "Successful login with a passkey", "success", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyLoginFailed(RequestFacts):
    """A passkey sign-in was refused; `user_id` is set only once the credential named one."""

    reason: str
    """`invalid_response`, `unknown_credential`, `user_verification_missing`, `expired`..."""
    authenticator_id: str | None = None

    def entry(self) -> AuditEntry:
        details: JsonObject = {"reason": self.reason}
        if self.authenticator_id is not None:
            details["authenticator_id"] = self.authenticator_id
        description = f"Passkey sign-in failed ({self.reason})"
        return self._entry("passkey_challenge_failed", description, "failure", details)
