"""Administrative events: users, applications, keys, tenant settings, machine tokens."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import admin_entry
from twofold.domain import AuditEntry, JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class _UserAdmin:
    """An administrative change to one user's account."""

    user_id: str
    actor: str

    def _change(self, type_: str, description: str, details: JsonObject) -> AuditEntry:
        return admin_entry(
            type_, description, actor=self.actor, user_id=self.user_id, details=details
        )


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
        return admin_entry(
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
        return admin_entry(
            "gd_tenant_update",
            f"Tenant setting changed: {self.setting}",
            actor=self.actor,
            user_id=None,
            details={"setting": self.setting, "value": self.value},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyRuleChanged:
    """A policy rule created, updated, reordered or deleted: a tenant setting change, so
    `gd_tenant_update` like the policy itself. `rule` is the rule's JSON after the change
    (its CEL source is configuration, never a secret); None for a deletion or a reorder."""

    actor: str
    change: str
    """`created`, `updated`, `deleted` or `reordered`."""
    rule_id: str | None
    rule: JsonObject | None = None
    order: tuple[str, ...] = ()
    """With `reordered`: every rule id in its new order."""

    def entry(self) -> AuditEntry:
        details: JsonObject = {"setting": "mfa.policy.rules", "change": self.change}
        if self.rule_id is not None:
            details["rule_id"] = self.rule_id
        if self.rule is not None:
            details["rule"] = self.rule
        if self.order:
            details["order"] = list(self.order)
        return admin_entry(
            "gd_tenant_update",
            f"Policy rule {self.change}",
            actor=self.actor,
            user_id=None,
            details=details,
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
