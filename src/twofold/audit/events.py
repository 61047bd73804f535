"""Every audit event Twofold writes: one frozen dataclass each, turned into an AuditEntry.

Type codes are Auth0's log event codes wherever one exists (docs/audit.md has the table), so
SIEM rules written for Auth0 logs keep working. No event has a field for a secret: codes,
passwords, tokens and recovery codes never reach the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from twofold.domain import AuditEntry, JsonObject

Outcome = Literal["success", "failure", "info"]


class AuditEvent(Protocol):
    def entry(self) -> AuditEntry:
        """What the store chains and writes."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class _Request:
    """Who asked, from where: the facts most authentication events share."""

    user_id: str | None
    client_id: str | None
    ip: str | None
    user_agent: str | None

    def _entry(
        self,
        type_: str,
        description: str,
        outcome: Outcome,
        details: JsonObject,
        *,
        actor: str | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            type=type_,
            description=description,
            outcome=outcome,
            user_id=self.user_id,
            client_id=self.client_id,
            actor=actor,
            ip=self.ip,
            user_agent=self.user_agent,
            details=details,
        )


# First factor ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSucceeded(_Request):
    amr: tuple[str, ...]

    def entry(self) -> AuditEntry:
        return self._entry("s", "Successful login", "success", {"amr": list(self.amr)})


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginFailed(_Request):
    """`fp` when the user exists (wrong password), `fu` when nobody has that username."""

    username: str
    reason: str

    def entry(self) -> AuditEntry:
        known = self.user_id is not None
        return self._entry(
            "fp" if known else "fu",
            "Wrong password" if known else "Unknown email or username",
            "failure",
            {"username": self.username, "reason": self.reason},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FirstFactorBlocked(_Request):
    username: str

    def entry(self) -> AuditEntry:
        return self._entry(
            "limit_wc",
            "Too many failed logins: this user is blocked from this IP",
            "failure",
            {"username": self.username},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaRequired(_Request):
    reasons: tuple[str, ...]

    def entry(self) -> AuditEntry:
        return self._entry(
            "mfar", "Multi-factor authentication required", "info", {"reasons": list(self.reasons)}
        )


# Second factor and enrolment -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnAuthenticator(_Request):
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
class RecoverySucceeded(_Request):
    authenticator_id: str

    def entry(self) -> AuditEntry:
        details = {"authenticator_id": self.authenticator_id}
        return self._entry("gd_recovery_succeed", "Recovery code accepted", "success", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class _WrongCode(_Request):
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
class MfaTokenExhausted(_Request):
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


# Administration -------------------------------------------------------------------------


def _admin(
    type_: str, description: str, *, actor: str, user_id: str | None, details: JsonObject
) -> AuditEntry:
    return AuditEntry(
        type=type_,
        description=description,
        outcome="success",
        user_id=user_id,
        actor=actor,
        details=details,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _UserAdmin:
    """An administrative change to one user's account."""

    user_id: str
    actor: str

    def _change(self, type_: str, description: str, details: JsonObject) -> AuditEntry:
        return _admin(type_, description, actor=self.actor, user_id=self.user_id, details=details)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCreated(_UserAdmin):
    email: str

    def entry(self) -> AuditEntry:
        return self._change("ss", "User created", {"email": self.email})


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaReset(_UserAdmin):
    """Auth0's `gd_user_delete` ("deleted multi-factor user account"): every authenticator
    goes at once, unlike `gd_unenroll`, which is one authenticator."""

    removed: int
    sessions_ended: int = 0
    browsers_forgotten: int = 0
    grants_revoked: int = 0

    def entry(self) -> AuditEntry:
        description = "MFA reset: every authenticator removed"
        details = {
            "removed": self.removed,
            "sessions_ended": self.sessions_ended,
            "browsers_forgotten": self.browsers_forgotten,
            "grants_revoked": self.grants_revoked,
        }
        return self._change("gd_user_delete", description, details)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryCodeRegenerated(_UserAdmin):
    """The new code is shown once to the caller and never recorded."""

    def entry(self) -> AuditEntry:
        details = {"factor": "recovery-code"}
        return self._change("gd_update_device_account", "Recovery code regenerated", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserBlockRemoved(_UserAdmin):
    def entry(self) -> AuditEntry:
        return self._change("ublkdu", "User blocks removed", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class RememberBrowserInvalidated(_UserAdmin):
    def entry(self) -> AuditEntry:
        return self._change("sapi", "Invalidate all remembered browsers for MFA", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class _ApplicationAdmin:
    """An administrative change to one application (Auth0 logs them all as `sapi`). The
    entry's `client_id` is the application's, so a `client_id:` log search finds them."""

    actor: str
    client_id: str
    name: str

    def _change(self, action: str, details: JsonObject) -> AuditEntry:
        return AuditEntry(
            type="sapi",
            description=f"{action}: {self.name}",
            outcome="success",
            client_id=self.client_id,
            actor=self.actor,
            details={"client_id": self.client_id, **details},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationCreated(_ApplicationAdmin):
    """A new client; its grants and scopes say what it may do (never its secret)."""

    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]

    def entry(self) -> AuditEntry:
        details = {"grant_types": list(self.grant_types), "scopes": list(self.scopes)}
        return self._change("Create an application", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationUpdated(_ApplicationAdmin):
    changes: JsonObject
    """The new value of each changed setting (name, app_type, callbacks, ...)."""

    def entry(self) -> AuditEntry:
        return self._change("Update an application", {"changes": self.changes})


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationDeleted(_ApplicationAdmin):
    def entry(self) -> AuditEntry:
        return self._change("Delete an application", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationSecretRotated(_ApplicationAdmin):
    """The old secret stopped working; the new one is shown once and never recorded."""

    def entry(self) -> AuditEntry:
        return self._change("Rotate an application's secret", {})


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRotation:
    """Only the new key's id is recorded, never key material."""

    actor: str
    new_key_id: str
    reencrypted: int

    def entry(self) -> AuditEntry:
        return _admin(
            "sapi",
            "Rotate the master key",
            actor=self.actor,
            user_id=None,
            details={"new_key_id": self.new_key_id, "reencrypted": self.reencrypted},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantUpdate:
    actor: str
    setting: str
    value: object
    """The new value, as JSON (a factor switch or the policy list; never a secret)."""

    def entry(self) -> AuditEntry:
        return _admin(
            "gd_tenant_update",
            f"Tenant setting changed: {self.setting}",
            actor=self.actor,
            user_id=None,
            details={"setting": self.setting, "value": self.value},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenExchange:
    """A machine-to-machine token (the client secret is checked, never recorded)."""

    client_id: str
    ip: str | None
    user_agent: str | None
    grant: str
    audience: str | None

    def entry(self) -> AuditEntry:
        return AuditEntry(
            type="seccft",
            description="Client credentials exchanged for an access token",
            outcome="success",
            client_id=self.client_id,
            ip=self.ip,
            user_agent=self.user_agent,
            details={"grant": self.grant, "audience": self.audience},
        )


# Browser sessions (hosted pages) ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LogoutSucceeded:
    user_id: str
    ip: str | None
    user_agent: str | None
    client_id: str | None = None

    def entry(self) -> AuditEntry:
        return AuditEntry(
            type="slo",
            description="Successful logout",
            outcome="success",
            user_id=self.user_id,
            client_id=self.client_id,
            ip=self.ip,
            user_agent=self.user_agent,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _RememberedBrowserChange:
    user_id: str
    ip: str | None
    user_agent: str | None
    remembered_id: str

    def _change(self, type_: str, description: str) -> AuditEntry:
        return AuditEntry(
            type=type_,
            description=description,
            outcome="info",
            user_id=self.user_id,
            ip=self.ip,
            user_agent=self.user_agent,
            details={"remembered_id": self.remembered_id},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BrowserRemembered(_RememberedBrowserChange):
    """No Auth0 code exists for this; `tf_` marks Twofold's own codes."""

    def entry(self) -> AuditEntry:
        return self._change("tf_rb_add", "Browser remembered for MFA")


@dataclass(frozen=True, slots=True, kw_only=True)
class BrowserForgotten(_RememberedBrowserChange):
    def entry(self) -> AuditEntry:
        return self._change("tf_rb_forget", "Remembered browser forgotten by its user")


# OpenID Connect: codes and refresh tokens at /oauth/token ---------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Exchange(_Request):
    """A code or refresh-token exchange. `grant_id` names the family (None when nothing was
    found); the code or refresh token itself is never recorded."""

    grant_id: str | None

    def _exchange(
        self, type_: str, description: str, outcome: Outcome, **details: object
    ) -> AuditEntry:
        return self._entry(type_, description, outcome, {"grant_id": self.grant_id, **details})


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeExchanged(_Exchange):
    scope: str

    def entry(self) -> AuditEntry:
        description = "Authorization code exchanged for tokens"
        return self._exchange("seacft", description, "success", scope=self.scope)


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeExchangeFailed(_Exchange):
    reason: str
    """`unknown`, `client_mismatch`, `expired`, `redirect_uri_mismatch`, `pkce_*`, ..."""

    def entry(self) -> AuditEntry:
        description = f"Authorization code refused ({self.reason})"
        return self._exchange("feacft", description, "failure", reason=self.reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeReused(_Exchange):
    """A second redemption is theft (OAuth 2.0 Security BCP 4.2.4); `revoked` is False when
    the grant had been revoked already."""

    revoked: bool

    def entry(self) -> AuditEntry:
        description = "Authorization code used twice: its grant is revoked"
        return self._exchange(
            "feacft", description, "failure", reason="code_reuse", revoked=self.revoked
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshExchanged(_Exchange):
    scope: str

    def entry(self) -> AuditEntry:
        description = "Refresh token exchanged (and rotated)"
        return self._exchange("sertft", description, "success", scope=self.scope)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshExchangeFailed(_Exchange):
    reason: str
    """`unknown`, `client_mismatch`, `expired`, `grant_revoked`, `scope_widened`."""

    def entry(self) -> AuditEntry:
        description = f"Refresh token refused ({self.reason})"
        return self._exchange("fertft", description, "failure", reason=self.reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshReused(_Exchange):
    """A rotated refresh token came back (Security BCP 4.14.2): the whole family is revoked.
    Auth0 logs this as `ferrt`, "Failed Exchange of Rotating Refresh Token"."""

    revoked: bool

    def entry(self) -> AuditEntry:
        description = "Rotated refresh token used again: its grant is revoked"
        return self._exchange(
            "ferrt", description, "failure", reason="refresh_token_reuse", revoked=self.revoked
        )


EVENTS: tuple[type[AuditEvent], ...] = (
    LoginSucceeded,
    LoginFailed,
    FirstFactorBlocked,
    MfaRequired,
    MfaStarted,
    MfaSucceeded,
    MfaFailed,
    RecoverySucceeded,
    RecoveryFailed,
    MfaTokenExhausted,
    OtpRateLimitExceeded,
    RecoveryRateLimitExceeded,
    EnrolmentStarted,
    EnrolmentCompleted,
    Unenrolled,
    AuthenticatorRenamed,
    UserCreated,
    MfaReset,
    RecoveryCodeRegenerated,
    UserBlockRemoved,
    RememberBrowserInvalidated,
    ApplicationCreated,
    ApplicationUpdated,
    ApplicationDeleted,
    ApplicationSecretRotated,
    KeyRotation,
    TenantUpdate,
    TokenExchange,
    LogoutSucceeded,
    BrowserRemembered,
    BrowserForgotten,
    CodeExchanged,
    CodeExchangeFailed,
    CodeReused,
    RefreshExchanged,
    RefreshExchangeFailed,
    RefreshReused,
)
"""Every event class, explicitly (the docs table and the tests walk this)."""
