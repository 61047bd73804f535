"""Sign-in events: the password step, MFA being required, and sign-out."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import RequestFacts
from twofold.domain import AuditEntry, JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginSucceeded(RequestFacts):
    amr: tuple[str, ...]
    risk_assessment: JsonObject | None = None
    """The login's whole risk assessment (Auth0's `riskAssessment`), when the policy ran."""

    def entry(self) -> AuditEntry:
        details: JsonObject = {"amr": list(self.amr)}
        if self.risk_assessment is not None:
            details["risk_assessment"] = self.risk_assessment
        return self._entry("s", "Successful login", "success", details)


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
class PolicyDecided(RequestFacts):
    """Every real policy decision (ADR 009): what was decided at which door, the trace the
    explain endpoint also returns, and the whole risk assessment. No Auth0 code exists for
    this; `tf_` marks Twofold's own. A deny is a failure, so it shows in failed-login searches."""

    door: str
    """`token` (the password grant), `authorize` (hosted login and step-up)."""
    decision: JsonObject
    trace: JsonObject
    risk_assessment: JsonObject

    def entry(self) -> AuditEntry:
        outcome = str(self.decision.get("outcome", ""))
        return self._entry(
            "tf_policy",
            f"MFA policy decision: {outcome}",
            "failure" if outcome == "deny" else "info",
            {
                "door": self.door,
                "decision": self.decision,
                "trace": self.trace,
                "risk_assessment": self.risk_assessment,
            },
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginEmailVerified(RequestFacts):
    """Adaptive MFA's check for a user with no factor (ADR 009): the code mailed to the
    account's address was typed back, and the sign-in went on. `to` is masked."""

    to: str

    def entry(self) -> AuditEntry:
        return self._entry(
            "tf_login_email_verified",
            "Sign-in verified by a code sent to the account's email",
            "success",
            {"to": self.to},
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
