"""Sign-in events: the password step, MFA being required, and sign-out."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import RequestFacts
from twofold.domain import AuditEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSucceeded(RequestFacts):
    amr: tuple[str, ...]

    def entry(self) -> AuditEntry:
        return self._entry("s", "Successful login", "success", {"amr": list(self.amr)})


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginFailed(RequestFacts):
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
class FirstFactorBlocked(RequestFacts):
    username: str

    def entry(self) -> AuditEntry:
        return self._entry(
            "limit_wc",
            "Too many failed logins: this user is blocked from this IP",
            "failure",
            {"username": self.username},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MfaRequired(RequestFacts):
    reasons: tuple[str, ...]

    def entry(self) -> AuditEntry:
        return self._entry(
            "mfar", "Multi-factor authentication required", "info", {"reasons": list(self.reasons)}
        )


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
