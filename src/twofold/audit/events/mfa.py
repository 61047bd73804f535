"""Second-factor events: challenges, verifications, enrolments, rate limits."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import Outcome, RequestFacts
from twofold.domain import AuditEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnAuthenticator(RequestFacts):
    """An event about one of the user's authenticators."""

    authenticator_id: str
    factor: str

    def _about(
        self, type_: str, what: str, outcome: Outcome, actor: str | None = None
    ) -> AuditEntry:
        details = {"authenticator_id": self.authenticator_id, "factor": self.factor}
        return self._entry(type_, f"{what} ({self.factor})", outcome, details, actor=actor)


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaStarted(_OnAuthenticator):
    def entry(self) -> AuditEntry:
        return self._about("gd_start_auth", "Second factor started", "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaSucceeded(_OnAuthenticator):
    def entry(self) -> AuditEntry:
        return self._about("gd_auth_succeed", "Second factor succeeded", "success")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolmentStarted(_OnAuthenticator):
    def entry(self) -> AuditEntry:
        return self._about("gd_start_enroll", "Enrolment started", "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolmentCompleted(_OnAuthenticator):
    def entry(self) -> AuditEntry:
        return self._about("gd_enrollment_complete", "Enrolment complete", "success")


@dataclass(frozen=True, slots=True, kw_only=True)
class Unenrolled(_OnAuthenticator):
    """One authenticator removed, by its user (MFA API) or an admin (Management API)."""

    actor: str

    def entry(self) -> AuditEntry:
        return self._about("gd_unenroll", "Authenticator removed", "success", self.actor)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthenticatorRenamed(_OnAuthenticator):
    """A user renamed one of their authenticators (My MFA settings); Auth0 logs device
    changes as `gd_update_device_account`. The name itself is not recorded."""

    def entry(self) -> AuditEntry:
        return self._about(
            "gd_update_device_account", "Authenticator renamed", "success", self.user_id
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoverySucceeded(RequestFacts):
    authenticator_id: str

    def entry(self) -> AuditEntry:
        details = {"authenticator_id": self.authenticator_id}
        return self._entry("gd_recovery_succeed", "Recovery code accepted", "success", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class _WrongCode(RequestFacts):
    factor: str
    failures: int
    """Failures so far on this `mfa_token`."""

    def _wrong(self, type_: str, description: str) -> AuditEntry:
        details = {"factor": self.factor, "failures": self.failures}
        return self._entry(type_, description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaFailed(_WrongCode):
    def entry(self) -> AuditEntry:
        return self._wrong("gd_auth_failed", f"Second factor failed ({self.factor})")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryFailed(_WrongCode):
    def entry(self) -> AuditEntry:
        return self._wrong("gd_recovery_failed", "Wrong recovery code")


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaTokenExhausted(RequestFacts):
    def entry(self) -> AuditEntry:
        description = "mfa_token rejected after too many failures"
        return self._entry("gd_auth_rejected", description, "failure", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class _BucketEmptied:
    """A per-user failure bucket is empty (the guesses themselves are never recorded)."""

    user_id: str
    ip: str | None
    user_agent: str | None

    def _emptied(self, type_: str, description: str) -> AuditEntry:
        return AuditEntry(
            type=type_,
            description=description,
            outcome="failure",
            user_id=self.user_id,
            ip=self.ip,
            user_agent=self.user_agent,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OtpRateLimitExceeded(_BucketEmptied):
    def entry(self) -> AuditEntry:
        return self._emptied("gd_otp_rate_limit_exceed", "Too many wrong one-time codes")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryRateLimitExceeded(_BucketEmptied):
    def entry(self) -> AuditEntry:
        return self._emptied("gd_recovery_rate_limit_exceed", "Too many wrong recovery codes")
