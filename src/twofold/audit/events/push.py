"""Push approvals: pushes sent or refused, device answers, pauses against push fatigue.

Auth0's Guardian codes where they exist (`gd_send_pn`, `gd_send_pn_failure`,
`gd_auth_rejected`); Twofold's own (`gd_push_*`) for what Guardian has no code for. The
number to match and the device's push token are never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import RequestFacts, admin_entry
from twofold.domain import AuditEntry, JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnPush(RequestFacts):
    authenticator_id: str | None
    push_id: str | None
    """The push transaction's id (None when a refusal stopped it before it existed)."""

    def _details(self, **extra: object) -> JsonObject:
        details: JsonObject = {"authenticator_id": self.authenticator_id, "push_id": self.push_id}
        details |= {name: value for name, value in extra.items() if value is not None}
        return details


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSent(_OnPush):
    """A push went to the device: handed to its provider, or published to its stream."""

    provider: str

    def entry(self) -> AuditEntry:
        details = self._details(provider=self.provider)
        return self._entry("gd_send_pn", "Push notification sent", "success", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushSendFailed(_OnPush):
    """No push went out: a limit or a pause refused it, or the provider failed."""

    reason: str
    """`too_many_push` (with `limit`), `push_paused`, `unreachable`, `failed`."""
    limit: str | None = None
    """`minute`, `hour` or `rejections` for a rate refusal."""
    provider: str | None = None
    status: int | None = None

    def entry(self) -> AuditEntry:
        details = self._details(
            reason=self.reason, limit=self.limit, provider=self.provider, status=self.status
        )
        description = f"Push notification not sent ({self.reason})"
        return self._entry("gd_send_pn_failure", description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushApproved(_OnPush):
    """The device approved (with the right number); the sign-in completes when the client
    polls (`gd_auth_succeed` then)."""

    def entry(self) -> AuditEntry:
        return self._entry("gd_push_approved", "Push approved", "success", self._details())


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRejected(_OnPush):
    """The device denied, approved with the wrong number, or reported fraud."""

    reason: str
    """`denied`, `wrong_number` (the user was probably tricked) or `fraud`."""

    def entry(self) -> AuditEntry:
        description = f"Push rejected ({self.reason})"
        return self._entry(
            "gd_auth_rejected", description, "failure", self._details(reason=self.reason)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PushPaused(RequestFacts):
    """Pushes stopped for the user: after repeated rejections (for a while) or a fraud
    report (until an administrator clears it)."""

    cause: str
    """`rejections` or `fraud`."""
    rejections: int | None = None

    def entry(self) -> AuditEntry:
        details: JsonObject = {"cause": self.cause}
        if self.rejections is not None:
            details["rejections"] = self.rejections
        description = f"Push notifications paused ({self.cause})"
        return self._entry("gd_push_paused", description, "failure", details)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushPauseCleared:
    """An administrator lifted the user's push pause (Management API)."""

    user_id: str
    actor: str

    def entry(self) -> AuditEntry:
        return admin_entry(
            "gd_push_pause_cleared",
            "Push notification pause cleared",
            actor=self.actor,
            user_id=self.user_id,
            details={},
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PushDeviceUpdated(RequestFacts):
    """A device changed its own name or push token (`PATCH /api/device/me`); Auth0 logs
    device changes as `gd_update_device_account`. Neither value is recorded."""

    authenticator_id: str
    changed: tuple[str, ...]
    """`name`, `push` or both."""

    def entry(self) -> AuditEntry:
        details: JsonObject = {
            "authenticator_id": self.authenticator_id,
            "changed": list(self.changed),
        }
        return self._entry("gd_update_device_account", "Push device updated", "success", details)
