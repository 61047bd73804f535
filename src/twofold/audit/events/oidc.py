"""OpenID Connect events at `/oauth/token`: codes and refresh tokens exchanged or refused."""

from __future__ import annotations

from dataclasses import dataclass

from twofold.audit.events.base import Outcome, RequestFacts
from twofold.domain import AuditEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class _Exchange(RequestFacts):
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
